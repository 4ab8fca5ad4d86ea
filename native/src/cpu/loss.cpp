// Negative log-likelihood of the images under the logits, per image row (summed in double),
// with the gradient of grad_scale * total nats when asked: binary cross-entropy for a Bernoulli
// head, softmax cross-entropy over `levels` values per channel for a categorical one.
#include <algorithm>
#include <cmath>

#include "pixelcnn/cpu_features.h"

#if defined(PCNN_X86_64)
#include <immintrin.h>
#endif

#include "gemm.h"
#include "ops.h"

namespace pixelcnn {
namespace cpu {

namespace {

// Index of image value (n, c, y*width + x) in NCHW.
inline int64_t nchw(const Shape& s, int channels, int64_t n, int c, int64_t yx) {
    return (n * channels + c) * static_cast<int64_t>(s.height) * s.width + yx;
}

// -log softmax(l)[t] over `levels` logits, and with d, d = grad_scale * (softmax(l) - onehot(t)):
// e_k = exp(l_k - max) once, then log(sum) and e_k / sum. Two versions, one chosen at run time.
using SoftmaxNll = float (*)(const float* l, int levels, int t, float* d, float grad_scale);

float softmax_nll_scalar(const float* l, int levels, int t, float* d, float grad_scale) {
    float mx = l[0];
    for (int k = 1; k < levels; ++k) mx = std::max(mx, l[k]);
    float sum = 0.0f;
    for (int k = 0; k < levels; ++k) {
        const float e = std::exp(l[k] - mx);
        sum += e;
        if (d) d[k] = e;
    }
    if (d) {
        const float scale = grad_scale / sum;
        for (int k = 0; k < levels; ++k) d[k] *= scale;
        d[t] -= grad_scale;
    }
    return mx + std::log(sum) - l[t];
}

#if defined(PCNN_X86_64)
#define PCNN_AVX512 PCNN_AVX512_FN

// exp(x) for x <= 0 to about 2 ulp: 2^n * p(r), n = round(x / ln 2), r = x - n ln 2 in
// [-ln2/2, ln2/2], p the degree-6 Taylor polynomial; vscalefps applies 2^n and underflows to 0.
// x is clamped at -104 (exp is 0 in float long before) with NaN kept: max returns its second
// operand when one is NaN. A softmax over 256 levels spent a fifth of an rgb-32 training step in
// the C library's scalar expf.
PCNN_AVX512 inline __m512 exp_nonpositive(__m512 x) {
    x = _mm512_maskz_max_ps(0xFFFF, _mm512_set1_ps(-104.0f), x);
    const __m512 n = _mm512_maskz_roundscale_ps(0xFFFF, _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);  // ln 2, high part (exact product)
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);      // and the rest
    __m512 p = _mm512_set1_ps(1.0f / 720.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_maskz_scalef_ps(0xFFFF, p, n);
}

// Horizontal max and sum, lane by lane in order. (The maskz forms above and these loops keep
// GCC 12 from warning about the undefined vectors its headers' plain forms pass along.)
PCNN_AVX512 inline float lanes_max(__m512 v) {
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, v);
    float m = lanes[0];
    for (int i = 1; i < 16; ++i) m = std::max(m, lanes[i]);
    return m;
}

PCNN_AVX512 inline float lanes_sum(__m512 v) {
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, v);
    float sum = 0.0f;
    for (int i = 0; i < 16; ++i) sum += lanes[i];
    return sum;
}

PCNN_AVX512 float softmax_nll_avx512(const float* l, int levels, int t, float* d, float grad_scale) {
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    for (int k = 0; k < levels; k += 16) {
        const __mmask16 m = levels - k >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (levels - k)) - 1);
        vmax = _mm512_mask_max_ps(vmax, m, vmax, _mm512_maskz_loadu_ps(m, l + k));
    }
    const float mx = lanes_max(vmax);
    const __m512 vmx = _mm512_set1_ps(mx);
    __m512 vsum = _mm512_setzero_ps();
    for (int k = 0; k < levels; k += 16) {
        const __mmask16 m = levels - k >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (levels - k)) - 1);
        const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, l + k), vmx));
        vsum = _mm512_mask_add_ps(vsum, m, vsum, e);
        if (d) _mm512_mask_storeu_ps(d + k, m, e);
    }
    const float sum = lanes_sum(vsum);
    if (d) {
        const __m512 scale = _mm512_set1_ps(grad_scale / sum);
        for (int k = 0; k < levels; k += 16) {
            const __mmask16 m = levels - k >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (levels - k)) - 1);
            _mm512_mask_storeu_ps(d + k, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, d + k), scale));
        }
        d[t] -= grad_scale;
    }
    return mx + std::log(sum) - l[t];
}
#endif

SoftmaxNll softmax_nll_kernel() {
#if defined(PCNN_X86_64)
    if (gemm_available(GemmKernel::Avx512) && active_gemm() == GemmKernel::Avx512) return softmax_nll_avx512;
#endif
    return softmax_nll_scalar;
}

}  // namespace

void bernoulli_nll(const Context& ctx, const float* logits, const unsigned char* images, Shape s,
                   int channels, double* row_nll, float* dlogits, float grad_scale, float* value_nll) {
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
                    const float nats = std::max(l, 0.0f) - t * l + std::log1p(std::exp(-std::fabs(l)));
                    total += nats;
                    if (value_nll) value_nll[p * channels + c] = nats;
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
                     int channels, int levels, double* row_nll, float* dlogits, float grad_scale,
                     float* value_nll) {
    const int out = channels * levels;
    const SoftmaxNll nll = softmax_nll_kernel();
    ctx.threads().parallel_for(0, static_cast<int64_t>(s.count) * s.height, [&](int64_t lo, int64_t hi) {
        for (int64_t row = lo; row < hi; ++row) {
            const int64_t n = row / s.height, y = row % s.height;
            double total = 0.0;
            for (int x = 0; x < s.width; ++x) {
                const int64_t p = row * s.width + x;
                for (int c = 0; c < channels; ++c) {
                    const int t = images[nchw(s, channels, n, c, y * s.width + x)];
                    const float nats = nll(logits + p * out + c * levels, levels, t,
                                           dlogits ? dlogits + p * out + c * levels : nullptr, grad_scale);
                    total += nats;
                    if (value_nll) value_nll[p * channels + c] = nats;
                }
            }
            row_nll[row] = total;
        }
    }, 1);
}

}  // namespace cpu
}  // namespace pixelcnn
