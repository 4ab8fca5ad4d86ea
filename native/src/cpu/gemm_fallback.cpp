// A portable blocked SGEMM in plain C++: what the engine multiplies with where there is neither
// AVX-512 nor a BLAS, and the check that no result depends on having either.
//
// K is cut into blocks of kKc; within a block every element of C sums its products in k order
// into one accumulator, then adds the block's sum to C. That order depends on nothing but K, so
// a row of C is the same whatever M, N or the split across threads (cached sampling relies on
// it). The 4 x 16 register tile is written as plain loops that compilers vectorise.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "gemm.h"

namespace pixelcnn {
namespace cpu {

namespace {

const int kMr = 4;     // rows of the tile
const int kNr = 16;    // columns of the tile
const int kKc = 256;   // K block

// The kc x N block of B' as column strips of kNr, zero-padded: strip s at bp + s * kc * kNr,
// element (k, j) at [k * kNr + j].
void pack_b(bool trans_b, int kc, int N, const float* B, int64_t ldb, int k0, std::vector<float>& bp) {
    const int strips = (N + kNr - 1) / kNr;
    bp.assign(static_cast<size_t>(strips) * kc * kNr, 0.0f);
    for (int s = 0; s < strips; ++s) {
        float* dst = bp.data() + static_cast<size_t>(s) * kc * kNr;
        const int cols = std::min(kNr, N - s * kNr);
        for (int k = 0; k < kc; ++k)
            for (int j = 0; j < cols; ++j) {
                const int64_t n = s * kNr + j, kk = k0 + k;
                dst[k * kNr + j] = trans_b ? B[n * ldb + kk] : B[kk * ldb + n];
            }
    }
}

// The rows x kc sliver of A' at row i0 as ap[k * kMr + r], zero-padded.
void pack_a(bool trans_a, int rows, int kc, const float* A, int64_t lda, int i0, int k0, float* ap) {
    for (int k = 0; k < kc; ++k)
        for (int r = 0; r < kMr; ++r) {
            const int64_t i = i0 + r, kk = k0 + k;
            ap[k * kMr + r] = r < rows ? (trans_a ? A[kk * lda + i] : A[i * lda + kk]) : 0.0f;
        }
}

void tile(int kc, const float* ap, const float* bp, float* c, int64_t ldc, int rows, int cols,
          bool first, float beta) {
    float acc[kMr][kNr] = {};
    for (int k = 0; k < kc; ++k) {
        const float* b = bp + k * kNr;
        for (int r = 0; r < kMr; ++r) {
            const float a = ap[k * kMr + r];
            for (int j = 0; j < kNr; ++j) acc[r][j] += a * b[j];
        }
    }
    for (int r = 0; r < rows; ++r) {
        float* cr = c + r * ldc;
        for (int j = 0; j < cols; ++j) {
            if (!first) {
                cr[j] += acc[r][j];
            } else if (beta == 0.0f) {
                cr[j] = acc[r][j];
            } else {
                cr[j] = beta * cr[j] + acc[r][j];
            }
        }
    }
}

}  // namespace

void sgemm_fallback(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
                    const float* B, int ldb, float beta, float* C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K == 0) {
        for (int i = 0; i < M; ++i)
            for (int j = 0; j < N; ++j) {
                float& c = C[static_cast<int64_t>(i) * ldc + j];
                c = beta == 0.0f ? 0.0f : beta * c;
            }
        return;
    }
    static thread_local std::vector<float> bp;
    float ap[kKc * kMr];
    for (int k0 = 0; k0 < K; k0 += kKc) {
        const int kc = std::min(kKc, K - k0);
        pack_b(trans_b, kc, N, B, ldb, k0, bp);
        for (int i0 = 0; i0 < M; i0 += kMr) {
            const int rows = std::min(kMr, M - i0);
            pack_a(trans_a, rows, kc, A, lda, i0, k0, ap);
            for (int j0 = 0; j0 < N; j0 += kNr) {
                tile(kc, ap, bp.data() + static_cast<size_t>(j0 / kNr) * kc * kNr,
                     C + static_cast<int64_t>(i0) * ldc + j0, ldc, rows, std::min(kNr, N - j0), k0 == 0, beta);
            }
        }
    }
}

}  // namespace cpu
}  // namespace pixelcnn
