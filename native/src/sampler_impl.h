// The cached sampler's state (see sampler.cpp), in a header so tests can inspect the caches.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model_impl.h"

namespace pixelcnn {

// Input of a k x k convolution: a ring of `rows` image rows, per image (rows, width, channels).
struct RowRing {
    int rows = 1;
    int channels = 0;
    int width = 0;
    std::vector<float> data;  // (count, rows, width, channels)

    void init(int count, int kernel, int w, int ch) {
        rows = kernel / 2 + 1;
        width = w;
        channels = ch;
        data.assign(static_cast<size_t>(count) * rows * width * channels, 0.0f);
    }
    int64_t image_stride() const { return static_cast<int64_t>(rows) * width * channels; }
    float* at(int n, int y, int x) {
        return data.data() + n * image_stride() + (static_cast<int64_t>(y % rows) * width + x) * channels;
    }
};

// One vector per image: (count, channels).
struct PositionVec {
    int channels = 0;
    std::vector<float> data;
    void init(int count, int ch) {
        channels = ch;
        data.assign(static_cast<size_t>(count) * ch, 0.0f);
    }
    float* row(int n) { return data.data() + static_cast<int64_t>(n) * channels; }
};

class SamplerImpl {
public:
    SamplerImpl(ModelImpl& model, int count);

    ModelImpl& m;
    int count;
    int next_row = 0;
    int64_t col_stride = 0;           // floats of im2col scratch per image
    std::vector<float> col;           // (count, col_stride)
    RowRing input;                    // encoded image, input conv's input
    std::vector<RowRing> block_mid;   // per block: relu(conv1), conv2's input
    std::vector<PositionVec> block_in;   // per block: relu(h), conv1's input
    std::vector<PositionVec> block_out;  // per block: relu(conv2), conv3's input
    PositionVec h, head_in, head_mid, logits;

    // Test hook: called after the last sub-step of each pixel with (y, x), when set.
    std::function<void(int, int)> after_pixel;

    void sample_row(unsigned char* images, const unsigned char* known, int row, long long seed,
                    long long first_index, float temperature);
    void step(int n0, int n1, int y, int x, int group);
    // out[n] (stride out_stride) for images n0..n1, columns of `group`, from the gathered taps
    // of `conv`; accumulate adds to out instead of overwriting.
    void conv_at(int conv_index, int n0, int n1, const float* a, int64_t a_stride, float* out,
                 int64_t out_stride, int group, bool accumulate);
    const float* gather(const MaskedConv& conv, RowRing& ring, int n0, int n1, int y, int x);
};

}  // namespace pixelcnn
