// The GEMMs every CPU op multiplies with. Three kernels, one chosen at run time:
//   avx512    our AVX-512 kernel (gemm_avx512.cpp), where the CPU has AVX-512F;
//   blas      the CBLAS the engine was built with (blas.h), if any;
//   fallback  our blocked C++ kernel (gemm_fallback.cpp), portable, needs nothing.
// Default: avx512 where available, else blas, else fallback; PIXELCNN4J_GEMM=avx512, blas
// (or openblas) or fallback forces one (tests and comparisons). The avx512 and fallback kernels
// sum every element's K products in an order that does not depend on M, N or the row split,
// so a result does not depend on the batch size (cached sampling equals naive sampling on it).
//
// Every GEMM runs single-threaded; parallel_sgemm splits one across the context's thread pool,
// which is the CPU backend's only source of threads (any BLAS is kept single-threaded).
#pragma once

#include <functional>
#include <string>

#include "ops.h"

namespace pixelcnn {
namespace cpu {

enum class GemmKernel { Avx512, Blas, Fallback };

// C (M x N) = A' (M x K) . B' (K x N) + beta * C, row-major, A' = A or A^T (trans_a), B' = B
// or B^T (trans_b), single-threaded, with the active kernel (avx512 only for beta 0 or 1).
void sgemm(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc);
// The same, split over the context's threads by rows of C (columns when M is small).
void parallel_sgemm(const Context& ctx, bool trans_a, bool trans_b, int M, int N, int K,
                    const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc);
// C (M x N) = A' . B' + bias (a row vector, N), or C += bias + A' . B' when accumulate: the
// convolutions' "bias, then GEMM onto it" in one pass over C where the kernel can (AVX-512: the
// bias joins the first K block's store, the same additions in the same order, the same bits),
// else as two steps. relu (nullable, leading dimension ldc): the ReLU that follows the
// convolution, max(C, 0), written there (relu == C: in place of C) by the last K block's
// store, or as a pass after the GEMM: the same bits either way. Single-threaded, and split over
// the context's threads like parallel_sgemm.
void sgemm_bias(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const float* B,
                int ldb, const float* bias, bool accumulate, float* C, int ldc, float* relu);
void parallel_sgemm_bias(const Context& ctx, bool trans_a, bool trans_b, int M, int N, int K, const float* A,
                         int lda, const float* B, int ldb, const float* bias, bool accumulate, float* C, int ldc,
                         float* relu);

// A^T given one row at a time, for a weight gradient whose A^T is not stored (a masked
// convolution's gathered taps): row(k, i0, i1, scratch) returns p with p[i - i0] = A^T(i, k)
// for i0 <= i < i1, written into scratch (room for i1 - i0 floats) or pointing into memory.
struct TransposedRows {
    virtual ~TransposedRows() = default;
    virtual const float* row(int64_t k, int i0, int i1, float* scratch) const = 0;
};
// C (M x N) = A^T . B, A^T's K rows from `rows` (M floats each), B (K x N) row-major, C
// overwritten; split over the context's threads like parallel_sgemm, with the same bits as
// parallel_sgemm(trans_a) on the stored A. The AVX-512 kernel packs each row straight from the
// source (no K x M matrix is written); other kernels get the rows written into scratch (K x M
// floats) first.
void parallel_sgemm_rows_tn(const Context& ctx, int M, int N, int K, const TransposedRows& rows, const float* B,
                            int ldb, float* C, int ldc, float* scratch);

// A convolution's gathered taps as an implicit A (positions x taps * channels): row p, column
// t * channels + c is in[(p + offset of tap t) * channels + c], zero where tap t falls outside
// the image. The forward GEMM reads it in place of an im2col written out (masked_conv.cpp keeps
// the written im2col for the other kernels and the cached sampler).
struct Im2col {
    const float* in = nullptr;
    int channels = 0;
    Shape s;
    int taps = 0;
    const int* dy = nullptr;
    const int* dx = nullptr;

    // Where tap t of output position p reads its channels in `in`; null outside the image.
    const float* source(int64_t p, int t) const {
        const int64_t plane = static_cast<int64_t>(s.height) * s.width;
        const int64_t n = p / plane;
        const int sy = static_cast<int>(p % plane / s.width) + dy[t], sx = static_cast<int>(p % s.width) + dx[t];
        if (sy < 0 || sy >= s.height || sx < 0 || sx >= s.width) return nullptr;
        return in + ((n * s.height + sy) * s.width + sx) * channels;
    }
};
// Rows p0 .. p1 of C (C points at row p0) = the implicit A's rows . B + bias (accumulate and
// relu as sgemm_bias), with the bits of gathering the rows and calling sgemm_bias on them.
// False (nothing done) where the active kernel cannot: not AVX-512, fewer than 16 channels (runs
// too short), N <= 32 or 7 to 12 rows (the kernel the stored A would get is not the wide one).
bool sgemm_im2col_bias(const Im2col& a, int64_t p0, int64_t p1, int N, const float* B, int ldb, const float* bias,
                       bool accumulate, float* C, int ldc, float* relu);

// out (cols x rows) = a (rows x cols)^T, row-major: a weight turned once for GEMMs that would
// each transpose it (trans_b) when an op multiplies it block by block.
void transpose(const float* a, int rows, int cols, float* out);

// Calls part_fn(m0, m1) for one block of rows of an M-row product per thread, the blocks of
// parallel_sgemm's row split (for ops that do more than a GEMM on their rows).
void split_gemm_rows(const Context& ctx, int M, const std::function<void(int, int)>& part_fn);

// y (N) = A^T . x for A (M x N) row-major: the bias gradient (x = ones), through the BLAS when
// there is one (its summation order is what the oracle tests were measured with).
void sgemv_t(int M, int N, const float* A, int lda, const float* x, float* y);

GemmKernel active_gemm();
bool gemm_available(GemmKernel kernel);
const char* gemm_name(GemmKernel kernel);
// "pixelcnn AVX-512 kernel", "pixelcnn fallback kernel" or the BLAS description.
std::string gemm_description();

// The kernels themselves, for tests: same contract as sgemm.
void sgemm_avx512(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
                  const float* B, int ldb, float beta, float* C, int ldc);
// The same with a bias row and a ReLU fused (either null: none); beta 0 or 1.
void sgemm_avx512_bias(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
                       const float* B, int ldb, float beta, float* C, int ldc, const float* bias, float* relu);
// sgemm_im2col_bias on the AVX-512 kernel (the caller checked that it applies).
void sgemm_avx512_im2col(const Im2col& a, int64_t p0, int64_t p1, int N, const float* B, int ldb, const float* bias,
                         bool accumulate, float* C, int ldc, float* relu);
// C (M x N) = A^T . B with A^T's rows row0 .. row0 + M of `rows` (beta 0).
void sgemm_avx512_rows_tn(int M, int N, int K, const TransposedRows& rows, int row0, const float* B, int ldb,
                          float* C, int ldc);
void sgemm_fallback(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
                    const float* B, int ldb, float beta, float* C, int ldc);

// GFLOP/s of an n x n x n sgemm on `threads` threads, median of `reps` after a warm-up: the
// BLAS's own threading when it is OpenBLAS (then set back to one thread), else our kernel split
// over a pool of that size. The practical peak, for efficiency figures.
double sgemm_gflops(int n, int threads, int reps);

}  // namespace cpu
}  // namespace pixelcnn
