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

void relu_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0, int width) {
    for (int r = 0; r < rows; ++r) {
        const float* s = in + r * in_stride + c0;
        float* d = out + r * out_stride + c0;
        for (int j = 0; j < width; ++j) d[j] = s[j] > 0.0f ? s[j] : 0.0f;
    }
}

}  // namespace cpu
}  // namespace pixelcnn
