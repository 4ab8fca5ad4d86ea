// The CUDA backend against the CPU: the same model (same configuration, same seed, so the same
// weights) built on both, for the plain and the gated network, both heads, grayscale and colour,
// conditional or not. Checked: logits, the loss, every parameter gradient, one Adam step and 20
// steps of training, likelihoods; on the GPU, cached sampling equal to naive sampling bit for
// bit (with known pixels too), the same images at any batch size; CPU and GPU samples for the
// same seed compared (the fraction of identical pixels is printed: the two compute logits with
// sums in different orders, so a draw whose uniform number falls within rounding of its
// threshold can differ, and the image diverges from there). Device errors, listing and memory.
//
// Built only with the CUDA backend. It runs on a GPU (native/tests/gpu/run.sh), and in every CI
// build against the host emulation (PIXELCNN_CUDA_EMULATE), which runs the same kernels and the
// same backend code one thread after another. With no device it says so and exits 77, which
// CTest counts as skipped, not passed.
//
// Tolerances (a = the GPU's value, r = the CPU's): |a - r| <= abs + |r| * rel, with abs scaled
// to the tensor's largest magnitude for gradients; stated at each check.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "expect.h"
#include "pixelcnn/pixelcnn.h"
#if defined(PIXELCNN_CUDA_EMULATE)
#include "cuda/emulate.h"
#endif

using pixelcnn::Config;
using Bytes = std::vector<unsigned char>;

namespace {

struct Variant {
    const char* name;
    int arch, channels, head, levels, classes;
};

const Variant kVariants[] = {
    {"plain, binary", pixelcnn::ARCH_PIXELCNN, 1, pixelcnn::HEAD_BERNOULLI, 2, 0},
    {"plain, colour, 16 levels", pixelcnn::ARCH_PIXELCNN, 3, pixelcnn::HEAD_CATEGORICAL, 16, 0},
    {"gated, binary, 3 classes", pixelcnn::ARCH_GATED, 1, pixelcnn::HEAD_BERNOULLI, 2, 3},
    {"gated, colour, 8 levels, 2 classes", pixelcnn::ARCH_GATED, 3, pixelcnn::HEAD_CATEGORICAL, 8, 2},
};

Config config_of(const Variant& v, int device) {
    Config c;
    c.arch = v.arch;
    c.channels = v.channels;
    c.head = v.head;
    c.levels = v.levels;
    c.classes = v.classes;
    c.height = 9;
    c.width = 7;
    c.hidden_channels = 12;
    c.residual_channels = 6;
    c.head_channels = 9;
    c.blocks = 2;
    c.input_kernel = 5;
    c.block_kernel = 3;
    c.seed = 77;
    c.threads = 1;
    c.cuda_device = device;
    return c;
}

size_t image_bytes(const Config& c) { return static_cast<size_t>(c.channels) * c.height * c.width; }

Bytes random_images(const Config& c, int count, unsigned seed) {
    std::mt19937 rng(seed);
    Bytes img(image_bytes(c) * count);
    for (auto& v : img) v = static_cast<unsigned char>(rng() % c.levels);
    return img;
}

std::vector<int> labels_for(const Config& c, int count) {
    std::vector<int> labels;
    for (int i = 0; i < count && c.classes > 0; ++i) labels.push_back((i * 2 + 1) % c.classes);
    return labels;
}

const int* or_null(const std::vector<int>& v) { return v.empty() ? nullptr : v.data(); }

// Largest |a - r| - (abs + rel |r|) over two arrays: <= 0 when every value is within tolerance.
struct Worst {
    double excess = -1e300, diff = 0, value = 0, ref = 0;
    size_t at = 0;
};

template <class T>
Worst compare(const T* a, const T* r, size_t n, double abs, double rel) {
    Worst w;
    for (size_t i = 0; i < n; ++i) {
        const double d = std::fabs(static_cast<double>(a[i]) - static_cast<double>(r[i]));
        const double excess = std::isfinite(d) ? d - (abs + rel * std::fabs(static_cast<double>(r[i]))) : 1e300;
        if (excess > w.excess) w = Worst{excess, d, static_cast<double>(a[i]), static_cast<double>(r[i]), i};
    }
    return w;
}

double max_abs(const std::vector<float>& v) {
    double m = 0;
    for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
    return m;
}

std::vector<float> tensor(const pixelcnn::Model& m, int kind, int index) {
    std::vector<float> v(static_cast<size_t>(m.tensor_size(index)));
    m.read_tensor(kind, index, v.data());
    return v;
}

// Every tensor of `kind` of the GPU model within abs_scale * (tensor's largest |value|) + rel |r|.
void compare_tensors(const pixelcnn::Model& gpu, const pixelcnn::Model& cpu, int kind, double abs_scale, double rel,
                     const std::string& what) {
    double worst_ratio = 0;
    for (int t = 0; t < cpu.tensor_count(); ++t) {
        const std::vector<float> a = tensor(gpu, kind, t), r = tensor(cpu, kind, t);
        const double abs = abs_scale * std::max(max_abs(r), 1e-30);
        const Worst w = compare(a.data(), r.data(), a.size(), abs, rel);
        EXPECT(w.excess <= 0, "%s: %s[%zu] is %.9g on the GPU, %.9g on the CPU (tolerance %.3g + %.1g |r|)",
               what.c_str(), cpu.tensor_name(t).c_str(), w.at, w.value, w.ref, abs, rel);
        if (w.excess > 0) std::fprintf(stderr, "  difference %.3g\n", w.diff);
        const double allowed = abs + rel * std::fabs(w.ref);
        worst_ratio = std::max(worst_ratio, allowed > 0 ? w.diff / allowed : (w.diff > 0 ? 1e300 : 0.0));
    }
    std::printf("  %-28s worst difference %.2f of its tolerance\n", what.c_str(), worst_ratio);
}

Bytes sample_cached(pixelcnn::Model& m, int count, long long seed, long long first_index, const Bytes* known_values,
                    const Bytes* known) {
    Bytes img = known_values ? *known_values : Bytes(image_bytes(m.config()) * count, 0);
    const std::vector<int> labels = labels_for(m.config(), count);
    pixelcnn::CachedSampler sampler(m, count);
    for (int y = 0; y < m.config().height; ++y)
        sampler.sample_row(img.data(), known ? known->data() : nullptr, or_null(labels), y, seed, first_index, 1.0f);
    return img;
}

Bytes sample_naive(pixelcnn::Model& m, int count, long long seed, const Bytes* known_values, const Bytes* known) {
    Bytes img = known_values ? *known_values : Bytes(image_bytes(m.config()) * count, 0);
    const std::vector<int> labels = labels_for(m.config(), count);
    for (int y = 0; y < m.config().height; ++y)
        m.sample_row_naive(img.data(), known ? known->data() : nullptr, or_null(labels), count, y, seed, 0, 1.0f);
    return img;
}

void check_variant(const Variant& v) {
    std::printf("%s\n", v.name);
    const Config cc = config_of(v, -1), gc = config_of(v, 0);
    pixelcnn::Model cpu(cc), gpu(gc);
    const int count = 5;
    const Bytes images = random_images(cc, count, 11);
    const std::vector<int> labels = labels_for(cc, count);

    // Weights: made on the host from the seed, copied up unchanged.
    compare_tensors(gpu, cpu, pixelcnn::TENSOR_PARAM, 0.0, 0.0, "initial weights (exact)");

    // Logits: |a - r| <= 1e-5 + 1e-4 |r| (float sums of at most a few hundred terms).
    const size_t n_logits = static_cast<size_t>(count) * cpu.logit_channels() * cc.height * cc.width;
    std::vector<float> la(n_logits), lr(n_logits);
    gpu.logits(images.data(), or_null(labels), count, la.data());
    cpu.logits(images.data(), or_null(labels), count, lr.data());
    const Worst wl = compare(la.data(), lr.data(), n_logits, 1e-5, 1e-4);
    EXPECT(wl.excess <= 0, "%s: logit %zu differs by %.3g (CPU %.9g)", v.name, wl.at, wl.diff, wl.ref);

    // Likelihoods and the loss: relative 1e-5.
    std::vector<double> na(count), nr(count);
    gpu.log_likelihood(images.data(), or_null(labels), count, na.data());
    cpu.log_likelihood(images.data(), or_null(labels), count, nr.data());
    const Worst wn = compare(na.data(), nr.data(), na.size(), 0.0, 1e-5);
    EXPECT(wn.excess <= 0, "%s: NLL of image %zu: %.9g on the GPU, %.9g on the CPU", v.name, wn.at,
           na[wn.at], nr[wn.at]);
    // NLL maps: each value within 1e-5 + 1e-4 of the CPU's (a log of the logits' softmax); the
    // GPU's totals are its log_likelihood's, bit for bit.
    const size_t n_map = static_cast<size_t>(count) * cc.channels * cc.height * cc.width;
    std::vector<float> ma(n_map), mr(n_map);
    std::vector<double> ta(count);
    gpu.log_likelihood_map(images.data(), or_null(labels), count, ta.data(), ma.data());
    cpu.log_likelihood_map(images.data(), or_null(labels), count, nullptr, mr.data());
    const Worst wm = compare(ma.data(), mr.data(), n_map, 1e-5, 1e-4);
    EXPECT(wm.excess <= 0, "%s: NLL map value %zu differs by %.3g (CPU %.9g)", v.name, wm.at, wm.diff, wm.ref);
    EXPECT(ta == na, "%s: the GPU's map totals differ from its log_likelihood", v.name);
    const float loss_a = gpu.forward_backward(images.data(), or_null(labels), count);
    const float loss_r = cpu.forward_backward(images.data(), or_null(labels), count);
    EXPECT(std::fabs(loss_a - loss_r) <= 1e-5 * std::fabs(loss_r), "%s: loss %.9g on the GPU, %.9g on the CPU",
           v.name, loss_a, loss_r);

    // Gradients: |a - r| <= 1e-5 * max |r| of the tensor + 1e-3 |r| (sums over every position).
    compare_tensors(gpu, cpu, pixelcnn::TENSOR_GRAD, 1e-5, 1e-3, "gradients");

    // Adam from the same gradients (the CPU's, written to both): the same float operations in
    // the same order (no fused multiply-adds on either side), so the same bits.
    pixelcnn::AdamConfig adam;
    adam.learning_rate = 1e-3;
    for (int t = 0; t < cpu.tensor_count(); ++t) {
        const std::vector<float> g = tensor(cpu, pixelcnn::TENSOR_GRAD, t);
        gpu.write_tensor(pixelcnn::TENSOR_GRAD, t, g.data());
    }
    gpu.adam_step(adam);
    cpu.adam_step(adam);
    compare_tensors(gpu, cpu, pixelcnn::TENSOR_PARAM, 0.0, 0.0, "weights after 1 step (exact)");
    compare_tensors(gpu, cpu, pixelcnn::TENSOR_ADAM_V, 0.0, 0.0, "second moments (exact)");
    // 20 steps of training on fresh batches, each side from its own gradients: Adam moves each
    // weight by at most about the learning rate a step whatever the gradient's size, so rounding
    // in a near-zero gradient can move a weight differently by up to that; the weights must
    // agree within 21 steps of 1% of the learning rate.
    for (int step = 0; step < 20; ++step) {
        const Bytes batch = random_images(cc, count, 100 + step);
        gpu.train_step(batch.data(), or_null(labels), count, adam);
        cpu.train_step(batch.data(), or_null(labels), count, adam);
    }
    const double step_tolerance = 21 * 0.01 * adam.learning_rate;
    double worst = 0;
    for (int t = 0; t < cpu.tensor_count(); ++t) {
        const std::vector<float> a = tensor(gpu, pixelcnn::TENSOR_PARAM, t), r = tensor(cpu, pixelcnn::TENSOR_PARAM, t);
        const Worst w = compare(a.data(), r.data(), a.size(), step_tolerance, 0.0);
        EXPECT(w.excess <= 0, "%s: %s[%zu] after 21 steps differs by %.3g", v.name, cpu.tensor_name(t).c_str(), w.at,
               w.diff);
        worst = std::max(worst, w.diff);
    }
    std::printf("  %-28s worst difference %.3g (tolerance %.3g)\n", "weights after 21 steps", worst, step_tolerance);
    EXPECT(gpu.adam_step_count() == cpu.adam_step_count(), "%s: step counts differ", v.name);

    // Sampling on the GPU: cached equals naive, bit for bit, with and without known pixels.
    const Bytes cached = sample_cached(gpu, count, 5, 0, nullptr, nullptr);
    const Bytes naive = sample_naive(gpu, count, 5, nullptr, nullptr);
    EXPECT(cached == naive, "%s: cached and naive sampling differ on the GPU", v.name);
    // The per-op path (a launch per op and position) draws the same as the one-launch row.
    setenv("PIXELCNN4J_CUDA_SAMPLER", "ops", 1);
    const Bytes per_op = sample_cached(gpu, count, 5, 0, nullptr, nullptr);
    const Bytes per_op_known = [&] {
        const Bytes start = random_images(cc, count, 23);
        Bytes known(per_op.size(), 0);
        for (size_t i = 0; i < known.size(); i += 3) known[i] = 1;
        return sample_cached(gpu, count, 6, 0, &start, &known);
    }();
    unsetenv("PIXELCNN4J_CUDA_SAMPLER");
    EXPECT(per_op == naive, "%s: the per-op cached sampler differs from naive sampling on the GPU", v.name);
    Bytes known(cached.size(), 0);
    for (size_t i = 0; i < known.size(); i += 3) known[i] = 1;
    const Bytes start = random_images(cc, count, 23);
    const Bytes cached_known = sample_cached(gpu, count, 6, 0, &start, &known);
    const Bytes naive_known = sample_naive(gpu, count, 6, &start, &known);
    EXPECT(cached_known == naive_known, "%s: with known pixels, cached and naive sampling differ", v.name);
    EXPECT(per_op_known == naive_known, "%s: with known pixels, the per-op cached sampler differs", v.name);
    bool kept = true;
    for (size_t i = 0; i < known.size(); ++i) kept = kept && (!known[i] || cached_known[i] == start[i]);
    EXPECT(kept, "%s: a known pixel was overwritten", v.name);

    // The same images at any batch size: images 1..2 of the batch of 5 alone, at first_index 1
    // (their generator index), with their labels.
    if (cc.classes == 0) {
        const Bytes alone = sample_cached(gpu, 2, 5, 1, nullptr, nullptr);
        EXPECT(std::equal(alone.begin(), alone.end(), cached.begin() + image_bytes(cc)),
               "%s: images 1 and 2 differ when sampled in a batch of 2", v.name);
    }

    // The CPU's samples for the same seed, from fresh models (the same weights).
    pixelcnn::Model cpu0(cc), gpu0(gc);
    const Bytes a0 = sample_cached(gpu0, count, 5, 0, nullptr, nullptr);
    const Bytes r0 = sample_cached(cpu0, count, 5, 0, nullptr, nullptr);
    size_t same = 0;
    for (size_t i = 0; i < a0.size(); ++i) same += a0[i] == r0[i];
    std::printf("  %-28s %zu of %zu pixels identical on the CPU and the GPU (%.1f%%)\n", "samples, same seed", same,
                a0.size(), 100.0 * same / a0.size());
}

// Listing and the errors a user meets first.
void check_devices() {
    const int count = pixelcnn::cuda_device_count();
    EXPECT(count >= 1, "no device although the test runs");
    for (int d = 0; d < count; ++d) {
        std::printf("cuda:%d: %s, %.1f GiB, compute capability %d.%d\n", d, pixelcnn::cuda_device_name(d).c_str(),
                    pixelcnn::cuda_device_memory(d) / 1073741824.0, pixelcnn::cuda_device_capability(d) / 10,
                    pixelcnn::cuda_device_capability(d) % 10);
        EXPECT(!pixelcnn::cuda_device_name(d).empty() && pixelcnn::cuda_device_memory(d) > 0, "device %d facts", d);
    }
    EXPECT(pixelcnn::cuda_unavailable_reason().empty(), "a reason although there is a device: %s",
           pixelcnn::cuda_unavailable_reason().c_str());
    Config c = config_of(kVariants[0], count);
    try {
        pixelcnn::Model m(c);
        EXPECT(false, "a model on cuda:%d (no such device) was created", count);
    } catch (const std::invalid_argument& e) {
        EXPECT(std::strstr(e.what(), "no such device") != nullptr, "message: %s", e.what());
    }
    try {
        pixelcnn::cuda_device_name(-1);
        EXPECT(false, "cuda_device_name(-1) returned");
    } catch (const std::invalid_argument&) {
    }
    EXPECT(pixelcnn::version().find("cuda") != std::string::npos, "version %s", pixelcnn::version().c_str());
}

// Device memory is freed with the model and its samplers (no growth over repeated create and
// close); an allocation that fails becomes an exception naming the device, and the next model
// works.
void check_memory() {
    const Config c = config_of(kVariants[2], 0);
    const Bytes images = random_images(c, 4, 3);
    const std::vector<int> labels = labels_for(c, 4);
    auto use_once = [&] {
        pixelcnn::Model m(c);
        m.forward_backward(images.data(), labels.data(), 4);
        pixelcnn::CachedSampler sampler(m, 3);
        Bytes img(image_bytes(c) * 3, 0);
        sampler.sample_row(img.data(), nullptr, labels.data(), 0, 1, 0, 1.0f);
    };
    use_once();
    const long long free_before = pixelcnn::cuda_device_free_memory(0);
    for (int i = 0; i < 20; ++i) use_once();
    const double lost = static_cast<double>(free_before - pixelcnn::cuda_device_free_memory(0));
    std::printf("device memory after 20 models: %.3f MiB less free\n", lost / 1048576.0);
    EXPECT(lost < 1048576.0, "20 models left %.1f MiB of device memory in use", lost / 1048576.0);
#if defined(PIXELCNN_CUDA_EMULATE)
    // The first, the third and the sixth allocation of a model fail in turn: an exception naming
    // the device, nothing left allocated, and the next model works.
    using pixelcnn::cuda::emulate::fail_after;
    for (int successes : {0, 2, 5}) {
        const long long free_now = pixelcnn::cuda_device_free_memory(0);
        fail_after() = successes;
        try {
            pixelcnn::Model m(c);
            m.forward_backward(images.data(), labels.data(), 4);
            EXPECT(false, "a model worked although allocation %d failed", successes + 1);
        } catch (const std::runtime_error& e) {
            EXPECT(std::strstr(e.what(), "cuda:0") && std::strstr(e.what(), "out of memory"), "message: %s",
                   e.what());
        }
        fail_after() = -1;
        EXPECT(pixelcnn::cuda_device_free_memory(0) == free_now, "a failed model left %lld bytes allocated",
               free_now - pixelcnn::cuda_device_free_memory(0));
    }
    use_once();
#endif
}

}  // namespace

int main() {
    if (pixelcnn::cuda_device_count() == 0) {
        std::printf("test_cuda: SKIPPED, no CUDA device: %s\n", pixelcnn::cuda_unavailable_reason().c_str());
        return 77;
    }
    std::printf("engine %s\n", pixelcnn::version().c_str());
    check_devices();
    for (const Variant& v : kVariants) check_variant(v);
    check_memory();
    return test_exit_code("test_cuda");
}
