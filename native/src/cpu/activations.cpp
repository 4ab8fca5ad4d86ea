// ReLU, forward and backward over whole buffers, and at one position for the cached sampler; the
// gated unit of Gated PixelCNN, forward and backward (gate_math.h: its tanh, scalar here and in
// AVX-512 vectors where the CPU has them, the same bits either way); the class bias and the
// residual add.
#include <algorithm>
#include <cmath>

#include "gate_math.h"
#include "gemm.h"
#include "ops.h"

#include "pixelcnn/cpu_features.h"

#if defined(PCNN_X86_64)
#include <immintrin.h>
#define PCNN_GATE_AVX512 1
#endif

namespace pixelcnn {
namespace cpu {

using gate_math::sigmoid_f32;
using gate_math::tanh_f32;

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

// Rows per task: a gate costs two exponentials a value, far more than a ReLU.
const int64_t kGatePositions = 64;

namespace {

// o[j] = tanh(a[j]) * sigmoid(b[j]) for j < n: scalar, in gate_math's operation order.
void gate_span(const float* a, const float* b, float* o, int n) {
    for (int j = 0; j < n; ++j) o[j] = tanh_f32(a[j]) * sigmoid_f32(b[j]);
}

void gate_backward_rows(const float* in, const float* dout, float* din, int64_t r0, int64_t r1, int F,
                        bool accumulate) {
    for (int64_t p = r0; p < r1; ++p) {
        const float* a = in + p * 2 * F;
        const float* b = a + F;
        const float* d = dout + p * F;
        float* ga = din + p * 2 * F;
        float* gb = ga + F;
        for (int j = 0; j < F; ++j) {
            const float t = tanh_f32(a[j]), s = sigmoid_f32(b[j]);
            const float da = d[j] * (1.0f - t * t) * s, db = d[j] * t * s * (1.0f - s);
            ga[j] = accumulate ? ga[j] + da : da;
            gb[j] = accumulate ? gb[j] + db : db;
        }
    }
}

#ifdef PCNN_GATE_AVX512
// GCC 12 warns of the undefined upper operand its own conversion intrinsics pass (a false alarm).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// gate_math::tanh_f32 on 16 lanes, operation for operation.
PCNN_AVX512_FN inline __m512 tanh16(__m512 x) {
    using namespace gate_math;
    const __m512 ax = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7FFFFFFF)));
    const __m512 y = _mm512_mul_ps(_mm512_set1_ps(2.0f), _mm512_min_ps(ax, _mm512_set1_ps(kClamp)));
    const __m512i n = _mm512_cvttps_epi32(_mm512_add_ps(_mm512_mul_ps(y, _mm512_set1_ps(kLog2e)), _mm512_set1_ps(0.5f)));
    const __m512 nf = _mm512_cvtepi32_ps(n);
    const __m512 r = _mm512_sub_ps(_mm512_sub_ps(y, _mm512_mul_ps(nf, _mm512_set1_ps(kLn2High))),
                                   _mm512_mul_ps(nf, _mm512_set1_ps(kLn2Low)));
    __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(0.5f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.0f));
    const __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
    const __m512 e = _mm512_mul_ps(p, scale);
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 large = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
    const __m512 z = _mm512_mul_ps(ax, ax);
    __m512 q = _mm512_set1_ps(kTanhC11);
    q = _mm512_add_ps(_mm512_mul_ps(q, z), _mm512_set1_ps(kTanhC9));
    q = _mm512_add_ps(_mm512_mul_ps(q, z), _mm512_set1_ps(kTanhC7));
    q = _mm512_add_ps(_mm512_mul_ps(q, z), _mm512_set1_ps(kTanhC5));
    q = _mm512_add_ps(_mm512_mul_ps(q, z), _mm512_set1_ps(kTanhC3));
    const __m512 small = _mm512_add_ps(ax, _mm512_mul_ps(_mm512_mul_ps(ax, z), q));
    const __m512 magnitude = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(ax, _mm512_set1_ps(kSmall), _CMP_LT_OQ), large, small);
    const __m512 result = _mm512_castsi512_ps(_mm512_or_si512(
        _mm512_castps_si512(magnitude),
        _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(static_cast<int>(0x80000000u)))));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), result, x);
}

PCNN_AVX512_FN inline __m512 sigmoid16(__m512 b) {
    const __m512 half = _mm512_set1_ps(0.5f);
    return _mm512_add_ps(half, _mm512_mul_ps(half, tanh16(_mm512_mul_ps(half, b))));
}

PCNN_AVX512_FN inline __mmask16 lanes(int left) {
    return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1);
}

PCNN_AVX512_FN void gate_span_avx512(const float* a, const float* b, float* o, int n) {
    for (int j = 0; j < n; j += 16) {
        const __mmask16 m = lanes(n - j);
        const __m512 t = tanh16(_mm512_maskz_loadu_ps(m, a + j));
        const __m512 s = sigmoid16(_mm512_maskz_loadu_ps(m, b + j));
        _mm512_mask_storeu_ps(o + j, m, _mm512_mul_ps(t, s));
    }
}

PCNN_AVX512_FN void gate_backward_rows_avx512(const float* in, const float* dout, float* din, int64_t r0,
                                              int64_t r1, int F, bool accumulate) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int64_t p = r0; p < r1; ++p) {
        const float* a = in + p * 2 * F;
        const float* b = a + F;
        const float* d = dout + p * F;
        float* ga = din + p * 2 * F;
        float* gb = ga + F;
        for (int j = 0; j < F; j += 16) {
            const __mmask16 m = lanes(F - j);
            const __m512 t = tanh16(_mm512_maskz_loadu_ps(m, a + j));
            const __m512 s = sigmoid16(_mm512_maskz_loadu_ps(m, b + j));
            const __m512 dj = _mm512_maskz_loadu_ps(m, d + j);
            __m512 da = _mm512_mul_ps(_mm512_mul_ps(dj, _mm512_sub_ps(one, _mm512_mul_ps(t, t))), s);
            __m512 db = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dj, t), s), _mm512_sub_ps(one, s));
            if (accumulate) {
                da = _mm512_add_ps(_mm512_maskz_loadu_ps(m, ga + j), da);
                db = _mm512_add_ps(_mm512_maskz_loadu_ps(m, gb + j), db);
            }
            _mm512_mask_storeu_ps(ga + j, m, da);
            _mm512_mask_storeu_ps(gb + j, m, db);
        }
    }
}
#pragma GCC diagnostic pop
#endif

// With the AVX-512 GEMM: so that the runs forcing another GEMM (PIXELCNN4J_GEMM, the
// *_fallback_gemm and *_blas_gemm tests) also test the scalar gate a CPU without AVX-512 runs.
bool gate_vectors() {
#ifdef PCNN_GATE_AVX512
    static const bool available = active_gemm() == GemmKernel::Avx512;
    return available;
#else
    return false;
#endif
}

// The gate over n values: AVX-512 where the CPU has it, else scalar (the same bits).
using GateSpan = void (*)(const float*, const float*, float*, int);
GateSpan gate_span_kernel() {
#ifdef PCNN_GATE_AVX512
    if (gate_vectors()) return gate_span_avx512;
#endif
    return gate_span;
}

}  // namespace

void gate_forward(const Context& ctx, const float* in, float* out, int64_t positions, int F) {
    const GateSpan span = gate_span_kernel();
    ctx.threads().parallel_for(0, positions, [&](int64_t lo, int64_t hi) {
        for (int64_t p = lo; p < hi; ++p) span(in + p * 2 * F, in + p * 2 * F + F, out + p * F, F);
    }, kGatePositions);
}

void gate_backward(const Context& ctx, const float* in, const float* dout, float* din, int64_t positions, int F,
                   bool accumulate) {
    const bool vectors = gate_vectors();
    ctx.threads().parallel_for(0, positions, [&](int64_t lo, int64_t hi) {
#ifdef PCNN_GATE_AVX512
        if (vectors) return gate_backward_rows_avx512(in, dout, din, lo, hi, F, accumulate);
#endif
        gate_backward_rows(in, dout, din, lo, hi, F, accumulate);
    }, kGatePositions);
}

void gate_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0, int c1,
             int width) {
    const GateSpan span = gate_span_kernel();
    for (int r = 0; r < rows; ++r) {
        const float* src = in + r * in_stride;
        float* dst = out + r * out_stride;
        // Output columns c0..c1 in runs within one group: group g's a and b are its halves.
        for (int c = c0; c < c1;) {
            const int g = c / width, end = std::min(c1, (g + 1) * width);
            const float* a = src + g * 2 * width + (c - g * width);
            span(a, a + width, dst + c, end - c);
            c = end;
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
