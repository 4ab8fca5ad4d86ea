// The plain PixelCNN model: parameters, activations, forward, backward, Adam, sampling.
//
// Invariants: parameters, gradients and both Adam moments live in four blobs with the same
// layout (one offset per tensor); activations live in buffers sized for `capacity_` images,
// grown only when a larger batch arrives, so steady-state steps allocate nothing.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "check.h"
#include "cpu/gemm.h"
#include "cpu/kernels.h"
#include "layers.h"
#include "model_impl.h"
#include "pixelcnn/pixelcnn.h"
#include "rng.h"
#include "sampling.h"
#include "thread_pool.h"

namespace pixelcnn {

namespace {

// Largest batch a forward-only pass (likelihood, sampling) processes at once.
const int kEvalChunk = 32;

void validate_config(const Config& c) {
    PCNN_REQUIRE(c.channels == 1 || c.channels == 3,
                 "channels: expected 1 (grayscale) or 3 (colour), got " << c.channels);
    PCNN_REQUIRE(c.height > 0 && c.width > 0,
                 "image size: expected positive height and width, got " << c.height << "x" << c.width);
    PCNN_REQUIRE(c.height <= 4096 && c.width <= 4096,
                 "image size: expected at most 4096x4096, got " << c.height << "x" << c.width);
    PCNN_REQUIRE(c.head == HEAD_BERNOULLI || c.head == HEAD_CATEGORICAL,
                 "head: expected HEAD_BERNOULLI (0) or HEAD_CATEGORICAL (1), got " << c.head);
    if (c.head == HEAD_BERNOULLI) {
        PCNN_REQUIRE(c.levels == 2, "levels: a Bernoulli head expects 2 levels, got " << c.levels);
    } else {
        PCNN_REQUIRE(c.levels >= 2 && c.levels <= 256,
                     "levels: expected 2..256 for a categorical head, got " << c.levels);
    }
    const int widths[3] = {c.hidden_channels, c.residual_channels, c.head_channels};
    const char* names[3] = {"hidden_channels", "residual_channels", "head_channels"};
    for (int i = 0; i < 3; ++i) {
        PCNN_REQUIRE(widths[i] > 0, names[i] << ": expected a positive count, got " << widths[i]);
        PCNN_REQUIRE(widths[i] % c.channels == 0,
                     names[i] << ": expected a multiple of the " << c.channels
                              << " image channels (one group per colour), got " << widths[i]);
    }
    PCNN_REQUIRE(c.blocks >= 0 && c.blocks <= 1000, "blocks: expected 0..1000, got " << c.blocks);
    PCNN_REQUIRE(c.input_kernel >= 1 && c.input_kernel % 2 == 1 && c.input_kernel <= 31,
                 "input_kernel: expected an odd size in 1..31, got " << c.input_kernel);
    PCNN_REQUIRE(c.block_kernel >= 1 && c.block_kernel % 2 == 1 && c.block_kernel <= 31,
                 "block_kernel: expected an odd size in 1..31, got " << c.block_kernel);
    PCNN_REQUIRE(c.input_kernel > 1 || c.channels > 1,
                 "input_kernel: a 1x1 type A convolution sees nothing for one channel; expected >= 3");
    PCNN_REQUIRE(c.threads >= 0 && c.threads <= 1024,
                 "threads: expected 0 (all) or a positive count up to 1024, got " << c.threads);
}

int resolve_threads(int threads) { return threads > 0 ? threads : hardware_threads(); }

}  // namespace

ModelImpl::ModelImpl(const Config& config) : cfg(config) {
    validate_config(cfg);
    const int C = cfg.channels;
    out_channels = cfg.head == HEAD_BERNOULLI ? C : C * cfg.levels;
    pool.reset(new ThreadPool(resolve_threads(cfg.threads)));
    cpu::use_single_threaded_blas();

    auto add = [&](const std::string& name, MaskedConv conv) {
        convs.push_back(std::move(conv));
        tensors.push_back({name + ".weight", static_cast<int>(convs.size()) - 1, false});
        tensors.push_back({name + ".bias", static_cast<int>(convs.size()) - 1, true});
    };
    add("input", make_masked_conv(C, cfg.hidden_channels, cfg.input_kernel, true, C));
    for (int i = 0; i < cfg.blocks; ++i) {
        const std::string p = "blocks." + std::to_string(i);
        add(p + ".conv1", make_masked_conv(cfg.hidden_channels, cfg.residual_channels, 1, false, C));
        add(p + ".conv2", make_masked_conv(cfg.residual_channels, cfg.residual_channels,
                                           cfg.block_kernel, false, C));
        add(p + ".conv3", make_masked_conv(cfg.residual_channels, cfg.hidden_channels, 1, false, C));
    }
    add("head.conv1", make_masked_conv(cfg.hidden_channels, cfg.head_channels, 1, false, C));
    add("head.conv2", make_masked_conv(cfg.head_channels, out_channels, 1, false, C));

    int64_t offset = 0;
    for (auto& conv : convs) {
        conv.weight_offset = offset;
        offset += conv.weight_size();
        conv.bias_offset = offset;
        offset += conv.out_channels;
    }
    params.assign(offset, 0.0f);
    grads.assign(offset, 0.0f);
    adam_m.assign(offset, 0.0f);
    adam_v.assign(offset, 0.0f);
    norm_partial.assign(pool->threads() + 1, 0.0);
    init_weights();
}

// PyTorch's default convolution init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias,
// with fan_in counted over live taps; drawn from the counter-based generator so that the same
// seed gives the same weights everywhere.
void ModelImpl::init_weights() {
    const uint64_t seed = static_cast<uint64_t>(cfg.seed);
    for (size_t ci = 0; ci < convs.size(); ++ci) {
        const MaskedConv& conv = convs[ci];
        const float bound = 1.0f / std::sqrt(static_cast<float>(conv.packed_rows()));
        float* wt = params.data() + conv.weight_offset;
        for (int64_t i = 0; i < conv.weight_size(); ++i) {
            double u = uniform_for(seed, ci, static_cast<uint32_t>(i), 0x57u);
            wt[i] = static_cast<float>((2.0 * u - 1.0) * bound);
        }
        if (conv.centre_live) {
            float* centre = wt + static_cast<int64_t>(conv.taps - 1) * conv.in_channels * conv.out_channels;
            for (size_t i = 0; i < conv.centre_mask.size(); ++i) if (conv.centre_mask[i] == 0.0f) centre[i] = 0.0f;
        }
        float* bias = params.data() + conv.bias_offset;
        for (int o = 0; o < conv.out_channels; ++o) {
            double u = uniform_for(seed, ci, static_cast<uint32_t>(o), 0xB1u);
            bias[o] = static_cast<float>((2.0 * u - 1.0) * bound);
        }
    }
}

void ModelImpl::ensure_capacity(int count) {
    if (count <= capacity) return;
    const int64_t P = positions(count);
    const int64_t hid = cfg.hidden_channels, res = cfg.residual_channels, hd = cfg.head_channels;
    const int64_t B = cfg.blocks;
    int64_t scratch = 0;
    for (const auto& conv : convs) scratch = std::max(scratch, cpu::masked_conv_scratch(conv, P));
    struct Part {
        Span* span;
        int64_t floats;
    };
    const Part parts[] = {
        {&x, P * cfg.channels}, {&h, P * hid}, {&r1, B * P * hid}, {&r2, B * P * res},
        {&r3, B * P * res}, {&rh1, P * hid}, {&rh2, P * hd}, {&logit_buf, P * out_channels},
        {&dh, P * hid}, {&dhidden, P * hid}, {&dres_a, P * res}, {&dres_b, P * res},
        {&dhead, P * hd}, {&dlogits, P * out_channels}, {&col, scratch}, {&ones, P},
    };
    // Spans start on 64-byte boundaries (16 floats) so vector loads of a row never straddle.
    int64_t total = 0;
    for (const Part& part : parts) total += (part.floats + 15) / 16 * 16;
    // Release the old arena first so peak memory is one arena, not two.
    capacity = 0;
    std::vector<float>().swap(arena);
    arena.assign(static_cast<size_t>(total) + 16, 0.0f);
    float* base = arena.data();
    base += (16 - (reinterpret_cast<uintptr_t>(base) / sizeof(float)) % 16) % 16;
    for (const Part& part : parts) {
        part.span->ptr = base;
        part.span->size = static_cast<size_t>(part.floats);
        base += (part.floats + 15) / 16 * 16;
    }
    std::fill(ones.ptr, ones.ptr + ones.size, 1.0f);
    row_nll.assign(static_cast<size_t>(count) * cfg.height, 0.0);
    capacity = count;
}

void ModelImpl::check_images(const unsigned char* images, int count, const char* what) const {
    PCNN_REQUIRE(count > 0, what << ": expected at least one image, got " << count);
    PCNN_REQUIRE(images != nullptr, what << ": image data is null");
    const int64_t n = positions(count) * cfg.channels;
    for (int64_t i = 0; i < n; ++i) {
        PCNN_REQUIRE(images[i] < cfg.levels,
                     what << ": pixel value " << int(images[i]) << " at index " << i
                          << " is outside [0, " << cfg.levels - 1 << "]");
    }
}

void ModelImpl::check_sampling_args(const unsigned char* images, int count, int row,
                                    long long first_index, float temperature,
                                    const char* what) const {
    PCNN_REQUIRE(row >= 0 && row < cfg.height, what << ": row: expected 0.." << cfg.height - 1 << ", got " << row);
    PCNN_REQUIRE(std::isfinite(temperature) && temperature > 0.0f,
                 what << ": temperature: expected a positive finite value, got " << temperature);
    PCNN_REQUIRE(first_index >= 0, what << ": first image index: expected >= 0, got " << first_index);
    check_images(images, count, what);
}

unsigned char ModelImpl::draw(const float* logits_at, int channel, float temperature,
                              long long seed, long long image, int64_t position) const {
    const double u = uniform_for(static_cast<uint64_t>(seed), static_cast<uint64_t>(image),
                                 static_cast<uint32_t>(position), static_cast<uint32_t>(channel));
    const int v = cfg.head == HEAD_BERNOULLI
                      ? draw_bernoulli(logits_at[channel], temperature, u)
                      : draw_categorical(logits_at + channel * cfg.levels, cfg.levels, temperature, u);
    return static_cast<unsigned char>(v);
}

void ModelImpl::forward(const unsigned char* images, int count) {
    // Another OpenBLAS user in the process may have raised its thread count since the model was
    // created; its threads would then spin against the pool (about half the speed measured).
    cpu::use_single_threaded_blas();
    ThreadPool& tp = *pool;
    const Shape s = shape(count);
    const int64_t P = s.positions();
    const int64_t hid = cfg.hidden_channels, res = cfg.residual_channels;
    cpu::encode_input(tp, images, x.data(), s, cfg.channels, input_scale());
    cpu::masked_conv_forward(tp, convs[input_conv()], w(input_conv()), b(input_conv()), x.data(),
                             h.data(), s, false, col.data());
    for (int blk = 0; blk < cfg.blocks; ++blk) {
        float* a1 = r1.data() + blk * P * hid;
        float* a2 = r2.data() + blk * P * res;
        float* a3 = r3.data() + blk * P * res;
        const int c1 = block_conv(blk, 0), c2 = block_conv(blk, 1), c3 = block_conv(blk, 2);
        cpu::relu_forward(tp, h.data(), a1, P * hid);
        cpu::masked_conv_forward(tp, convs[c1], w(c1), b(c1), a1, a2, s, false, col.data());
        cpu::relu_forward(tp, a2, a2, P * res);
        cpu::masked_conv_forward(tp, convs[c2], w(c2), b(c2), a2, a3, s, false, col.data());
        cpu::relu_forward(tp, a3, a3, P * res);
        cpu::masked_conv_forward(tp, convs[c3], w(c3), b(c3), a3, h.data(), s, true, col.data());
    }
    const int h1 = head_conv(0), h2 = head_conv(1);
    cpu::relu_forward(tp, h.data(), rh1.data(), P * hid);
    cpu::masked_conv_forward(tp, convs[h1], w(h1), b(h1), rh1.data(), rh2.data(), s, false, col.data());
    cpu::relu_forward(tp, rh2.data(), rh2.data(), P * cfg.head_channels);
    cpu::masked_conv_forward(tp, convs[h2], w(h2), b(h2), rh2.data(), logit_buf.data(), s, false,
                             col.data());
}

double ModelImpl::nll(const unsigned char* images, int count, bool with_grad, float grad_scale) {
    const Shape s = shape(count);
    float* d = with_grad ? dlogits.data() : nullptr;
    if (cfg.head == HEAD_BERNOULLI) {
        cpu::bernoulli_nll(*pool, logit_buf.data(), images, s, cfg.channels, row_nll.data(), d,
                           grad_scale);
    } else {
        cpu::categorical_nll(*pool, logit_buf.data(), images, s, cfg.channels, cfg.levels,
                             row_nll.data(), d, grad_scale);
    }
    double total = 0.0;
    for (int64_t r = 0; r < static_cast<int64_t>(count) * cfg.height; ++r) total += row_nll[r];
    return total;
}

void ModelImpl::backward(int count) {
    ThreadPool& tp = *pool;
    const Shape s = shape(count);
    const int64_t P = s.positions();
    const int64_t hid = cfg.hidden_channels, res = cfg.residual_channels;
    auto dw = [&](int conv) { return grads.data() + convs[conv].weight_offset; };
    auto db = [&](int conv) { return grads.data() + convs[conv].bias_offset; };
    const int h1 = head_conv(0), h2 = head_conv(1);
    cpu::masked_conv_backward(tp, convs[h2], w(h2), rh2.data(), dlogits.data(), dhead.data(),
                              dw(h2), db(h2), s, col.data(), ones.data());
    cpu::relu_backward(tp, rh2.data(), dhead.data(), dhead.data(), P * cfg.head_channels, false);
    cpu::masked_conv_backward(tp, convs[h1], w(h1), rh1.data(), dhead.data(), dhidden.data(),
                              dw(h1), db(h1), s, col.data(), ones.data());
    cpu::relu_backward(tp, rh1.data(), dhidden.data(), dh.data(), P * hid, false);
    // dh is the gradient of the residual stream; each block adds its branch's share.
    for (int blk = cfg.blocks - 1; blk >= 0; --blk) {
        const float* a1 = r1.data() + blk * P * hid;
        const float* a2 = r2.data() + blk * P * res;
        const float* a3 = r3.data() + blk * P * res;
        const int c1 = block_conv(blk, 0), c2 = block_conv(blk, 1), c3 = block_conv(blk, 2);
        cpu::masked_conv_backward(tp, convs[c3], w(c3), a3, dh.data(), dres_a.data(), dw(c3),
                                  db(c3), s, col.data(), ones.data());
        cpu::relu_backward(tp, a3, dres_a.data(), dres_a.data(), P * res, false);
        cpu::masked_conv_backward(tp, convs[c2], w(c2), a2, dres_a.data(), dres_b.data(), dw(c2),
                                  db(c2), s, col.data(), ones.data());
        cpu::relu_backward(tp, a2, dres_b.data(), dres_b.data(), P * res, false);
        cpu::masked_conv_backward(tp, convs[c1], w(c1), a1, dres_b.data(), dhidden.data(), dw(c1),
                                  db(c1), s, col.data(), ones.data());
        cpu::relu_backward(tp, a1, dhidden.data(), dh.data(), P * hid, true);
    }
    const int ci = input_conv();
    cpu::masked_conv_backward(tp, convs[ci], w(ci), x.data(), dh.data(), nullptr, dw(ci), db(ci),
                              s, col.data(), ones.data());
}

void ModelImpl::unpack(const TensorEntry& t, const float* blob, float* out) const {
    const MaskedConv& conv = convs[t.conv];
    if (t.is_bias) {
        std::memcpy(out, blob + conv.bias_offset, sizeof(float) * conv.out_channels);
        return;
    }
    const int k = conv.kernel, c = k / 2, IC = conv.in_channels, OC = conv.out_channels;
    std::fill(out, out + static_cast<int64_t>(OC) * IC * k * k, 0.0f);
    const float* wt = blob + conv.weight_offset;
    for (int tap = 0; tap < conv.taps; ++tap) {
        const int i = conv.tap_dy[tap] + c, j = conv.tap_dx[tap] + c;
        for (int q = 0; q < IC; ++q) {
            for (int o = 0; o < OC; ++o) {
                out[((static_cast<int64_t>(o) * IC + q) * k + i) * k + j] =
                    wt[(static_cast<int64_t>(tap) * IC + q) * OC + o];
            }
        }
    }
}

void ModelImpl::pack(const TensorEntry& t, const float* in, float* blob) const {
    const MaskedConv& conv = convs[t.conv];
    if (t.is_bias) {
        std::memcpy(blob + conv.bias_offset, in, sizeof(float) * conv.out_channels);
        return;
    }
    const int k = conv.kernel, c = k / 2, IC = conv.in_channels, OC = conv.out_channels;
    float* wt = blob + conv.weight_offset;
    for (int tap = 0; tap < conv.taps; ++tap) {
        const int i = conv.tap_dy[tap] + c, j = conv.tap_dx[tap] + c;
        const bool centre = conv.centre_live && tap == conv.taps - 1;
        for (int q = 0; q < IC; ++q) {
            for (int o = 0; o < OC; ++o) {
                float v = in[((static_cast<int64_t>(o) * IC + q) * k + i) * k + j];
                if (centre && conv.centre_mask[static_cast<size_t>(q) * OC + o] == 0.0f) v = 0.0f;  // +0, not -0
                wt[(static_cast<int64_t>(tap) * IC + q) * OC + o] = v;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Model: argument checks, then the implementation.

Model::Model(const Config& config) : impl_(new ModelImpl(config)) {}
Model::~Model() { delete impl_; }

const Config& Model::config() const { return impl_->cfg; }
int Model::logit_channels() const { return impl_->out_channels; }

long long Model::parameter_count() const {
    long long total = 0;
    for (int i = 0; i < tensor_count(); ++i) total += tensor_size(i);
    return total;
}

// Live multiply-adds of a convolution per output position: every tap before the centre sees all
// input channels; the centre only its live channel pairs.
static double live_macs(const MaskedConv& conv) {
    double macs = static_cast<double>(conv.taps - (conv.centre_live ? 1 : 0)) * conv.in_channels * conv.out_channels;
    for (float live : conv.centre_mask) macs += live;
    return macs;
}

double Model::forward_flops_per_image() const {
    double macs = 0;
    for (const auto& conv : impl_->convs) macs += live_macs(conv);
    return 2.0 * macs * impl_->cfg.height * impl_->cfg.width;
}

double Model::training_flops_per_image() const {
    double macs = 0;
    for (size_t i = 0; i < impl_->convs.size(); ++i) macs += live_macs(impl_->convs[i]) * (i == 0 ? 2 : 3);
    return 2.0 * macs * impl_->cfg.height * impl_->cfg.width;
}

int Model::tensor_count() const { return static_cast<int>(impl_->tensors.size()); }

static void check_tensor_index(int index, int count) {
    PCNN_REQUIRE(index >= 0 && index < count,
                 "tensor index: expected 0.." << count - 1 << ", got " << index);
}

std::string Model::tensor_name(int index) const {
    check_tensor_index(index, tensor_count());
    return impl_->tensors[index].name;
}

int Model::tensor_rank(int index) const {
    check_tensor_index(index, tensor_count());
    return impl_->tensors[index].is_bias ? 1 : 4;
}

long long Model::tensor_dim(int index, int axis) const {
    const int rank = tensor_rank(index);
    PCNN_REQUIRE(axis >= 0 && axis < rank, "axis: expected 0.." << rank - 1 << ", got " << axis);
    const TensorEntry& t = impl_->tensors[index];
    const MaskedConv& conv = impl_->convs[t.conv];
    const long long dims[4] = {conv.out_channels, conv.in_channels, conv.kernel, conv.kernel};
    return dims[axis];
}

long long Model::tensor_size(int index) const {
    long long size = 1;
    for (int a = 0; a < tensor_rank(index); ++a) size *= tensor_dim(index, a);
    return size;
}

static std::vector<float>& blob_of(ModelImpl* m, int kind) {
    switch (kind) {
        case TENSOR_PARAM: return m->params;
        case TENSOR_GRAD: return m->grads;
        case TENSOR_ADAM_M: return m->adam_m;
        case TENSOR_ADAM_V: return m->adam_v;
    }
    std::ostringstream os;
    os << "tensor kind: expected 0 (param), 1 (grad), 2 (adam m) or 3 (adam v), got " << kind;
    fail_argument(os.str());
}

void Model::read_tensor(int kind, int index, float* out) const {
    check_tensor_index(index, tensor_count());
    PCNN_REQUIRE(out != nullptr, "read_tensor: output buffer is null");
    impl_->unpack(impl_->tensors[index], blob_of(impl_, kind).data(), out);
}

void Model::write_tensor(int kind, int index, const float* in) {
    check_tensor_index(index, tensor_count());
    PCNN_REQUIRE(in != nullptr, "write_tensor: input buffer is null");
    const long long n = tensor_size(index);
    for (long long i = 0; i < n; ++i) {
        PCNN_REQUIRE(std::isfinite(in[i]), "tensor " << tensor_name(index) << ": value " << in[i]
                                                     << " at index " << i << " is not finite");
        PCNN_REQUIRE(kind != TENSOR_ADAM_V || in[i] >= 0.0f,
                     "tensor " << tensor_name(index) << ": Adam second moment " << in[i]
                               << " at index " << i << " is negative");
    }
    impl_->pack(impl_->tensors[index], in, blob_of(impl_, kind).data());
}

void Model::read_mask(int index, float* out) const {
    check_tensor_index(index, tensor_count());
    PCNN_REQUIRE(out != nullptr, "read_mask: output buffer is null");
    const TensorEntry& t = impl_->tensors[index];
    const MaskedConv& conv = impl_->convs[t.conv];
    if (t.is_bias) {
        std::fill(out, out + conv.out_channels, 1.0f);
        return;
    }
    // Unpack a blob of ones through the same path as the weights, so mask and layout agree.
    std::vector<float> ones(impl_->params.size(), 1.0f);
    std::vector<float> full(static_cast<size_t>(tensor_size(index)), 1.0f);
    impl_->pack(t, full.data(), ones.data());
    impl_->unpack(t, ones.data(), out);
}

long long Model::adam_step_count() const { return impl_->adam_steps; }

void Model::set_adam_step_count(long long steps) {
    PCNN_REQUIRE(steps >= 0, "adam step count: expected >= 0, got " << steps);
    impl_->adam_steps = steps;
}

float Model::forward_backward(const unsigned char* images, int count) {
    impl_->check_images(images, count, "forward_backward");
    impl_->ensure_capacity(count);
    const Config& c = impl_->cfg;
    const double dims = static_cast<double>(c.channels) * c.height * c.width;
    impl_->forward(images, count);
    const double total = impl_->nll(images, count, true, static_cast<float>(1.0 / (dims * count)));
    impl_->backward(count);
    return static_cast<float>(total / count);
}

void Model::adam_step(const AdamConfig& adam) {
    PCNN_REQUIRE(std::isfinite(adam.learning_rate) && adam.learning_rate > 0.0,
                 "learning rate: expected a positive finite value, got " << adam.learning_rate);
    PCNN_REQUIRE(adam.beta1 >= 0.0 && adam.beta1 < 1.0,
                 "beta1: expected a value in [0, 1), got " << adam.beta1);
    PCNN_REQUIRE(adam.beta2 >= 0.0 && adam.beta2 < 1.0,
                 "beta2: expected a value in [0, 1), got " << adam.beta2);
    PCNN_REQUIRE(adam.eps > 0.0 && std::isfinite(adam.eps),
                 "eps: expected a positive finite value, got " << adam.eps);
    PCNN_REQUIRE(adam.clip_norm >= 0.0 && std::isfinite(adam.clip_norm),
                 "clip_norm: expected >= 0 (0 = off), got " << adam.clip_norm);
    ModelImpl& m = *impl_;
    const int64_t n = static_cast<int64_t>(m.params.size());
    float scale = 1.0f;
    if (adam.clip_norm > 0.0) {
        const double norm = std::sqrt(cpu::sum_squares(*m.pool, m.grads.data(), n, m.norm_partial.data()));
        if (norm > adam.clip_norm) scale = static_cast<float>(adam.clip_norm / (norm + 1e-6));
    }
    m.adam_steps += 1;
    cpu::adam_update(*m.pool, m.params.data(), m.grads.data(), m.adam_m.data(), m.adam_v.data(), n,
                     adam.learning_rate, adam.beta1, adam.beta2, adam.eps, m.adam_steps, scale);
}

float Model::train_step(const unsigned char* images, int count, const AdamConfig& adam) {
    const float loss = forward_backward(images, count);
    PCNN_REQUIRE(std::isfinite(loss), "training diverged: the loss is " << loss
                                          << "; lower the learning rate or enable clip_norm");
    adam_step(adam);
    return loss;
}

void Model::log_likelihood(const unsigned char* images, int count, double* nll_out) {
    impl_->check_images(images, count, "log_likelihood");
    PCNN_REQUIRE(nll_out != nullptr, "log_likelihood: output buffer is null");
    ModelImpl& m = *impl_;
    const int chunk = std::max(m.capacity, kEvalChunk);
    const int64_t image_size = static_cast<int64_t>(m.cfg.channels) * m.cfg.height * m.cfg.width;
    for (int start = 0; start < count; start += chunk) {
        const int n = std::min(chunk, count - start);
        m.ensure_capacity(n);
        const unsigned char* batch = images + start * image_size;
        m.forward(batch, n);
        m.nll(batch, n, false, 0.0f);
        for (int i = 0; i < n; ++i) {
            double total = 0.0;
            for (int y = 0; y < m.cfg.height; ++y) total += m.row_nll[static_cast<int64_t>(i) * m.cfg.height + y];
            nll_out[start + i] = total;
        }
    }
}

void Model::logits(const unsigned char* images, int count, float* out) {
    impl_->check_images(images, count, "logits");
    PCNN_REQUIRE(out != nullptr, "logits: output buffer is null");
    ModelImpl& m = *impl_;
    const int chunk = std::max(m.capacity, kEvalChunk);
    const int64_t plane = static_cast<int64_t>(m.cfg.height) * m.cfg.width;
    const int64_t image_size = m.cfg.channels * plane;
    const int oc = m.out_channels;
    for (int start = 0; start < count; start += chunk) {
        const int n = std::min(chunk, count - start);
        m.ensure_capacity(n);
        m.forward(images + start * image_size, n);
        // NHWC -> NCHW
        for (int64_t i = 0; i < n; ++i)
            for (int64_t p = 0; p < plane; ++p)
                for (int o = 0; o < oc; ++o)
                    out[((start + i) * oc + o) * plane + p] = m.logit_buf.ptr[(i * plane + p) * oc + o];
    }
}

void Model::sample_row_naive(unsigned char* images, const unsigned char* known, int count,
                             int row, long long seed, long long first_index, float temperature) {
    ModelImpl& m = *impl_;
    const Config& c = m.cfg;
    m.check_sampling_args(images, count, row, first_index, temperature, "sample_row_naive");
    const int chunk = std::max(m.capacity, kEvalChunk);
    const int64_t plane = static_cast<int64_t>(c.height) * c.width;
    const int64_t image_size = c.channels * plane;
    const int oc = m.out_channels;
    for (int start = 0; start < count; start += chunk) {
        const int n = std::min(chunk, count - start);
        m.ensure_capacity(n);
        unsigned char* batch = images + start * image_size;
        const unsigned char* batch_known = known ? known + start * image_size : nullptr;
        for (int xpos = 0; xpos < c.width; ++xpos) {
            const int64_t pos = static_cast<int64_t>(row) * c.width + xpos;
            for (int ch = 0; ch < c.channels; ++ch) {
                m.forward(batch, n);  // naive: a full forward pass per pixel and channel
                for (int i = 0; i < n; ++i) {
                    const int64_t at = (static_cast<int64_t>(i) * c.channels + ch) * plane + pos;
                    if (batch_known && batch_known[at]) continue;
                    const float* l = m.logit_buf.data() + (static_cast<int64_t>(i) * plane + pos) * oc;
                    batch[at] = m.draw(l, ch, temperature, seed, first_index + start + i, pos);
                }
            }
        }
    }
}

void Model::set_threads(int threads) {
    PCNN_REQUIRE(threads >= 0 && threads <= 1024,
                 "threads: expected 0 (all) or a positive count up to 1024, got " << threads);
    impl_->cfg.threads = threads;
    impl_->pool.reset(new ThreadPool(resolve_threads(threads)));
    impl_->norm_partial.assign(impl_->pool->threads() + 1, 0.0);
}

std::string version() { return "0.1.0 (cpu)"; }

std::string blas_info() { return cpu::gemm_description() + " (BLAS: " + cpu::blas_description() + ")"; }

double measure_sgemm_gflops(int n, int threads, int reps) {
    PCNN_REQUIRE(n > 0 && n <= 8192, "sgemm size: expected 1..8192, got " << n);
    PCNN_REQUIRE(threads > 0 && threads <= 1024, "threads: expected 1..1024, got " << threads);
    PCNN_REQUIRE(reps > 0, "repetitions: expected a positive count, got " << reps);
    return cpu::sgemm_gflops(n, threads, reps);
}

}  // namespace pixelcnn
