// ReLU, forward and backward over whole buffers, and at one position for the cached sampler; the
// gated unit of Gated PixelCNN, forward and backward.
#include <cmath>

#include "ops.h"

namespace pixelcnn {
namespace cpu {

void relu_forward(const Context& ctx, const float* in, float* out, int64_t n) {
    ctx.threads().parallel_for(0, n, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
    }, kGrain);
}

void relu_backward(const Context& ctx, const float* out, const float* dout, float* din, int64_t n,
                   bool accumulate) {
    // Loads are unconditional so that the select vectorises (a conditional load made this a
    // branchy scalar loop, a fifth of a training step in a profile).
    ctx.threads().parallel_for(0, n, [&](int64_t lo, int64_t hi) {
        if (accumulate) {
            for (int64_t i = lo; i < hi; ++i) {
                const float d = dout[i];
                din[i] += out[i] > 0.0f ? d : 0.0f;
            }
        } else {
            for (int64_t i = lo; i < hi; ++i) {
                const float d = dout[i];
                din[i] = out[i] > 0.0f ? d : 0.0f;
            }
        }
    }, kGrain);
}

// Rows of positions per task: a gate costs two exponentials a value, far more than a ReLU.
const int64_t kGatePositions = 64;

// sigmoid through tanh (one transcendental each, no overflow of exp for any b).
inline float sigmoid(float b) { return 0.5f + 0.5f * std::tanh(0.5f * b); }

void gate_forward(const Context& ctx, const float* in, float* out, int64_t positions, int F) {
    ctx.threads().parallel_for(0, positions, [&](int64_t lo, int64_t hi) {
        for (int64_t p = lo; p < hi; ++p) {
            const float* a = in + p * 2 * F;
            const float* b = a + F;
            float* o = out + p * F;
            for (int j = 0; j < F; ++j) o[j] = std::tanh(a[j]) * sigmoid(b[j]);
        }
    }, kGatePositions);
}

void gate_backward(const Context& ctx, const float* in, const float* dout, float* din, int64_t positions, int F,
                   bool accumulate) {
    ctx.threads().parallel_for(0, positions, [&](int64_t lo, int64_t hi) {
        for (int64_t p = lo; p < hi; ++p) {
            const float* a = in + p * 2 * F;
            const float* b = a + F;
            const float* d = dout + p * F;
            float* ga = din + p * 2 * F;
            float* gb = ga + F;
            for (int j = 0; j < F; ++j) {
                const float t = std::tanh(a[j]), s = sigmoid(b[j]);
                const float da = d[j] * (1.0f - t * t) * s, db = d[j] * t * s * (1.0f - s);
                ga[j] = accumulate ? ga[j] + da : da;
                gb[j] = accumulate ? gb[j] + db : db;
            }
        }
    }, kGatePositions);
}

void gate_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0, int c1,
             int width) {
    for (int r = 0; r < rows; ++r) {
        const float* src = in + r * in_stride;
        float* dst = out + r * out_stride;
        for (int c = c0; c < c1; ++c) {
            const float* a = src + (c / width) * 2 * width + c % width;
            dst[c] = std::tanh(a[0]) * sigmoid(a[width]);
        }
    }
}

void class_bias_forward(const Context& ctx, const float* table, const int* labels, float* out, Shape s, int width) {
    const int64_t per_image = static_cast<int64_t>(s.height) * s.width;
    ctx.threads().parallel_for(0, s.positions(), [&](int64_t lo, int64_t hi) {
        for (int64_t p = lo; p < hi; ++p) {
            const float* row = table + static_cast<int64_t>(labels[p / per_image]) * width;
            float* o = out + p * width;
            for (int j = 0; j < width; ++j) o[j] += row[j];
        }
    }, kGatePositions);
}

void class_bias_backward(const Context& ctx, const float* dout, const int* labels, float* dtable, Shape s,
                         int width, int classes) {
    const int64_t per_image = static_cast<int64_t>(s.height) * s.width;
    // Threads own column ranges, so every sum runs in one order whatever the thread count.
    ctx.threads().parallel_for(0, width, [&](int64_t lo, int64_t hi) {
        for (int c = 0; c < classes; ++c)
            for (int64_t j = lo; j < hi; ++j) dtable[static_cast<int64_t>(c) * width + j] = 0.0f;
        for (int n = 0; n < s.count; ++n) {
            float* row = dtable + static_cast<int64_t>(labels[n]) * width;
            for (int64_t p = 0; p < per_image; ++p) {
                const float* d = dout + (n * per_image + p) * width;
                for (int64_t j = lo; j < hi; ++j) row[j] += d[j];
            }
        }
    }, 16);
}

void class_bias_at(const float* table, int table_width, const int* labels, float* out, int64_t out_stride,
                   int rows, int c0, int c1) {
    for (int r = 0; r < rows; ++r) {
        const float* row = table + static_cast<int64_t>(labels[r]) * table_width;
        float* o = out + r * out_stride;
        for (int c = c0; c < c1; ++c) o[c] += row[c];
    }
}

void add(const Context& ctx, const float* src, float* dst, int64_t n, bool accumulate) {
    ctx.threads().parallel_for(0, n, [&](int64_t lo, int64_t hi) {
        if (accumulate) {
            for (int64_t i = lo; i < hi; ++i) dst[i] += src[i];
        } else {
            for (int64_t i = lo; i < hi; ++i) dst[i] = src[i];
        }
    }, kGrain);
}

void add_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0, int c1) {
    for (int r = 0; r < rows; ++r)
        for (int c = c0; c < c1; ++c) out[r * out_stride + c] += in[r * in_stride + c];
}

void relu_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0, int width) {
    for (int r = 0; r < rows; ++r) {
        const float* s = in + r * in_stride + c0;
        float* d = out + r * out_stride + c0;
        for (int j = 0; j < width; ++j) d[j] = s[j] > 0.0f ? s[j] : 0.0f;
    }
}

}  // namespace cpu
}  // namespace pixelcnn
