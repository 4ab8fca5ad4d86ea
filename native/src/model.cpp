// The public API (pixelcnn.h): argument checks, then the graph walks of execute.cpp on the
// model's backend. Nothing here knows the architecture: that is net/.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "core/check.h"
#include "core/memory.h"
#include "core/rng.h"
#include "core/sampling.h"
#include "cpu/blas.h"
#include "cpu/gemm.h"
#include "execute.h"
#include "model_impl.h"
#include "net/networks.h"
#include "pixelcnn/pixelcnn.h"

namespace pixelcnn {

namespace {

// Largest batch a forward-only pass (likelihood, sampling) processes at once.
const int kEvalChunk = 32;

// Widest layer: keeps every channel product of the graph's int64 arithmetic far from overflow;
// whether a model of that size fits is require_memory's question.
const int kMaxWidth = 65536;

// Largest tensor: what one Java array and one checkpoint tensor of the Java API can hold.
const int64_t kMaxTensorValues = 2147483647;

void check_threads(int threads) {
    PCNN_REQUIRE(threads >= 0 && threads <= 1024,
                 "threads: expected 0 (all) or a positive count up to 1024, got " << threads);
}

}  // namespace

void check_config(const Config& c) {
    PCNN_REQUIRE(c.arch == ARCH_PIXELCNN || c.arch == ARCH_GATED,
                 "arch: expected ARCH_PIXELCNN (0) or ARCH_GATED (1), got " << c.arch);
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
        PCNN_REQUIRE(widths[i] > 0 && widths[i] <= kMaxWidth,
                     names[i] << ": expected a count in 1.." << kMaxWidth << ", got " << widths[i]);
        PCNN_REQUIRE(widths[i] % c.channels == 0,
                     names[i] << ": expected a multiple of the " << c.channels
                              << " image channels (one group per colour), got " << widths[i]);
    }
    if (c.arch == ARCH_GATED) {
        PCNN_REQUIRE(c.blocks >= 1 && c.blocks <= 1000, "blocks: a gated network expects 1..1000 layers, got " << c.blocks);
        PCNN_REQUIRE(c.classes >= 0 && c.classes <= kMaxWidth,
                     "classes: expected 0 (unconditional) or a count up to " << kMaxWidth << ", got " << c.classes);
    } else {
        PCNN_REQUIRE(c.blocks >= 0 && c.blocks <= 1000, "blocks: expected 0..1000, got " << c.blocks);
        PCNN_REQUIRE(c.classes == 0, "classes: the plain PixelCNN is unconditional (class conditioning is "
                                     "Gated PixelCNN's, ARCH_GATED); expected 0, got " << c.classes);
    }
    PCNN_REQUIRE(c.skip == 0 || c.skip == 1, "skip: expected 0 or 1, got " << c.skip);
    PCNN_REQUIRE(c.input_kernel >= 1 && c.input_kernel % 2 == 1 && c.input_kernel <= 31,
                 "input_kernel: expected an odd kernel size in 1..31, got " << c.input_kernel);
    PCNN_REQUIRE(c.block_kernel >= 1 && c.block_kernel % 2 == 1 && c.block_kernel <= 31,
                 "block_kernel: expected an odd kernel size in 1..31, got " << c.block_kernel);
    PCNN_REQUIRE(c.input_kernel > 1 || c.channels > 1,
                 "input_kernel: a 1x1 type A convolution sees nothing for one channel; expected >= 3");
    check_threads(c.threads);
    PCNN_REQUIRE(c.cuda_device >= -1 && c.cuda_device < 1024,
                 "cuda_device: expected -1 (the CPU) or a CUDA device index 0..1023, got " << c.cuda_device);
}

long long parameter_count(const Config& config) {
    check_config(config);
    long long total = 0;
    for (const net::TensorInfo& t : net::build_network(config).tensors) total += t.dense_size();
    return total;
}

ModelImpl::ModelImpl(const Config& config) : cfg(config) {
    check_config(cfg);
    graph = net::build_network(cfg);
    int64_t dense_values = 0;
    for (const net::TensorInfo& t : graph.tensors) {
        PCNN_REQUIRE(t.dense_size() <= kMaxTensorValues,
                     "memory: tensor " << t.name << " would hold " << t.dense_size() << " values, more than the "
                                       << kMaxTensorValues << " one tensor can hold");
        dense_values += t.dense_size();
    }
    // Weights, gradients and both Adam moments (the packed, live floats of each).
    require_memory(4.0 * sizeof(float) * static_cast<double>(graph.param_floats),
                   "a model of " + std::to_string(dense_values) + " parameters (weights, gradients and Adam moments)");
    backend = cfg.cuda_device >= 0 ? make_cuda_backend(cfg.cuda_device) : make_cpu_backend(cfg.threads);
    for (const net::Node& n : graph.nodes) {
        std::string why;
        PCNN_REQUIRE(backend->supports(graph, n, &why), "backend " << backend->name() << " cannot run "
                                                                   << net::op_name(n.op) << " (" << n.name
                                                                   << "): " << why);
    }
    params = Buffer::floats(*backend, graph.param_floats);
    grads = Buffer::floats(*backend, graph.param_floats);
    adam_m = Buffer::floats(*backend, graph.param_floats);
    adam_v = Buffer::floats(*backend, graph.param_floats);
    init_weights();
}

void ModelImpl::init_weights() {
    const uint64_t seed = static_cast<uint64_t>(cfg.seed);
    for (const net::TensorInfo& t : graph.tensors) {
        std::vector<float> values(static_cast<size_t>(t.size));
        for (int64_t i = 0; i < t.size; ++i) {
            const double u = uniform_for(seed, t.init_stream, static_cast<uint32_t>(i), t.init_tag);
            values[i] = static_cast<float>((2.0 * u - 1.0) * t.init_bound);
        }
        if (t.layout == net::TensorInfo::PackedConvWeight) graph.convs[t.conv].zero_masked_centre(values.data());
        backend->upload(params.f() + t.offset, values.data(), values.size() * sizeof(float));
    }
}

void ModelImpl::ensure_capacity(int count) {
    if (count <= capacity) return;
    const int64_t P = shape(count).positions();
    PCNN_REQUIRE(P <= INT32_MAX, "memory: a batch of " << count << " images of " << cfg.height << "x" << cfg.width
                                                       << " is " << P << " pixels, more than the " << INT32_MAX
                                                       << " one call can take; use smaller batches");
    // Release the old arena first so peak memory is one arena, not two.
    capacity = 0;
    arena.reset();
    plan = net::plan_arena(graph, P);
    require_memory(sizeof(float) * static_cast<double>(plan.total_floats),
                   "working memory for a batch of " + std::to_string(count) + (count == 1 ? " image" : " images"));
    arena = Buffer::floats(*backend, plan.total_floats);
    backend->fill(at(plan.ones), P, 1.0f);
    row_nll.assign(static_cast<size_t>(count) * cfg.height, 0.0);
    labels = Buffer(*backend, cfg.classes > 0 ? sizeof(int) * static_cast<size_t>(count) : 0);
    capacity = count;
}

void ModelImpl::check_images(const unsigned char* images, int count, const char* what) const {
    PCNN_REQUIRE(count > 0, what << ": expected at least one image, got " << count);
    PCNN_REQUIRE(images != nullptr, what << ": image data is null");
    const int64_t n = shape(count).positions() * cfg.channels;
    for (int64_t i = 0; i < n; ++i) {
        PCNN_REQUIRE(images[i] < cfg.levels,
                     what << ": pixel value " << int(images[i]) << " at index " << i
                          << " is outside [0, " << cfg.levels - 1 << "]");
    }
}

void ModelImpl::check_labels(const int* labels, int count, const char* what) const {
    if (cfg.classes == 0) {
        PCNN_REQUIRE(labels == nullptr, what << ": labels given, but the model is unconditional (classes = 0)");
        return;
    }
    PCNN_REQUIRE(labels != nullptr, what << ": the model is conditioned on " << cfg.classes
                                         << " classes; expected one label per image, got none");
    for (int i = 0; i < count; ++i)
        PCNN_REQUIRE(labels[i] >= 0 && labels[i] < cfg.classes,
                     what << ": label " << labels[i] << " of image " << i << " is outside [0, " << cfg.classes - 1 << "]");
}

void ModelImpl::check_sampling_args(const unsigned char* images, int count, int row, long long first_index,
                                    float temperature, const char* what) const {
    PCNN_REQUIRE(row >= 0 && row < cfg.height, what << ": row: expected 0.." << cfg.height - 1 << ", got " << row);
    PCNN_REQUIRE(std::isfinite(temperature) && temperature > 0.0f,
                 what << ": temperature: expected a positive finite value, got " << temperature);
    PCNN_REQUIRE(first_index >= 0, what << ": first image index: expected >= 0, got " << first_index);
    check_images(images, count, what);
}

void ModelImpl::unpack(const net::TensorInfo& t, const float* packed, float* dense) const {
    if (t.layout == net::TensorInfo::Dense) {
        std::memcpy(dense, packed, sizeof(float) * t.size);
        return;
    }
    const net::MaskedConv& conv = graph.convs[t.conv];
    const int kh = conv.mask.kh, kw = conv.mask.kw, IC = conv.in_channels, OC = conv.out_channels;
    std::fill(dense, dense + t.dense_size(), 0.0f);
    for (int tap = 0; tap < conv.taps; ++tap) {
        const int i = conv.tap_dy[tap] + conv.mask.anchor_y, j = conv.tap_dx[tap] + conv.mask.anchor_x;
        for (int q = 0; q < IC; ++q)
            for (int o = 0; o < OC; ++o)
                dense[((static_cast<int64_t>(o) * IC + q) * kh + i) * kw + j] =
                    packed[(static_cast<int64_t>(tap) * IC + q) * OC + o];
    }
}

void ModelImpl::pack(const net::TensorInfo& t, const float* dense, float* packed) const {
    if (t.layout == net::TensorInfo::Dense) {
        std::memcpy(packed, dense, sizeof(float) * t.size);
        return;
    }
    const net::MaskedConv& conv = graph.convs[t.conv];
    const int kh = conv.mask.kh, kw = conv.mask.kw, IC = conv.in_channels, OC = conv.out_channels;
    for (int tap = 0; tap < conv.taps; ++tap) {
        const int i = conv.tap_dy[tap] + conv.mask.anchor_y, j = conv.tap_dx[tap] + conv.mask.anchor_x;
        for (int q = 0; q < IC; ++q)
            for (int o = 0; o < OC; ++o)
                packed[(static_cast<int64_t>(tap) * IC + q) * OC + o] = dense[((static_cast<int64_t>(o) * IC + q) * kh + i) * kw + j];
    }
    conv.zero_masked_centre(packed);  // masked taps hold +0 whatever the caller passed
}

Buffer& ModelImpl::blob(int kind) {
    switch (kind) {
        case TENSOR_PARAM: return params;
        case TENSOR_GRAD: return grads;
        case TENSOR_ADAM_M: return adam_m;
        case TENSOR_ADAM_V: return adam_v;
    }
    std::ostringstream os;
    os << "tensor kind: expected 0 (param), 1 (grad), 2 (adam m) or 3 (adam v), got " << kind;
    fail_argument(os.str());
}

// ---------------------------------------------------------------------------------------------
// Model: argument checks, then the implementation.

Model::Model(const Config& config) : impl_(new ModelImpl(config)) {}
Model::~Model() { delete impl_; }

const Config& Model::config() const { return impl_->cfg; }
int Model::logit_channels() const { return impl_->logit_channels(); }

long long Model::parameter_count() const {
    long long total = 0;
    for (int i = 0; i < tensor_count(); ++i) total += tensor_size(i);
    return total;
}

double Model::forward_flops_per_image() const {
    return impl_->graph.forward_flops_per_position() * impl_->cfg.height * impl_->cfg.width;
}

double Model::training_flops_per_image() const {
    return impl_->graph.training_flops_per_position() * impl_->cfg.height * impl_->cfg.width;
}

int Model::tensor_count() const { return static_cast<int>(impl_->graph.tensors.size()); }

static const net::TensorInfo& tensor_at(const ModelImpl* m, int index) {
    const int count = static_cast<int>(m->graph.tensors.size());
    PCNN_REQUIRE(index >= 0 && index < count, "tensor index: expected 0.." << count - 1 << ", got " << index);
    return m->graph.tensors[index];
}

std::string Model::tensor_name(int index) const { return tensor_at(impl_, index).name; }

int Model::tensor_rank(int index) const { return static_cast<int>(tensor_at(impl_, index).shape.size()); }

long long Model::tensor_dim(int index, int axis) const {
    const net::TensorInfo& t = tensor_at(impl_, index);
    const int rank = static_cast<int>(t.shape.size());
    PCNN_REQUIRE(axis >= 0 && axis < rank, "axis: expected 0.." << rank - 1 << ", got " << axis);
    return t.shape[axis];
}

long long Model::tensor_size(int index) const { return tensor_at(impl_, index).dense_size(); }

void Model::read_tensor(int kind, int index, float* out) const {
    const net::TensorInfo& t = tensor_at(impl_, index);
    PCNN_REQUIRE(out != nullptr, "read_tensor: output buffer is null");
    const Buffer& blob = impl_->blob(kind);
    std::vector<float> packed(static_cast<size_t>(t.size));
    impl_->backend->download(packed.data(), blob.f() + t.offset, packed.size() * sizeof(float));
    impl_->unpack(t, packed.data(), out);
}

void Model::write_tensor(int kind, int index, const float* in) {
    const net::TensorInfo& t = tensor_at(impl_, index);
    PCNN_REQUIRE(in != nullptr, "write_tensor: input buffer is null");
    Buffer& blob = impl_->blob(kind);
    const long long n = t.dense_size();
    for (long long i = 0; i < n; ++i) {
        PCNN_REQUIRE(std::isfinite(in[i]), "tensor " << t.name << ": value " << in[i] << " at index " << i
                                                     << " is not finite");
        PCNN_REQUIRE(kind != TENSOR_ADAM_V || in[i] >= 0.0f,
                     "tensor " << t.name << ": Adam second moment " << in[i] << " at index " << i << " is negative");
    }
    std::vector<float> packed(static_cast<size_t>(t.size));
    impl_->pack(t, in, packed.data());
    impl_->backend->upload(blob.f() + t.offset, packed.data(), packed.size() * sizeof(float));
}

void Model::read_mask(int index, float* out) const {
    const net::TensorInfo& t = tensor_at(impl_, index);
    PCNN_REQUIRE(out != nullptr, "read_mask: output buffer is null");
    // Ones through the same pack and unpack as the weights, so mask and layout agree.
    std::vector<float> ones(static_cast<size_t>(t.dense_size()), 1.0f), packed(static_cast<size_t>(t.size));
    impl_->pack(t, ones.data(), packed.data());
    impl_->unpack(t, packed.data(), out);
}

long long Model::packed_size() const { return impl_->graph.param_floats; }

void Model::read_packed(int kind, float* out) const {
    PCNN_REQUIRE(out != nullptr, "read_packed: output buffer is null");
    const Buffer& blob = impl_->blob(kind);
    impl_->backend->download(out, blob.f(), static_cast<size_t>(impl_->graph.param_floats) * sizeof(float));
}

void Model::write_packed(int kind, const float* in) {
    PCNN_REQUIRE(in != nullptr, "write_packed: input buffer is null");
    Buffer& blob = impl_->blob(kind);
    const int64_t n = impl_->graph.param_floats;
    for (int64_t i = 0; i < n; ++i) {
        PCNN_REQUIRE(std::isfinite(in[i]), "write_packed: value " << in[i] << " at index " << i << " is not finite");
        PCNN_REQUIRE(kind != TENSOR_ADAM_V || in[i] >= 0.0f,
                     "write_packed: Adam second moment " << in[i] << " at index " << i << " is negative");
    }
    impl_->backend->upload(blob.f(), in, static_cast<size_t>(n) * sizeof(float));
}

long long Model::adam_step_count() const { return impl_->adam_steps; }

void Model::set_adam_step_count(long long steps) {
    PCNN_REQUIRE(steps >= 0, "adam step count: expected >= 0, got " << steps);
    impl_->adam_steps = steps;
}

float Model::forward_backward(const unsigned char* images, int count) { return forward_backward(images, nullptr, count); }

// Forward, loss and backward over `count` images whose gradient is that of their NLL sum over
// C*H*W*global_count: the whole batch's mean (global_count = count) or one share of a larger
// batch. Returns the summed NLL in nats.
static double batch_gradient(ModelImpl& m, const unsigned char* images, const int* labels, int count,
                             int global_count, const char* what) {
    m.check_images(images, count, what);
    m.check_labels(labels, count, what);
    m.ensure_capacity(count);
    const double dims = static_cast<double>(m.cfg.channels) * m.cfg.height * m.cfg.width;
    exec::forward(m, images, labels, count);
    const double total = exec::loss(m, images, count, true, static_cast<float>(1.0 / (dims * global_count)));
    exec::backward(m, count);
    return total;
}

float Model::forward_backward(const unsigned char* images, const int* labels, int count) {
    return static_cast<float>(batch_gradient(*impl_, images, labels, count, count, "forward_backward") / count);
}

double Model::forward_backward_share(const unsigned char* images, const int* labels, int count, int global_count) {
    ModelImpl& m = *impl_;
    PCNN_REQUIRE(count >= 0, "forward_backward_share: expected count >= 0, got " << count);
    PCNN_REQUIRE(global_count >= 1 && global_count >= count,
                 "forward_backward_share: expected global_count >= max(1, count) = " << std::max(1, count)
                                                                                  << ", got " << global_count);
    if (count == 0) {
        // A worker whose share of this batch is empty adds nothing.
        std::vector<float> zeros(static_cast<size_t>(m.graph.param_floats), 0.0f);
        m.backend->upload(m.grads.f(), zeros.data(), zeros.size() * sizeof(float));
        return 0.0;
    }
    return batch_gradient(m, images, labels, count, global_count, "forward_backward_share");
}

// A setting the update uses as a float: positive and finite in float, not only in double (1e300
// becomes infinity, 1e-50 becomes 0).
static bool positive_float(double x) {
    const float f = static_cast<float>(x);
    return std::isfinite(x) && std::isfinite(f) && f > 0.0f;
}

void Model::adam_step(const AdamConfig& adam) {
    PCNN_REQUIRE(positive_float(adam.learning_rate),
                 "learning rate: expected a positive value that is finite as a float (the engine computes in "
                 "float32), got " << adam.learning_rate);
    PCNN_REQUIRE(adam.beta1 >= 0.0 && adam.beta1 < 1.0 && static_cast<float>(adam.beta1) < 1.0f,
                 "beta1: expected a value in [0, 1) that stays below 1 as a float, got " << adam.beta1);
    PCNN_REQUIRE(adam.beta2 >= 0.0 && adam.beta2 < 1.0 && static_cast<float>(adam.beta2) < 1.0f,
                 "beta2: expected a value in [0, 1) that stays below 1 as a float, got " << adam.beta2);
    PCNN_REQUIRE(positive_float(adam.eps),
                 "eps: expected a positive value that is finite as a float (the engine computes in float32), got "
                     << adam.eps);
    PCNN_REQUIRE(adam.clip_norm == 0.0 || positive_float(adam.clip_norm),
                 "clip_norm: expected 0 (off) or a positive value finite as a float, got " << adam.clip_norm);
    PCNN_REQUIRE(adam.weight_decay == 0.0 || positive_float(adam.weight_decay),
                 "weight_decay: expected 0 (off) or a positive value finite as a float, got " << adam.weight_decay);
    ModelImpl& m = *impl_;
    const int64_t n = m.graph.param_floats;
    AdamStep step;
    step.weight_decay = adam.weight_decay;
    step.learning_rate = adam.learning_rate;
    step.beta1 = adam.beta1;
    step.beta2 = adam.beta2;
    step.eps = adam.eps;
    if (adam.clip_norm > 0.0) {
        const double norm = std::sqrt(m.backend->sum_squares(m.grads.f(), n));
        if (norm > adam.clip_norm) step.grad_scale = static_cast<float>(adam.clip_norm / (norm + 1e-6));
    }
    step.step = m.adam_steps + 1;
    // Checked before anything is written: a step that would make a weight or a moment
    // non-finite leaves the model as it was (a model that load would refuse is never made).
    PCNN_REQUIRE(m.backend->adam_stays_finite(m.params.f(), m.grads.f(), m.adam_m.f(), m.adam_v.f(), n, step),
                 "training diverged: this Adam step would make a weight or an Adam moment non-finite (learning rate "
                     << adam.learning_rate << ", eps " << adam.eps
                     << "); the model is unchanged; lower the learning rate or enable clip_norm");
    m.adam_steps = step.step;
    m.backend->adam_update(m.params.f(), m.grads.f(), m.adam_m.f(), m.adam_v.f(), n, step);
}

float Model::train_step(const unsigned char* images, int count, const AdamConfig& adam) {
    return train_step(images, nullptr, count, adam);
}

float Model::train_step(const unsigned char* images, const int* labels, int count, const AdamConfig& adam) {
    const float loss = forward_backward(images, labels, count);
    PCNN_REQUIRE(std::isfinite(loss), "training diverged: the loss is " << loss
                                          << "; lower the learning rate or enable clip_norm");
    adam_step(adam);
    return loss;
}

void Model::log_likelihood(const unsigned char* images, int count, double* nll_out) {
    log_likelihood(images, nullptr, count, nll_out);
}

// Per-image NLL (nll_out, nullable) and per-value maps (map_out, NCHW, nullable) in chunks of
// the working memory: the one scoring loop of log_likelihood and log_likelihood_map.
static void score(ModelImpl& m, const unsigned char* images, const int* labels, int count, double* nll_out,
                  float* map_out) {
    const int chunk = std::max(m.capacity, kEvalChunk);
    const int C = m.cfg.channels;
    const int64_t plane = static_cast<int64_t>(m.cfg.height) * m.cfg.width;
    const int64_t image_size = C * plane;
    std::vector<float> values;  // one chunk's maps, position * C + channel
    for (int start = 0; start < count; start += chunk) {
        const int n = std::min(chunk, count - start);
        m.ensure_capacity(n);
        if (map_out) values.resize(static_cast<size_t>(n * image_size));
        const unsigned char* batch = images + start * image_size;
        exec::forward(m, batch, labels ? labels + start : nullptr, n);
        exec::loss(m, batch, n, false, 0.0f, map_out ? values.data() : nullptr);
        for (int i = 0; i < n; ++i) {
            if (map_out) {
                float* map = map_out + (start + i) * image_size;
                const float* v = values.data() + i * image_size;
                for (int64_t p = 0; p < plane; ++p)
                    for (int c = 0; c < C; ++c) map[c * plane + p] = v[p * C + c];
            }
            if (nll_out) {
                double total = 0.0;
                for (int y = 0; y < m.cfg.height; ++y) total += m.row_nll[static_cast<int64_t>(i) * m.cfg.height + y];
                nll_out[start + i] = total;
            }
        }
    }
}

void Model::log_likelihood(const unsigned char* images, const int* labels, int count, double* nll_out) {
    ModelImpl& m = *impl_;
    m.check_images(images, count, "log_likelihood");
    m.check_labels(labels, count, "log_likelihood");
    PCNN_REQUIRE(nll_out != nullptr, "log_likelihood: output buffer is null");
    score(m, images, labels, count, nll_out, nullptr);
}

void Model::log_likelihood_map(const unsigned char* images, const int* labels, int count, double* nll_out,
                               float* map_out) {
    ModelImpl& m = *impl_;
    m.check_images(images, count, "log_likelihood_map");
    m.check_labels(labels, count, "log_likelihood_map");
    PCNN_REQUIRE(map_out != nullptr, "log_likelihood_map: map buffer is null");
    score(m, images, labels, count, nll_out, map_out);
}

void Model::logits(const unsigned char* images, int count, float* out) { logits(images, nullptr, count, out); }

void Model::logits(const unsigned char* images, const int* labels, int count, float* out) {
    ModelImpl& m = *impl_;
    m.check_images(images, count, "logits");
    m.check_labels(labels, count, "logits");
    PCNN_REQUIRE(out != nullptr, "logits: output buffer is null");
    const int chunk = std::max(m.capacity, kEvalChunk);
    const int64_t plane = static_cast<int64_t>(m.cfg.height) * m.cfg.width;
    const int64_t image_size = m.cfg.channels * plane;
    const int oc = m.logit_channels();
    std::vector<float> host;
    for (int start = 0; start < count; start += chunk) {
        const int n = std::min(chunk, count - start);
        m.ensure_capacity(n);
        exec::forward(m, images + start * image_size, labels ? labels + start : nullptr, n);
        host.resize(static_cast<size_t>(n) * plane * oc);
        m.backend->download(host.data(), m.value(m.graph.logits_buffer), host.size() * sizeof(float));
        // NHWC -> NCHW
        for (int64_t i = 0; i < n; ++i)
            for (int64_t p = 0; p < plane; ++p)
                for (int o = 0; o < oc; ++o) out[((start + i) * oc + o) * plane + p] = host[(i * plane + p) * oc + o];
    }
}

void Model::sample_row_naive(unsigned char* images, const unsigned char* known, int count, int row, long long seed,
                             long long first_index, float temperature) {
    sample_row_naive(images, known, nullptr, count, row, seed, first_index, temperature);
}

void Model::sample_row_naive(unsigned char* images, const unsigned char* known, const int* labels, int count, int row,
                             long long seed, long long first_index, float temperature) {
    ModelImpl& m = *impl_;
    const Config& c = m.cfg;
    m.check_sampling_args(images, count, row, first_index, temperature, "sample_row_naive");
    m.check_labels(labels, count, "sample_row_naive");
    const int chunk = std::max(m.capacity, kEvalChunk);
    const int64_t plane = static_cast<int64_t>(c.height) * c.width;
    const int64_t image_size = c.channels * plane;
    const int oc = m.logit_channels();
    std::vector<float> logits_at(static_cast<size_t>(oc));
    for (int start = 0; start < count; start += chunk) {
        const int n = std::min(chunk, count - start);
        m.ensure_capacity(n);
        unsigned char* batch = images + start * image_size;
        const unsigned char* batch_known = known ? known + start * image_size : nullptr;
        for (int xpos = 0; xpos < c.width; ++xpos) {
            const int64_t pos = static_cast<int64_t>(row) * c.width + xpos;
            for (int ch = 0; ch < c.channels; ++ch) {
                exec::forward(m, batch, labels ? labels + start : nullptr, n);  // naive: a full forward pass per pixel and channel
                for (int i = 0; i < n; ++i) {
                    const int64_t at = (static_cast<int64_t>(i) * c.channels + ch) * plane + pos;
                    if (batch_known && batch_known[at]) continue;
                    m.backend->download(logits_at.data(), m.value(m.graph.logits_buffer) + (i * plane + pos) * oc,
                                        logits_at.size() * sizeof(float));
                    batch[at] = draw_value(logits_at.data(), ch, c.head == HEAD_BERNOULLI, c.levels, temperature, seed,
                                           first_index + start + i, pos);
                }
            }
        }
    }
}

void Model::set_threads(int threads) {
    check_threads(threads);
    impl_->cfg.threads = threads;
    impl_->backend->set_threads(threads);
}

std::string version() {
#if defined(PIXELCNN_CUDA_EMULATE)
    return "0.1.0 (cpu, cuda emulated on the host)";
#elif defined(PIXELCNN_WITH_CUDA)
    return "0.1.0 (cpu, cuda)";
#else
    return "0.1.0 (cpu)";
#endif
}

std::string blas_info() { return cpu::gemm_description() + " (BLAS: " + cpu::blas_description() + ")"; }

double measure_sgemm_gflops(int n, int threads, int reps) {
    PCNN_REQUIRE(n > 0 && n <= 8192, "sgemm size: expected 1..8192, got " << n);
    PCNN_REQUIRE(threads > 0 && threads <= 1024, "threads: expected 1..1024, got " << threads);
    PCNN_REQUIRE(reps > 0, "repetitions: expected a positive count, got " << reps);
    return cpu::sgemm_gflops(n, threads, reps);
}

}  // namespace pixelcnn
