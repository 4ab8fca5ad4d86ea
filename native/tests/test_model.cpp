// Engine self-checks that need no LibTorch: gradients against central finite differences,
// causality of the masks by perturbation, init determinism, thread-count independence and
// argument validation. The LibTorch oracle (JUnit) checks the same numbers against PyTorch.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "expect.h"
#include "net/networks.h"
#include "pixelcnn/pixelcnn.h"
#include "same_sums.h"


using pixelcnn::Config;
using pixelcnn::Model;

static Config tiny(int channels, int head, int levels, int kernel, int blocks, int arch = pixelcnn::ARCH_PIXELCNN,
                   int classes = 0) {
    Config c;
    c.arch = arch;
    c.classes = classes;
    c.channels = channels;
    c.height = 6;
    c.width = 5;
    c.head = head;
    c.levels = levels;
    c.hidden_channels = 6 * channels;
    c.residual_channels = 3 * channels;
    c.head_channels = 6 * channels;
    c.blocks = blocks;
    c.input_kernel = kernel;
    c.block_kernel = kernel;
    c.seed = 7;
    c.threads = 2;
    return c;
}

static std::vector<unsigned char> random_images(const Config& c, int count, unsigned seed) {
    std::mt19937 gen(seed);
    std::vector<unsigned char> img(static_cast<size_t>(count) * c.channels * c.height * c.width);
    for (auto& v : img) v = static_cast<unsigned char>(gen() % c.levels);
    return img;
}

// Labels 2, 0, 1, 2, ... for a conditional model (every class, the first image not class 0);
// none (null) for an unconditional one.
static std::vector<int> labels_for(const Config& c, int count) {
    std::vector<int> labels;
    for (int i = 0; i < count && c.classes > 0; ++i) labels.push_back((i + c.classes - 1) % c.classes);
    return labels;
}

static const int* data_or_null(const std::vector<int>& v) { return v.empty() ? nullptr : v.data(); }

// Mean NLL per dimension (the quantity whose gradient forward_backward computes), in double.
static double mean_loss(Model& m, const std::vector<unsigned char>& img, int count) {
    const Config& c = m.config();
    std::vector<double> nll(count);
    const std::vector<int> labels = labels_for(c, count);
    m.log_likelihood(img.data(), data_or_null(labels), count, nll.data());
    double total = 0.0;
    for (double v : nll) total += v;
    return total / (static_cast<double>(count) * c.channels * c.height * c.width);
}

// Every tensor: up to 12 distinct random live entries against central differences of the loss.
// Judged in aggregate, as a normalised squared error sum (num - ana)^2 / sum num^2: the loss is
// float32 inside and a ReLU kink within the step of a single entry spoils that entry alone,
// while a wrong gradient (sign, factor, missing term) pushes the ratio towards 1. Measured with
// correct gradients: below 1e-3. The exact check is the LibTorch oracle (JUnit).
static void check_gradients(const Config& c) {
    Model m(c);
    const int count = 3;
    auto img = random_images(c, count, 11);
    const std::vector<int> labels = labels_for(c, count);
    m.forward_backward(img.data(), data_or_null(labels), count);
    std::mt19937 gen(5);
    double err2 = 0.0, ref2 = 0.0;
    int checked = 0;
    for (int t = 0; t < m.tensor_count(); ++t) {
        const size_t n = static_cast<size_t>(m.tensor_size(t));
        std::vector<float> w(n), g(n), mask(n);
        m.read_tensor(pixelcnn::TENSOR_PARAM, t, w.data());
        m.read_tensor(pixelcnn::TENSOR_GRAD, t, g.data());
        m.read_mask(t, mask.data());
        std::vector<bool> seen(n, false);
        for (int trial = 0; trial < 12; ++trial) {
            size_t i = gen() % n;
            if (seen[i]) continue;
            seen[i] = true;
            if (mask[i] == 0.0f) {
                EXPECT(g[i] == 0.0f, "masked gradient %s[%zu] = %g", m.tensor_name(t).c_str(), i, g[i]);
                continue;
            }
            const float h = 1e-3f, orig = w[i];
            w[i] = orig + h;
            m.write_tensor(pixelcnn::TENSOR_PARAM, t, w.data());
            double up = mean_loss(m, img, count);
            w[i] = orig - h;
            m.write_tensor(pixelcnn::TENSOR_PARAM, t, w.data());
            double down = mean_loss(m, img, count);
            w[i] = orig;
            m.write_tensor(pixelcnn::TENSOR_PARAM, t, w.data());
            double numeric = (up - down) / (2.0 * h);
            err2 += (numeric - g[i]) * (numeric - g[i]);
            ref2 += numeric * numeric;
            ++checked;
        }
    }
    double ratio = err2 / ref2;
    std::printf("gradients %s C=%d head=%d k=%d classes=%d: %d entries, normalised squared error %.3g\n",
                c.arch == pixelcnn::ARCH_GATED ? "gated" : "plain", c.channels, c.head, c.input_kernel, c.classes,
                checked, ratio);
    EXPECT(checked > 50 && ratio < 1e-2, "gradient error ratio %g over %d entries", ratio, checked);
}

// Changing any value at or after (p, ch) in raster order must leave the logits of (p, ch)
// unchanged; changing an earlier one must change them (for some earlier position).
static void check_causality(const Config& c) {
    Model m(c);
    const int C = c.channels, H = c.height, W = c.width, L = m.logit_channels() / C;
    const int plane = H * W;
    auto base = random_images(c, 1, 3);
    const std::vector<int> labels = labels_for(c, 1);
    std::vector<float> ref(static_cast<size_t>(m.logit_channels()) * plane), out(ref.size());
    m.logits(base.data(), data_or_null(labels), 1, ref.data());
    std::vector<int> earlier_changes(static_cast<size_t>(plane) * C, 0);
    for (int q = 0; q < plane; ++q) {
        for (int qc = 0; qc < C; ++qc) {
            auto img = base;
            size_t idx = static_cast<size_t>(qc) * plane + q;
            img[idx] = static_cast<unsigned char>((img[idx] + 1) % c.levels);
            m.logits(img.data(), data_or_null(labels), 1, out.data());
            for (int p = 0; p < plane; ++p) {
                for (int pc = 0; pc < C; ++pc) {
                    bool changed = false;
                    for (int l = 0; l < L; ++l) {
                        size_t o = static_cast<size_t>(pc * L + l) * plane + p;
                        changed = changed || out[o] != ref[o];
                    }
                    bool after = q > p || (q == p && qc >= pc);
                    if (after) {
                        EXPECT(!changed, "logits of pixel %d channel %d changed when pixel %d channel %d changed",
                               p, pc, q, qc);
                    } else if (changed) {
                        earlier_changes[static_cast<size_t>(p) * C + pc]++;
                    }
                }
            }
        }
    }
    // Every (p, c) except the very first sees at least one earlier value.
    for (int p = 0; p < plane; ++p)
        for (int pc = 0; pc < C; ++pc)
            if (p > 0 || pc > 0)
                EXPECT(earlier_changes[static_cast<size_t>(p) * C + pc] > 0,
                       "pixel %d channel %d depends on no earlier value", p, pc);
}

// Offsets (dy, dx) from a pixel p to an earlier pixel q, inside the image, with dy >= -R and
// |dx| <= R, whose change leaves every logit of p unchanged, counted over all p: a network's
// blind spot in that window. Perturbation, on random weights: a q the network reads changes p
// (its gradient is non-zero); one it cannot read never does.
struct BlindSpot {
    int pairs = 0;                           // (p, q) pairs in the window
    std::vector<std::pair<int, int>> blind;  // (dy, dx) of the pairs that did not change p
};

static BlindSpot find_blind_spot(const Config& c, int R) {
    Model m(c);
    const int H = c.height, W = c.width, plane = H * W, L = m.logit_channels();
    const auto base = random_images(c, 1, 17);
    const std::vector<int> labels = labels_for(c, 1);
    std::vector<float> ref(static_cast<size_t>(L) * plane), out(ref.size());
    m.logits(base.data(), data_or_null(labels), 1, ref.data());
    BlindSpot result;
    for (int q = 0; q < plane; ++q) {
        auto img = base;
        img[q] = static_cast<unsigned char>((img[q] + 1) % c.levels);
        m.logits(img.data(), data_or_null(labels), 1, out.data());
        for (int p = q + 1; p < plane; ++p) {
            const int dy = q / W - p / W, dx = q % W - p % W;
            if (dy < -R || dx < -R || dx > R) continue;
            bool changed = false;
            for (int l = 0; l < L; ++l) changed = changed || out[static_cast<size_t>(l) * plane + p] != ref[static_cast<size_t>(l) * plane + p];
            ++result.pairs;
            if (!changed) result.blind.push_back({dy, dx});
        }
    }
    return result;
}

// Gated PixelCNN has no blind spot: with three layers of 3-wide kernels its prediction at p
// depends on every earlier pixel within two rows up and two columns either side. The negative
// control: the plain PixelCNN of the same depth and kernels (3x3 type A, two residual blocks of
// 3x3 type B) misses the pixel one row up and two columns right, whose only paths would need
// two steps right in a row the type B masks hide: the blind spot of van den Oord et al.
static void check_blind_spot() {
    const int R = 2;
    Config plain = tiny(1, pixelcnn::HEAD_CATEGORICAL, 4, 3, 2);
    Config gated = tiny(1, pixelcnn::HEAD_CATEGORICAL, 4, 3, 3, pixelcnn::ARCH_GATED);
    for (Config* c : {&plain, &gated}) {
        c->height = 8;
        c->width = 8;
    }
    const BlindSpot g = find_blind_spot(gated, R);
    const BlindSpot p = find_blind_spot(plain, R);
    int plain_up_right = 0;
    for (const auto& o : p.blind) plain_up_right += o.first == -1 && o.second == 2;
    // (-1, +2) lies inside the 8x8 image for the pixels of rows 1..7, columns 0..5.
    const int up_right_pairs = 7 * 6;
    std::printf("blind spot within %d rows up and %d columns either side: gated %zu of %d pairs blind; plain %zu of "
                "%d blind, %d of them at (-1, +2) (of %d such pairs)\n",
                R, R, g.blind.size(), g.pairs, p.blind.size(), p.pairs, plain_up_right, up_right_pairs);
    for (const auto& o : g.blind) std::printf("  gated blind at (%d, %d)\n", o.first, o.second);
    EXPECT(g.pairs > 0 && g.blind.empty(), "gated network: %zu blind (p, q) pairs, first at (%d, %d)", g.blind.size(),
           g.blind.empty() ? 0 : g.blind[0].first, g.blind.empty() ? 0 : g.blind[0].second);
    EXPECT(plain_up_right == up_right_pairs, "plain network: (-1, +2) blind for %d of %d pixels", plain_up_right,
           up_right_pairs);
}

static void check_determinism_and_threads() {
    Config c = tiny(1, pixelcnn::HEAD_CATEGORICAL, 4, 3, 2);
    auto img = random_images(c, 5, 9);
    Model a(c), b(c);
    std::vector<double> na(5), nb(5);
    a.log_likelihood(img.data(), 5, na.data());
    b.set_threads(1);
    b.log_likelihood(img.data(), 5, nb.data());
    for (int i = 0; i < 5; ++i)
        EXPECT(std::fabs(na[i] - nb[i]) <= 1e-4 * std::fabs(na[i]), "image %d: %g vs %g", i, na[i], nb[i]);
    // Same seed, same naive samples whatever the batch split.
    std::vector<unsigned char> s1(static_cast<size_t>(4) * 30, 0), s2(s1.size(), 0);
    for (int y = 0; y < c.height; ++y) a.sample_row_naive(s1.data(), nullptr, 4, y, 42, 0, 1.0f);
    for (int y = 0; y < c.height; ++y) {
        b.sample_row_naive(s2.data(), nullptr, 2, y, 42, 0, 1.0f);
        b.sample_row_naive(s2.data() + 60, nullptr, 2, y, 42, 2, 1.0f);
    }
    EXPECT(s1 == s2, "naive samples depend on the batch split");
}

template <typename F>
static void expect_throws(F f, const std::string& needle) {
    try {
        f();
        EXPECT(false, "expected an exception mentioning '%s'", needle.c_str());
    } catch (const std::exception& e) {
        EXPECT(std::string(e.what()).find(needle) != std::string::npos, "message '%s' lacks '%s'",
               e.what(), needle.c_str());
    }
}

// Labels: a conditional model needs one per image in [0, classes), an unconditional one takes
// none, the plain network has no classes; and with learnt class biases the label changes the
// prediction (the image's own label, not another image's or class 0's).
static void check_labels() {
    Config c = tiny(1, pixelcnn::HEAD_CATEGORICAL, 4, 3, 2, pixelcnn::ARCH_GATED, 3);
    Model m(c);
    auto img = random_images(c, 2, 4);
    std::vector<double> nll(2);
    const int good[2] = {0, 2}, bad[2] = {1, 3}, negative[2] = {-1, 0};
    expect_throws([&] { m.log_likelihood(img.data(), nullptr, 2, nll.data()); }, "expected one label per image");
    expect_throws([&] { m.log_likelihood(img.data(), 2, nll.data()); }, "conditioned on 3 classes");
    expect_throws([&] { m.forward_backward(img.data(), bad, 2); }, "label 3 of image 1 is outside [0, 2]");
    expect_throws([&] { m.logits(img.data(), negative, 2, nullptr); }, "label -1 of image 0");
    pixelcnn::CachedSampler sampler(m, 2);
    expect_throws([&] { sampler.sample_row(img.data(), nullptr, 0, 1, 0, 1.0f); }, "expected one label per image");
    Config u = tiny(1, pixelcnn::HEAD_CATEGORICAL, 4, 3, 2, pixelcnn::ARCH_GATED);
    Model unconditional(u);
    expect_throws([&] { unconditional.log_likelihood(img.data(), good, 2, nll.data()); }, "labels given, but the model is unconditional");
    Config plain = tiny(1, pixelcnn::HEAD_CATEGORICAL, 4, 3, 2);
    plain.classes = 3;
    expect_throws([&] { Model p(plain); }, "the plain PixelCNN is unconditional");
    Config layerless = u;
    layerless.blocks = 0;
    expect_throws([&] { Model p(layerless); }, "a gated network expects 1..1000 layers");
    // Random class tables: image i's NLL under label y is that of a batch of one with label y.
    std::mt19937 gen(3);
    std::uniform_real_distribution<float> uniform(-0.5f, 0.5f);
    for (int t = 0; t < m.tensor_count(); ++t) {
        if (m.tensor_name(t).find("_class.weight") == std::string::npos) continue;
        std::vector<float> table(static_cast<size_t>(m.tensor_size(t)));
        for (float& v : table) v = uniform(gen);
        m.write_tensor(pixelcnn::TENSOR_PARAM, t, table.data());
    }
    const int mixed[2] = {2, 1};
    m.log_likelihood(img.data(), mixed, 2, nll.data());
    const size_t image = static_cast<size_t>(c.height) * c.width;
    for (int i = 0; i < 2; ++i) {
        double per_label[3];
        for (int y = 0; y < 3; ++y) m.log_likelihood(img.data() + i * image, &y, 1, &per_label[y]);
        // A batch of two and a batch of one: the same bits where sums_fixed(), else to rounding.
        const double apart = std::fabs(per_label[mixed[i]] - nll[i]);
        EXPECT(sums_fixed() ? apart == 0.0 : apart <= 1e-5 * std::fabs(nll[i]),
               "image %d: batch NLL %.9g, alone with its label %.9g", i, nll[i], per_label[mixed[i]]);
        EXPECT(per_label[0] != per_label[1] && per_label[1] != per_label[2],
               "image %d: the label does not change the NLL (%g %g %g)", i, per_label[0], per_label[1], per_label[2]);
    }
}

static void check_validation() {
    Config even = tiny(1, pixelcnn::HEAD_BERNOULLI, 2, 4, 1);
    expect_throws([&] { Model m(even); }, "odd");
    Config groups = tiny(3, pixelcnn::HEAD_CATEGORICAL, 4, 3, 1);
    groups.hidden_channels = 8;
    expect_throws([&] { Model m(groups); }, "multiple of the 3");
    Config c = tiny(1, pixelcnn::HEAD_BERNOULLI, 2, 3, 1);
    Model m(c);
    auto img = random_images(c, 2, 1);
    img[7] = 2;
    std::vector<double> nll(2);
    expect_throws([&] { m.log_likelihood(img.data(), 2, nll.data()); }, "outside [0, 1]");
    expect_throws([&] { m.log_likelihood(img.data(), 0, nll.data()); }, "at least one image");
    std::vector<float> w(static_cast<size_t>(m.tensor_size(0)), NAN);
    expect_throws([&] { m.write_tensor(pixelcnn::TENSOR_PARAM, 0, w.data()); }, "not finite");
}

// Adam settings valid as doubles but not as the floats the engine computes in are refused, and a
// step that would make a weight or a moment non-finite fails and leaves the model as it was.
static void check_adam_guards() {
    Config c = tiny(1, pixelcnn::HEAD_BERNOULLI, 2, 3, 1);
    Model m(c);
    auto img = random_images(c, 2, 5);
    auto snapshot = [&] {
        std::vector<float> all;
        for (int kind : {pixelcnn::TENSOR_PARAM, pixelcnn::TENSOR_ADAM_M, pixelcnn::TENSOR_ADAM_V})
            for (int t = 0; t < m.tensor_count(); ++t) {
                std::vector<float> v(static_cast<size_t>(m.tensor_size(t)));
                m.read_tensor(kind, t, v.data());
                all.insert(all.end(), v.begin(), v.end());
            }
        return all;
    };
    pixelcnn::AdamConfig ok;
    m.train_step(img.data(), 2, ok);  // moments nonzero from here on
    const auto before = snapshot();
    pixelcnn::AdamConfig huge_lr;
    huge_lr.learning_rate = 1e300;  // infinity as a float
    expect_throws([&] { m.train_step(img.data(), 2, huge_lr); }, "finite as a float");
    pixelcnn::AdamConfig tiny_eps;
    tiny_eps.eps = 1e-50;  // 0 as a float
    expect_throws([&] { m.train_step(img.data(), 2, tiny_eps); }, "eps");
    pixelcnn::AdamConfig overflow;
    overflow.learning_rate = 3e38;  // a float, but the step overflows the weights
    expect_throws([&] { m.train_step(img.data(), 2, overflow); }, "model is unchanged");
    EXPECT(snapshot() == before, "a refused Adam step changed the model");
    m.train_step(img.data(), 2, ok);  // and it still trains
    EXPECT(snapshot() != before, "training after a refused step changed nothing");
}

// Weight decay as torch.optim.Adam's: with a zero gradient, the first step's gradient is
// weight_decay * w, so (bias-corrected, |g| >> eps) every weight moves by lr towards zero.
static void check_weight_decay() {
    Config c = tiny(1, pixelcnn::HEAD_BERNOULLI, 2, 3, 1);
    Model m(c);
    const long long n = m.packed_size();
    std::vector<float> before(n), after(n), zeros(n, 0.0f);
    m.read_packed(pixelcnn::TENSOR_PARAM, before.data());
    m.write_packed(pixelcnn::TENSOR_GRAD, zeros.data());
    pixelcnn::AdamConfig adam;
    adam.learning_rate = 1e-3;
    adam.weight_decay = 0.1;
    m.adam_step(adam);
    m.read_packed(pixelcnn::TENSOR_PARAM, after.data());
    double worst = 0;
    for (long long i = 0; i < n; ++i) {
        if (std::fabs(before[i]) < 1e-4f) continue;  // g near eps: the step is smaller
        const double expected = before[i] - 1e-3 * (before[i] > 0 ? 1 : -1);
        keep_worst(worst, std::fabs(after[i] - expected));
    }
    EXPECT(worst < 1e-6, "weight decay step off by %g (lr 1e-3)", worst);
    pixelcnn::AdamConfig bad;
    bad.weight_decay = -1;
    expect_throws([&] { m.adam_step(bad); }, "weight_decay: expected 0 (off) or a positive value");
}

// Gradient-norm clipping scales the gradient Adam sees: after one step the first moment is
// (1 - beta1) * g * clip / ||g||.
static void check_clipping() {
    Config c = tiny(1, pixelcnn::HEAD_BERNOULLI, 2, 3, 1);
    Model m(c);
    auto img = random_images(c, 2, 13);
    m.forward_backward(img.data(), 2);
    std::vector<std::vector<float>> grads;
    double norm2 = 0;
    for (int t = 0; t < m.tensor_count(); ++t) {
        std::vector<float> g(static_cast<size_t>(m.tensor_size(t)));
        m.read_tensor(pixelcnn::TENSOR_GRAD, t, g.data());
        for (float v : g) norm2 += double(v) * v;
        grads.push_back(std::move(g));
    }
    const double norm = std::sqrt(norm2);
    pixelcnn::AdamConfig adam;
    adam.clip_norm = norm / 2;
    m.adam_step(adam);
    double worst = 0;
    for (int t = 0; t < m.tensor_count(); ++t) {
        std::vector<float> first(grads[t].size());
        m.read_tensor(pixelcnn::TENSOR_ADAM_M, t, first.data());
        for (size_t i = 0; i < first.size(); ++i) {
            const double expected = 0.1 * grads[t][i] * 0.5;
            keep_worst(worst, std::fabs(first[i] - expected) / (norm * 1e-3 + std::fabs(expected)));
        }
    }
    EXPECT(worst < 1e-3, "clipped first moment off by %g (relative)", worst);
}

// The residual network as a graph: its tensor table in state_dict order, tensors laid out in
// order, 64-byte aligned, the arena's activations disjoint, and gradient slots reused: two of the residual width,
// two of the hidden width, the logits' and the head's, which shares a hidden one when the head
// is as wide (six slots, or five).
static void check_graph() {
    Config c = tiny(1, pixelcnn::HEAD_CATEGORICAL, 4, 3, 3);
    pixelcnn::net::Graph g = pixelcnn::net::residual_network(c);
    std::vector<std::string> names;
    for (const auto& t : g.tensors) names.push_back(t.name);
    EXPECT(names.front() == "input.weight" && names[2] == "blocks.0.conv1.weight" &&
               names.back() == "head.conv2.bias" && names.size() == 2 * (1 + 3 * 3 + 2),
           "tensor table: %zu names, first %s, last %s", names.size(), names.front().c_str(), names.back().c_str());
    // Tensors in order, each at the first multiple of 16 floats after the one before (64-byte
    // aligned), none overlapping.
    int64_t offset = 0;
    for (const auto& t : g.tensors) {
        const int64_t aligned = (offset + 15) / 16 * 16;
        EXPECT(t.offset == aligned, "tensor %s at %lld, expected %lld", t.name.c_str(), (long long)t.offset,
               (long long)aligned);
        offset = aligned + t.size;
    }
    EXPECT(offset == g.param_floats, "parameter blob %lld floats, tensors end at %lld", (long long)g.param_floats,
           (long long)offset);
    // A dense tensor (a class embedding of 10 classes x hidden) fits the table.
    const int emb = g.add_tensor("class_embedding.weight", {10, c.hidden_channels}, 0.1f);
    const int64_t emb_at = (offset + 15) / 16 * 16;
    EXPECT(g.tensors[emb].offset == emb_at && g.param_floats == emb_at + 10 * c.hidden_channels,
           "dense tensor at %lld", (long long)g.tensors[emb].offset);
    const int64_t P = 2 * c.height * c.width;
    for (int head_width : {c.hidden_channels, 2 * c.hidden_channels}) {
        Config wide = c;
        wide.head_channels = head_width;
        const size_t expected = head_width == c.hidden_channels ? 5 : 6;
        pixelcnn::net::Graph gw = pixelcnn::net::residual_network(wide);
        pixelcnn::net::ArenaPlan pw = pixelcnn::net::plan_arena(gw, P);
        std::vector<int64_t> distinct;
        for (size_t k = 0; k < gw.nodes.size(); ++k)
            for (int64_t s : {pw.grad_in[k], pw.grad_out[k]})
                if (s >= 0 && std::find(distinct.begin(), distinct.end(), s) == distinct.end()) distinct.push_back(s);
        EXPECT(distinct.size() == expected, "head %d: %zu gradient slots, expected %zu", head_width, distinct.size(),
               expected);
    }
    pixelcnn::net::ArenaPlan plan = pixelcnn::net::plan_arena(g, P);
    std::vector<std::pair<int64_t, int64_t>> spans;
    for (size_t b = 0; b < g.buffers.size(); ++b) spans.push_back({plan.value[b], plan.value[b] + P * g.buffers[b].channels});
    std::vector<int64_t> slots;
    for (size_t k = 0; k < g.nodes.size(); ++k)
        for (int64_t s : {plan.grad_in[k], plan.grad_out[k]})
            if (s >= 0 && std::find(slots.begin(), slots.end(), s) == slots.end()) slots.push_back(s);
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i)
        EXPECT(spans[i].first >= spans[i - 1].second, "activation buffers overlap at %lld", (long long)spans[i].first);
    for (int64_t s : slots) EXPECT(s >= spans.back().second, "a gradient slot overlaps the activations");
}

// The gated network's tensor table: per layer v_conv, v_class, h_conv, v_to_h, h_class, h_out,
// skip, in state_dict order; the last layer has no h_out with skip connections (nothing would
// read it), one without skip connections no skip convolutions; class tables (classes, 2F) start
// at zero; parameter_count(config) agrees.
static void check_gated_graph() {
    Config c = tiny(1, pixelcnn::HEAD_CATEGORICAL, 4, 3, 2, pixelcnn::ARCH_GATED, 3);
    pixelcnn::net::Graph g = pixelcnn::net::gated_network(c);
    std::vector<std::string> names;
    for (const auto& t : g.tensors) names.push_back(t.name);
    const std::vector<std::string> want = {
        "layers.0.v_conv.weight", "layers.0.v_conv.bias", "layers.0.v_class.weight", "layers.0.h_conv.weight",
        "layers.0.h_conv.bias", "layers.0.v_to_h.weight", "layers.0.v_to_h.bias", "layers.0.h_class.weight",
        "layers.0.h_out.weight", "layers.0.h_out.bias", "layers.0.skip.weight", "layers.0.skip.bias",
        "layers.1.v_conv.weight", "layers.1.v_conv.bias", "layers.1.v_class.weight", "layers.1.h_conv.weight",
        "layers.1.h_conv.bias", "layers.1.v_to_h.weight", "layers.1.v_to_h.bias", "layers.1.h_class.weight",
        "layers.1.skip.weight", "layers.1.skip.bias", "head.conv1.weight", "head.conv1.bias", "head.conv2.weight",
        "head.conv2.bias"};
    EXPECT(names == want, "gated tensor table: %zu names, expected %zu", names.size(), want.size());
    const int F = c.hidden_channels;
    for (const auto& t : g.tensors)
        if (t.name.find("_class") != std::string::npos)
            EXPECT(t.shape == std::vector<int64_t>({3, 2 * F}) && t.init_bound == 0.0f, "class table %s",
                   t.name.c_str());
    Model m(c);
    std::vector<float> table(static_cast<size_t>(3 * 2 * F));
    for (int t = 0; t < m.tensor_count(); ++t)
        if (m.tensor_name(t) == "layers.1.h_class.weight") {
            m.read_tensor(pixelcnn::TENSOR_PARAM, t, table.data());
            for (float v : table) EXPECT(v == 0.0f, "class table not zero at start: %g", v);
        }
    EXPECT(pixelcnn::parameter_count(c) == m.parameter_count(), "parameter_count %lld vs %lld",
           pixelcnn::parameter_count(c), m.parameter_count());
    Config no_skip = c;
    no_skip.skip = 0;
    no_skip.classes = 0;
    pixelcnn::net::Graph ng = pixelcnn::net::gated_network(no_skip);
    int skips = 0, outs = 0;
    for (const auto& t : ng.tensors) {
        skips += t.name.find(".skip.") != std::string::npos;
        outs += t.name.find(".h_out.weight") != std::string::npos;
    }
    EXPECT(skips == 0 && outs == 2, "no skip connections: %d skip tensors, %d h_out weights", skips, outs);
}

// A configuration or batch too large for the machine fails before any allocation, saying what
// it would need; parameter_count(config) agrees with the model without building one.
static void check_memory_bounds() {
    for (int channels : {1, 3}) {
        for (int head = 0; head < 2; ++head) {
            const Config c = tiny(channels, head, head == 0 ? 2 : 5, 3, 2);
            Model m(c);
            EXPECT(pixelcnn::parameter_count(c) == m.parameter_count(), "parameter_count(config) %lld vs %lld",
                   pixelcnn::parameter_count(c), m.parameter_count());
        }
    }
    Config wide;
    wide.hidden_channels = 65537;
    expect_throws([&] { pixelcnn::parameter_count(wide); }, "hidden_channels: expected a count in 1..65536");
    // One 3x3 tensor of 65536^2 channel pairs holds 3.9e10 values: more than a tensor can.
    Config one_tensor;
    one_tensor.hidden_channels = one_tensor.residual_channels = one_tensor.head_channels = 65536;
    expect_throws([&] { Model m(one_tensor); }, "values, more than the 2147483647 one tensor can hold");
    // 1000 blocks of 15000 channels: each tensor fits, all of them need about 40 TB.
    Config huge;
    huge.hidden_channels = huge.residual_channels = huge.head_channels = 15000;
    huge.blocks = 1000;
    expect_throws([&] { Model m(huge); }, "memory: a model of ");
    expect_throws([&] { Model m(huge); }, "more than the ");
    // Few parameters, but 4096x4096 images with 30000 channels: petabytes of activations.
    Config big_images;
    big_images.height = big_images.width = 4096;
    big_images.hidden_channels = 30000;
    big_images.residual_channels = big_images.head_channels = 3;
    big_images.blocks = 0;
    Model m(big_images);
    std::vector<unsigned char> image(static_cast<size_t>(4096) * 4096, 0);
    std::vector<double> nll(1);
    expect_throws([&] { m.log_likelihood(image.data(), 1, nll.data()); }, "memory: working memory for a batch of 1 image needs");
    // The sampler keeps two rows of a 3x3 layer's input per image: 2 x 4096 x 300 floats, 9.8 MB
    // an image, 9.8 TB for a million.
    Config wide_rows = big_images;
    wide_rows.hidden_channels = 3;
    wide_rows.residual_channels = 300;
    wide_rows.blocks = 1;
    Model w(wide_rows);
    expect_throws([&] { pixelcnn::CachedSampler s(w, 1000000); }, "memory: a sampler for 1000000 images needs");
}

// Data-parallel training: the gradients of shares of a batch (forward_backward_share, one share
// empty) summed equal forward_backward's over the whole batch, and the shares' NLL sums add up
// to its loss; the packed vectors round-trip exactly and refuse non-finite values.
static void check_shares(const Config& c) {
    const int count = 7;
    auto img = random_images(c, count, 21);
    auto labels = labels_for(c, count);
    Model whole(c), worker(c);
    const double mean_nll = whole.forward_backward(img.data(), data_or_null(labels), count);
    const long long n = whole.packed_size();
    std::vector<float> expected(static_cast<size_t>(n)), share(static_cast<size_t>(n));
    whole.read_packed(pixelcnn::TENSOR_GRAD, expected.data());
    std::vector<double> sum(static_cast<size_t>(n), 0.0);
    double nll_sum = 0;
    const int bounds[] = {0, 3, 3, count};  // shares of 3, 0 and 4 images
    const size_t image_size = static_cast<size_t>(c.channels) * c.height * c.width;
    for (int s = 0; s < 3; ++s) {
        const int first = bounds[s], size = bounds[s + 1] - bounds[s];
        nll_sum += worker.forward_backward_share(img.data() + first * image_size,
                                                 labels.empty() ? nullptr : labels.data() + first, size, count);
        worker.read_packed(pixelcnn::TENSOR_GRAD, share.data());
        for (long long i = 0; i < n; ++i) sum[i] += share[i];
    }
    double worst = 0, scale = 0;
    for (long long i = 0; i < n; ++i) scale = std::max(scale, std::fabs(double(expected[i])));
    for (long long i = 0; i < n; ++i) keep_worst(worst, std::fabs(sum[i] - expected[i]) / scale);
    EXPECT(worst < 1e-5, "shares' gradients summed differ from the batch's by %g of the largest", worst);
    EXPECT(std::fabs(nll_sum / count - mean_nll) < 1e-4 * std::fabs(mean_nll),
           "shares' NLL %.9g vs batch %.9g", nll_sum / count, mean_nll);

    // Packed weights written into another model give it the same outputs, bit for bit.
    Model copy(c);
    std::vector<float> weights(static_cast<size_t>(n));
    whole.read_packed(pixelcnn::TENSOR_PARAM, weights.data());
    for (float& w : weights) w *= 1.5f;
    whole.write_packed(pixelcnn::TENSOR_PARAM, weights.data());
    copy.write_packed(pixelcnn::TENSOR_PARAM, weights.data());
    std::vector<double> a(count), b(count);
    whole.log_likelihood(img.data(), data_or_null(labels), count, a.data());
    copy.log_likelihood(img.data(), data_or_null(labels), count, b.data());
    EXPECT(a == b, "%s", "a model given packed weights scores differently");
    std::vector<float> bad = weights;
    bad[n / 2] = NAN;
    expect_throws([&] { copy.write_packed(pixelcnn::TENSOR_PARAM, bad.data()); }, "is not finite");
    copy.log_likelihood(img.data(), data_or_null(labels), count, b.data());
    EXPECT(a == b, "%s", "a refused write_packed changed the model");
    expect_throws([&] { copy.forward_backward_share(img.data(), data_or_null(labels), 3, 2); },
                  "expected global_count >= max(1, count)");
}

// Per-value NLL maps: their totals are log_likelihood's bit for bit, and so is the sum of the map
// (each row's values in double, then the rows); every value is a NLL (>= 0); changing the value
// at (position q, channel c) changes no map value before it in the sampling order, and changes
// its own (it is -log p of that value).
static void check_nll_maps(const Config& c) {
    const int count = 3;
    auto img = random_images(c, count, 31);
    auto labels = labels_for(c, count);
    Model m(c);
    const int C = c.channels, H = c.height, W = c.width;
    const size_t size = static_cast<size_t>(C) * H * W;
    std::vector<double> nll(count), totals(count);
    std::vector<float> map(count * size);
    m.log_likelihood(img.data(), data_or_null(labels), count, nll.data());
    m.log_likelihood_map(img.data(), data_or_null(labels), count, totals.data(), map.data());
    EXPECT(nll == totals, "%s", "log_likelihood_map's totals differ from log_likelihood's");
    for (int i = 0; i < count; ++i) {
        double total = 0.0;
        for (int y = 0; y < H; ++y) {
            double row = 0.0;
            for (int x = 0; x < W; ++x)
                for (int ch = 0; ch < C; ++ch) {
                    const float v = map[i * size + (static_cast<size_t>(ch) * H + y) * W + x];
                    EXPECT(v >= 0.0f, "map value %g is negative", v);
                    row += v;
                }
            total += row;
        }
        EXPECT(total == nll[i], "image %d: the map sums to %.17g, log_likelihood %.17g", i, total, nll[i]);
    }
    // Perturb image 0 at the middle position, channel C - 1 (the last of its sub-steps).
    const int q = (H / 2) * W + W / 2, ch = C - 1;
    std::vector<unsigned char> changed = img;
    unsigned char& value = changed[static_cast<size_t>(ch) * H * W + q];
    value = static_cast<unsigned char>((value + 1) % c.levels);
    std::vector<float> map2(count * size);
    m.log_likelihood_map(changed.data(), data_or_null(labels), count, nullptr, map2.data());
    for (int p = 0; p < H * W; ++p)
        for (int k = 0; k < C; ++k) {
            const size_t at = static_cast<size_t>(k) * H * W + p;
            const bool before = p < q || (p == q && k < ch);
            if (before) EXPECT(map[at] == map2[at], "map value (%d, %d) before the change moved", p, k);
        }
    const size_t own = static_cast<size_t>(ch) * H * W + q;
    EXPECT(map[own] != map2[own], "%s", "the changed value's own NLL did not change");
    for (size_t i = size; i < count * size; ++i) EXPECT(map[i] == map2[i], "%s", "another image's map changed");
    expect_throws([&] { m.log_likelihood_map(img.data(), data_or_null(labels), count, nullptr, nullptr); },
                  "map buffer is null");
}

int main() {
    check_graph();
    check_gated_graph();
    for (int head = 0; head < 2; ++head) {
        for (int channels : {1, 3}) {
            for (int k : {3, 5}) {
                const int levels = head == 0 ? 2 : 5;
                Config c = tiny(channels, head, levels, k, 2);
                check_gradients(c);
                check_causality(c);
                for (int classes : {0, 3}) {
                    Config g = tiny(channels, head, levels, k, 2, pixelcnn::ARCH_GATED, classes);
                    g.skip = k == 3;
                    check_gradients(g);
                    check_causality(g);
                }
            }
        }
    }
    check_shares(tiny(1, pixelcnn::HEAD_BERNOULLI, 2, 3, 2));
    check_nll_maps(tiny(1, pixelcnn::HEAD_BERNOULLI, 2, 3, 2));
    check_nll_maps(tiny(3, pixelcnn::HEAD_CATEGORICAL, 5, 3, 1));
    check_nll_maps(tiny(3, pixelcnn::HEAD_CATEGORICAL, 5, 3, 1, pixelcnn::ARCH_GATED, 3));
    check_shares(tiny(3, pixelcnn::HEAD_CATEGORICAL, 5, 3, 1, pixelcnn::ARCH_GATED, 3));
    check_blind_spot();
    check_labels();
    check_determinism_and_threads();
    check_clipping();
    check_weight_decay();
    check_adam_guards();
    check_validation();
    check_memory_bounds();
    return test_exit_code("test_model");
}
