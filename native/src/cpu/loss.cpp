// Negative log-likelihood of the images under the logits, per image row (summed in double),
// with the gradient of grad_scale * total nats when asked: binary cross-entropy for a Bernoulli
// head, softmax cross-entropy over `levels` values per channel for a categorical one.
#include <algorithm>
#include <cmath>

#include "ops.h"

namespace pixelcnn {
namespace cpu {

namespace {

// Index of image value (n, c, y*width + x) in NCHW.
inline int64_t nchw(const Shape& s, int channels, int64_t n, int c, int64_t yx) {
    return (n * channels + c) * static_cast<int64_t>(s.height) * s.width + yx;
}

}  // namespace

void bernoulli_nll(const Context& ctx, const float* logits, const unsigned char* images, Shape s,
                   int channels, double* row_nll, float* dlogits, float grad_scale) {
    ctx.threads().parallel_for(0, static_cast<int64_t>(s.count) * s.height, [&](int64_t lo, int64_t hi) {
        for (int64_t row = lo; row < hi; ++row) {
            const int64_t n = row / s.height, y = row % s.height;
            double total = 0.0;
            for (int x = 0; x < s.width; ++x) {
                const int64_t p = row * s.width + x;
                for (int c = 0; c < channels; ++c) {
                    const float l = logits[p * channels + c];
                    const float t = images[nchw(s, channels, n, c, y * s.width + x)];
                    // softplus(l) - t*l, computed stably
                    total += std::max(l, 0.0f) - t * l + std::log1p(std::exp(-std::fabs(l)));
                    if (dlogits) {
                        const float sig = 1.0f / (1.0f + std::exp(-l));
                        dlogits[p * channels + c] = (sig - t) * grad_scale;
                    }
                }
            }
            row_nll[row] = total;
        }
    }, 1);
}

void categorical_nll(const Context& ctx, const float* logits, const unsigned char* images, Shape s,
                     int channels, int levels, double* row_nll, float* dlogits, float grad_scale) {
    const int out = channels * levels;
    ctx.threads().parallel_for(0, static_cast<int64_t>(s.count) * s.height, [&](int64_t lo, int64_t hi) {
        for (int64_t row = lo; row < hi; ++row) {
            const int64_t n = row / s.height, y = row % s.height;
            double total = 0.0;
            for (int x = 0; x < s.width; ++x) {
                const int64_t p = row * s.width + x;
                for (int c = 0; c < channels; ++c) {
                    const float* l = logits + p * out + c * levels;
                    const int t = images[nchw(s, channels, n, c, y * s.width + x)];
                    float mx = l[0];
                    for (int k = 1; k < levels; ++k) mx = std::max(mx, l[k]);
                    float sum = 0.0f;
                    for (int k = 0; k < levels; ++k) sum += std::exp(l[k] - mx);
                    const float lse = mx + std::log(sum);
                    total += lse - l[t];
                    if (dlogits) {
                        float* d = dlogits + p * out + c * levels;
                        for (int k = 0; k < levels; ++k) d[k] = std::exp(l[k] - lse) * grad_scale;
                        d[t] -= grad_scale;
                    }
                }
            }
            row_nll[row] = total;
        }
    }, 1);
}

}  // namespace cpu
}  // namespace pixelcnn
