// libFuzzer target for the engine's public C++ API (pixelcnn.h): configurations of both
// networks, tensor reads and writes, images, class labels, Adam settings, sampling arguments,
// all taken from the fuzzer's bytes.
//
// The contract under test: every call either works or throws std::invalid_argument (a bad
// argument, named in the message). A crash, a sanitizer report (the target is built with
// AddressSanitizer and UndefinedBehaviorSanitizer), a pixelcnn internal error (std::logic_error)
// or any other exception is a finding. Built by PIXELCNN_FUZZ=ON with clang; run by fuzz/run.sh.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "pixelcnn/pixelcnn.h"

namespace {

// Reads the fuzzer's bytes as values; past the end everything is zero.
class Input {
public:
    Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}

    uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    uint32_t u32() {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = v << 8 | byte();
        return v;
    }
    // Mostly a small value in [lo, hi] (deep paths), sometimes any int (the checks' edges).
    int small_or_any(int lo, int hi) {
        const uint8_t b = byte();
        if (b == 0xff) return static_cast<int>(u32());
        return lo + b % (hi - lo + 1);
    }
    float any_float() {
        const uint32_t bits = u32();
        float f;
        std::memcpy(&f, &bits, sizeof(f));
        return f;
    }
    // A few special values, else a small one.
    double setting(double typical) {
        switch (byte() % 8) {
            case 0: return NAN;
            case 1: return INFINITY;
            case 2: return 1e300;
            case 3: return 1e-50;
            case 4: return -typical;
            case 5: return static_cast<double>(any_float());
            default: return typical;
        }
    }
    std::vector<unsigned char> bytes(size_t n) {
        std::vector<unsigned char> out(n);
        for (auto& b : out) b = byte();
        return out;
    }
    bool done() const { return pos_ >= size_; }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

// Runs one API call; std::invalid_argument is the documented answer to bad arguments.
template <typename F>
void call(F f) {
    try {
        f();
    } catch (const std::invalid_argument&) {
    }
}

pixelcnn::Config config_from(Input& in) {
    pixelcnn::Config c;
    c.arch = in.small_or_any(0, 1);
    c.channels = in.small_or_any(0, 4);
    c.height = in.small_or_any(0, 6);
    c.width = in.small_or_any(0, 6);
    c.head = in.small_or_any(0, 2);
    c.levels = in.small_or_any(1, 9);
    c.hidden_channels = in.small_or_any(0, 9);
    c.residual_channels = in.small_or_any(0, 9);
    c.head_channels = in.small_or_any(0, 9);
    c.blocks = in.small_or_any(0, 3);
    c.input_kernel = in.small_or_any(0, 7);
    c.block_kernel = in.small_or_any(0, 5);
    c.seed = static_cast<long long>(in.u32());
    // 1 or 2 threads for the models that get built (0, all threads, and any int through small_or_any).
    c.threads = in.small_or_any(1, 2);
    // Read last, so that the seed corpus written before them keeps its meaning.
    c.classes = in.small_or_any(0, 3);
    c.skip = in.small_or_any(0, 1);
    return c;
}

// Labels for `count` images: none (null) a quarter of the time, else mostly in range.
std::vector<int> labels_from(Input& in, int count, int classes) {
    std::vector<int> labels;
    if (in.byte() % 4 == 0) return labels;
    for (int i = 0; i < (count > 0 && count < 8 ? count : 1); ++i)
        labels.push_back(in.byte() < 240 ? in.byte() % (classes > 0 ? classes : 1) : in.small_or_any(-1, classes));
    return labels;
}

const int* data_or_null(const std::vector<int>& v) { return v.empty() ? nullptr : v.data(); }

void exercise(pixelcnn::Model& m, Input& in) {
    const pixelcnn::Config& c = m.config();
    const size_t image_size = static_cast<size_t>(c.channels) * c.height * c.width;
    while (!in.done()) {
        switch (in.byte() % 8) {
            case 0: {  // a tensor write of any values, to any index and kind
                const int index = in.small_or_any(-1, m.tensor_count());
                const int kind = in.small_or_any(-1, 4);
                long long size = 0;
                call([&] { size = m.tensor_size(index); });
                std::vector<float> values(static_cast<size_t>(size > 0 ? size : 1));
                for (float& v : values) v = in.byte() < 250 ? (in.byte() - 128) / 64.0f : in.any_float();
                call([&] { m.write_tensor(kind, index, values.data()); });
                call([&] { m.read_tensor(kind, index, values.data()); });
                break;
            }
            case 1: {  // likelihood of images whose values may be out of range
                const int count = in.small_or_any(0, 3);
                std::vector<unsigned char> images = in.bytes(image_size * (count > 0 && count < 8 ? count : 1));
                for (auto& v : images) v = in.byte() < 240 ? v % c.levels : v;
                std::vector<double> nll(count > 0 && count < 8 ? count : 1);
                const std::vector<int> labels = labels_from(in, count, c.classes);
                if (count < 8) call([&] { m.log_likelihood(images.data(), data_or_null(labels), count, nll.data()); });
                break;
            }
            case 2: {  // a training step with any Adam settings
                std::vector<unsigned char> images = in.bytes(image_size * 2);
                for (auto& v : images) v %= c.levels;
                pixelcnn::AdamConfig adam;
                adam.learning_rate = in.setting(1e-3);
                adam.beta1 = in.setting(0.9);
                adam.beta2 = in.setting(0.999);
                adam.eps = in.setting(1e-8);
                adam.clip_norm = in.byte() % 2 ? 0.0 : in.setting(1.0);
                const std::vector<int> labels = labels_from(in, 2, c.classes);
                call([&] { m.train_step(images.data(), labels.size() == 2 ? labels.data() : nullptr, 2, adam); });
                break;
            }
            case 3: {  // naive sampling of any row with any arguments
                std::vector<unsigned char> images(image_size * 2, 0), known = in.bytes(image_size * 2);
                const int row = in.small_or_any(-1, c.height);
                const float temperature = in.byte() % 2 ? 1.0f : in.any_float();
                const std::vector<int> labels = labels_from(in, 2, c.classes);
                call([&] {
                    m.sample_row_naive(images.data(), in.byte() % 2 ? known.data() : nullptr,
                                       labels.size() == 2 ? labels.data() : nullptr, 2, row,
                                       static_cast<long long>(in.u32()), in.small_or_any(-1, 5), temperature);
                });
                break;
            }
            case 4: {  // cached sampling: rows in the fuzzer's order, not always the expected one
                const int count = in.small_or_any(0, 3);
                if (count < 0 || count > 4) {
                    call([&] { pixelcnn::CachedSampler s(m, count); });
                    break;
                }
                call([&] {
                    pixelcnn::CachedSampler s(m, count);
                    std::vector<unsigned char> images(image_size * (count > 0 ? count : 1), 0);
                    for (int k = 0; k < c.height + 1; ++k) {
                        const int row = in.byte() % 4 == 0 ? in.small_or_any(-1, c.height) : s.next_row();
                        // Labels, changed between rows now and then (refused: an image keeps its label).
                        const std::vector<int> labels = labels_from(in, count, c.classes);
                        call([&] {
                            s.sample_row(images.data(), nullptr,
                                         static_cast<int>(labels.size()) == count ? labels.data() : nullptr, row, 7,
                                         0, 1.0f);
                        });
                        if (in.byte() % 8 == 0) s.reset();
                    }
                });
                break;
            }
            case 5:
                call([&] { m.set_threads(in.small_or_any(0, 3)); });
                break;
            case 6: {
                const int index = in.small_or_any(-1, m.tensor_count());
                call([&] {
                    std::vector<float> mask(static_cast<size_t>(m.tensor_size(index)));
                    m.read_mask(index, mask.data());
                    m.tensor_dim(index, in.small_or_any(-1, 4));
                    m.tensor_name(index);
                });
                break;
            }
            case 7:
                call([&] { m.set_adam_step_count(static_cast<long long>(static_cast<int32_t>(in.u32()))); });
                break;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Input in(data, size);
    const pixelcnn::Config config = config_from(in);
    try {
        const long long parameters = pixelcnn::parameter_count(config);
        // Models beyond a fuzzing budget are valid but slow; their checks ran above.
        if (parameters > 20000 || static_cast<long long>(config.height) * config.width > 64) return 0;
        pixelcnn::Model model(config);
        if (model.parameter_count() != parameters) {
            std::fprintf(stderr, "parameter_count(config) %lld != Model::parameter_count() %lld\n", parameters,
                         model.parameter_count());
            std::abort();
        }
        exercise(model, in);
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
