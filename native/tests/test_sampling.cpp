// Cached sampling against naive sampling and against the full forward pass:
//  - same images as the naive sampler for the same seed (both heads, C = 1 and 3, kernels 3, 5,
//    7, residual depths 0, 1 and 3), for sampling and for completion (known pixels kept bit for
//    bit);
//  - buffer by buffer of the graph, the cached features at every position equal the full
//    forward pass's over the finished images;
//  - the same images whatever the batch split and thread count; rows must come in order.
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "execute.h"
#include "model_impl.h"
#include "expect.h"
#include "pixelcnn/pixelcnn.h"
#include "sampler_impl.h"


using pixelcnn::Config;
using Bytes = std::vector<unsigned char>;

static Config small(int channels, int head, int kernel, int blocks, int threads, int arch = pixelcnn::ARCH_PIXELCNN,
                    int classes = 0) {
    Config c;
    c.arch = arch;
    c.classes = classes;
    c.channels = channels;
    c.height = 7;
    c.width = 6;
    c.head = head;
    c.levels = head == pixelcnn::HEAD_BERNOULLI ? 2 : 6;
    c.hidden_channels = 12;
    c.residual_channels = 6;
    c.head_channels = 9;
    c.blocks = blocks;
    c.input_kernel = kernel;
    c.block_kernel = kernel;
    c.seed = 100 + kernel + blocks;
    c.threads = threads;
    return c;
}

static size_t image_bytes(const Config& c) { return static_cast<size_t>(c.channels) * c.height * c.width; }

// Labels 0, 1, ... (mod classes) for a conditional model, none for an unconditional one.
static std::vector<int> labels_for(const Config& c, int count) {
    std::vector<int> labels;
    for (int i = 0; i < count && c.classes > 0; ++i) labels.push_back((i + 1) % c.classes);
    return labels;
}

static const int* data_or_null(const std::vector<int>& v) { return v.empty() ? nullptr : v.data(); }

static Bytes naive(pixelcnn::Model& m, int count, long long seed, const Bytes* start, const Bytes* known) {
    Bytes img = start ? *start : Bytes(image_bytes(m.config()) * count, 0);
    const std::vector<int> labels = labels_for(m.config(), count);
    for (int y = 0; y < m.config().height; ++y)
        m.sample_row_naive(img.data(), known ? known->data() : nullptr, data_or_null(labels), count, y, seed, 0, 1.0f);
    return img;
}

static Bytes cached(pixelcnn::Model& m, int count, long long seed, const Bytes* start,
                    const Bytes* known, long long first_index = 0, float temperature = 1.0f) {
    Bytes img = start ? *start : Bytes(image_bytes(m.config()) * count, 0);
    const std::vector<int> labels = labels_for(m.config(), count);
    pixelcnn::CachedSampler sampler(m, count);
    for (int y = 0; y < m.config().height; ++y)
        sampler.sample_row(img.data(), known ? known->data() : nullptr, data_or_null(labels), y, seed, first_index,
                           temperature);
    return img;
}

// The cached sampler with its row split forced (images in shares, or a column team), on a model
// of the same configuration (the same seed gives the same weights).
static Bytes cached_split(const Config& c, pixelcnn::SamplerSplit split, int count, long long seed,
                          const Bytes* start, const Bytes* known) {
    pixelcnn::ModelImpl m(c);
    pixelcnn::SamplerImpl sampler(m, count);
    sampler.split = split;
    EXPECT(sampler.use_team() == (split == pixelcnn::SamplerSplit::ColumnTeam), "split not taken");
    Bytes img = start ? *start : Bytes(image_bytes(c) * count, 0);
    const std::vector<int> labels = labels_for(c, count);
    for (int y = 0; y < c.height; ++y)
        sampler.sample_row(img.data(), known ? known->data() : nullptr, data_or_null(labels), y, seed, 0, 1.0f);
    return img;
}

// Plain: residual depths 0, 1, 3; gated: 1, 2 and 3 layers, unconditional and conditional.
struct Variant {
    int arch, classes;
    const char* name;
};
const Variant kVariants[] = {{pixelcnn::ARCH_PIXELCNN, 0, "plain"},
                             {pixelcnn::ARCH_GATED, 0, "gated"},
                             {pixelcnn::ARCH_GATED, 3, "gated, 3 classes"}};

static void check_cached_equals_naive() {
    int configs = 0;
    for (const Variant& variant : kVariants)
    for (int head = 0; head < 2; ++head)
        for (int channels : {1, 3})
            for (int kernel : {3, 5, 7})
                for (int depth = 0; depth < 3; ++depth) {
                    const int blocks = variant.arch == pixelcnn::ARCH_GATED ? depth + 1 : (depth == 2 ? 3 : depth);
                    Config c = small(channels, head, kernel, blocks, 2, variant.arch, variant.classes);
                    pixelcnn::Model m(c);
                    const int count = 3;
                    Bytes a = naive(m, count, 1234, nullptr, nullptr);
                    Bytes b = cached(m, count, 1234, nullptr, nullptr);
                    EXPECT(a == b, "cached != naive (%s, head %d, C=%d, k=%d, blocks %d)", variant.name, head, channels,
                           kernel, blocks);
                    for (auto split : {pixelcnn::SamplerSplit::ImageShares, pixelcnn::SamplerSplit::ColumnTeam})
                        EXPECT(cached_split(c, split, count, 1234, nullptr, nullptr) == a,
                               "cached (split %d) != naive (%s, head %d, C=%d, k=%d, blocks %d)", int(split),
                               variant.name, head, channels, kernel, blocks);
                    // Completion: a random known mask with random known values.
                    std::mt19937 gen(kernel * 7 + blocks);
                    Bytes start(a.size()), known(a.size());
                    for (size_t i = 0; i < a.size(); ++i) {
                        known[i] = gen() % 3 == 0;
                        start[i] = known[i] ? static_cast<unsigned char>(gen() % c.levels) : 0;
                    }
                    Bytes ca = naive(m, count, 99, &start, &known);
                    Bytes cb = cached(m, count, 99, &start, &known);
                    for (auto split : {pixelcnn::SamplerSplit::ImageShares, pixelcnn::SamplerSplit::ColumnTeam})
                        EXPECT(cached_split(c, split, count, 99, &start, &known) == ca,
                               "completion: cached (split %d) != naive", int(split));
                    EXPECT(ca == cb, "completion: cached != naive (%s, head %d, C=%d, k=%d, blocks %d)", variant.name,
                           head, channels, kernel, blocks);
                    for (size_t i = 0; i < a.size(); ++i)
                        if (known[i]) EXPECT(cb[i] == start[i], "known value %zu changed", i);
                    ++configs;
                }
    std::printf("cached == naive for %d configurations (sampling and completion)\n", configs);
}

// Groups wide enough that a column team really splits them (shares are multiples of 16
// columns): the team's images still equal the naive sampler's, bit for bit.
static void check_team_splits_columns() {
    for (const Variant& variant : kVariants)
    for (int head = 0; head < 2; ++head)
        for (int channels : {1, 3}) {
            Config c = small(channels, head, 5, 2, 2, variant.arch, variant.classes);
            c.hidden_channels = 96;
            c.residual_channels = 48 * (channels == 3 ? 2 : 1);
            c.head_channels = 96;
            c.height = 5;
            c.width = 4;
            pixelcnn::Model m(c);
            Bytes a = naive(m, 2, 77, nullptr, nullptr);
            EXPECT(cached_split(c, pixelcnn::SamplerSplit::ColumnTeam, 2, 77, nullptr, nullptr) == a,
                   "column team != naive with split groups (%s, head %d, C=%d)", variant.name, head, channels);
        }
    std::printf("column team with split groups == naive\n");
}

// Normalised max error of a cached layer against the forward pass's buffer.
static double compare(const std::vector<float>& cached_vals, const float* forward_vals, size_t n) {
    double err = 0, ref = 0;
    for (size_t i = 0; i < n; ++i) {
        keep_worst(err, std::fabs(cached_vals[i] - forward_vals[i]));
        keep_worst(ref, std::fabs(forward_vals[i]));
    }
    return ref > 0 ? err / ref : err;
}

// Records every buffer of the graph as the sampler caches it at each pixel, then compares them
// with the full forward pass over the finished images. Tolerance 1e-5 normalised max error: the
// two paths multiply the same numbers in different GEMM shapes (one position vs whole images),
// so only the rounding of the sums may differ (measured: 0, the GEMMs sum in one order).
static void check_layers_match_forward(const Variant& variant, int channels, int head, int kernel, int threads) {
    Config c = small(channels, head, kernel, 2, threads, variant.arch, variant.classes);
    pixelcnn::ModelImpl m(c);
    const int count = 2, H = c.height, W = c.width;
    const size_t P = static_cast<size_t>(count) * H * W;
    pixelcnn::SamplerImpl s(m, count);  // 2 images on 2 threads: a column team
    const pixelcnn::net::Graph& g = m.graph;
    std::vector<std::vector<float>> seen(g.buffers.size());
    for (size_t b = 0; b < g.buffers.size(); ++b) seen[b].assign(P * g.buffers[b].channels, 0.0f);
    s.after_pixel = [&](int y, int x) {
        for (int n = 0; n < count; ++n)
            for (size_t b = 0; b < g.buffers.size(); ++b) {
                const int ch = g.buffers[b].channels;
                const float* src = s.caches[b].at(n, y, x);
                std::copy(src, src + ch, seen[b].begin() + ((static_cast<size_t>(n) * H + y) * W + x) * ch);
            }
    };
    Bytes img(image_bytes(c) * count, 0);
    const std::vector<int> labels = labels_for(c, count);
    for (int y = 0; y < H; ++y) s.sample_row(img.data(), nullptr, data_or_null(labels), y, 7, 0, 1.0f);
    m.ensure_capacity(count);
    pixelcnn::exec::forward(m, img.data(), data_or_null(labels), count);
    double worst = 0;
    for (size_t b = 0; b < g.buffers.size(); ++b)
        keep_worst(worst, compare(seen[b], m.value(static_cast<int>(b)), seen[b].size()));
    std::printf("layers %s C=%d head=%d k=%d, %s: %zu buffers, cached vs forward normalised max error %.2e\n",
                variant.name, channels, head, kernel, s.use_team() ? "column team" : "one share", g.buffers.size(), worst);
    EXPECT(worst <= 1e-5, "cached features differ from the forward pass by %g", worst);
}

static void check_batch_and_threads() {
    for (const Variant& variant : kVariants)
    for (int channels : {1, 3}) {
        Config c1 = small(channels, pixelcnn::HEAD_CATEGORICAL, 5, 2, 1, variant.arch, variant.classes);
        Config c2 = c1;
        c2.threads = 2;
        pixelcnn::Model one(c1), two(c2);
        const int count = 5;
        Bytes whole = cached(one, count, 5, nullptr, nullptr, 0, 0.8f);
        Bytes parts(whole.size());
        // Images 0..1 in one sampler, 2..4 in another (first_index 2), on two threads.
        Bytes a = cached(two, 2, 5, nullptr, nullptr, 0, 0.8f);
        Bytes b = cached(two, 3, 5, nullptr, nullptr, 2, 0.8f);
        std::copy(a.begin(), a.end(), parts.begin());
        std::copy(b.begin(), b.end(), parts.begin() + a.size());
        EXPECT(whole == parts, "samples depend on batch split or thread count (C=%d)", channels);
        Bytes other = cached(one, count, 6, nullptr, nullptr, 0, 0.8f);
        EXPECT(other != whole, "a different seed gave the same images");
    }
}

static void check_row_order() {
    Config c = small(1, pixelcnn::HEAD_BERNOULLI, 3, 1, 1);
    pixelcnn::Model m(c);
    pixelcnn::CachedSampler s(m, 2);
    Bytes img(image_bytes(c) * 2, 0);
    bool threw = false;
    try {
        s.sample_row(img.data(), nullptr, 1, 1, 0, 1.0f);
    } catch (const std::exception& e) {
        threw = std::string(e.what()).find("expected row 0") != std::string::npos;
    }
    EXPECT(threw, "an out-of-order row was accepted");
    s.sample_row(img.data(), nullptr, 0, 1, 0, 1.0f);
    EXPECT(s.next_row() == 1, "next_row %d", s.next_row());
    s.reset();
    EXPECT(s.next_row() == 0, "reset did not start over");
}

int main() {
    check_cached_equals_naive();
    check_team_splits_columns();
    for (const Variant& variant : kVariants)
        for (int head = 0; head < 2; ++head)
            for (int channels : {1, 3})
                for (int kernel : {3, 7})
                    for (int threads : {1, 2}) check_layers_match_forward(variant, channels, head, kernel, threads);
    check_batch_and_threads();
    check_row_order();
    return test_exit_code("test_sampling");
}
