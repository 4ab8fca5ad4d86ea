// Single-threaded SGEMM with AVX-512, for the shapes the engine multiplies: one huge dimension
// (positions) and two small ones (channels x taps). Compiled with a target attribute and called
// only when the CPU has AVX-512F (cpu/gemm.cpp decides), so the library runs on any x86-64.
//
// Why our own: OpenBLAS picks its kernels by CPU model, and where it picks (or is told, with
// OPENBLAS_CORETYPE) its AVX2 kernels on an AVX-512 machine, sgemm runs at half the speed the
// hardware gives; LibTorch's convolutions meanwhile run in oneDNN's AVX-512 code.
//
// Layout: C (M x N) = A' (M x K) . B' (K x N) (+ C when accumulating), all row-major, A' = A
// or A^T, B' = B or B^T. Blocking: K in blocks (the B' block and a sliver of A' stay in L1/L2),
// then row tiles of C, then column panels. Two micro-kernels keep 24 zmm accumulators: 6 x 64
// (four loads of B' and six broadcasts of A' per K step) when N > 32 and M is not 7 to 12,
// else 12 x 32. Every element of C sums its K products in the same order whatever M, N, the
// kernel or the split across threads, so results do not depend on batch size (cached sampling
// relies on it).
#include "pixelcnn/cpu_features.h"

#if defined(PCNN_X86_64)
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gemm.h"

namespace pixelcnn {
namespace cpu {

namespace {

const int kMr = 12;    // rows of the register tile
const int kNr = 32;    // columns of the register tile (two zmm)
const int kKc = 256;   // K block (128 when A is transposed: a 128 x 64 block of B' fits L1)

#define PCNN_AVX512 PCNN_AVX512_FN

// Packs a K block of A^T for all M rows at once, tile by tile: tile t (rows t * tile_rows ..)
// goes to ap + t * packed_tile_floats(tile_rows, kc) as ap[k * tile_rows + r], rows past M
// zero, so the kernel broadcasts from one moving pointer. row_of(k) gives row k of the block
// (M adjacent floats). Reading each row once, in order, is why the whole panel is packed: a
// sliver of 6 or 12 rows takes 24 or 48 bytes of each of kc cache lines, and packing sliver
// by sliver read the weight gradient's col (32 MB at batch 32) once per tile, 53 times. It is
// also why the rows can come from a TransposedRows source that gathers them from the
// convolution's input, so that no col is written at all. The stores are 8 or 16 floats: the
// extra floats land in the next k's slot, written next, or in the tile's padding.
inline int64_t packed_tile_floats(int tile_rows, int kc) {
    return static_cast<int64_t>(tile_rows) * kc + (tile_rows == 6 ? 2 : 4);
}

template <typename RowOf>
PCNN_AVX512 void pack_a_transposed(int M, int tile_rows, int kc, RowOf row_of, float* ap) {
    const int tiles = (M + tile_rows - 1) / tile_rows;
    const int width = tile_rows == 6 ? 8 : 16;  // floats one store writes
    const int64_t tile_floats = packed_tile_floats(tile_rows, kc);
    for (int k = 0; k < kc; ++k) {
        const float* row = row_of(k);
        float* dst = ap + static_cast<int64_t>(k) * tile_rows;
        for (int t = 0; t < tiles; ++t, dst += tile_floats) {
            const int i0 = t * tile_rows;
            // The tile's rows, and past them whatever the row has up to the vector's width;
            // at the end of the row a masked load, zero past the tile's last row.
            const bool whole = i0 + width <= M;
            const __mmask16 load = static_cast<__mmask16>((1u << std::min(tile_rows, M - i0)) - 1);
            if (width == 8) {
                _mm512_mask_storeu_ps(dst, 0xFF, _mm512_maskz_loadu_ps(whole ? 0xFF : load, row + i0));
            } else {
                _mm512_storeu_ps(dst, whole ? _mm512_loadu_ps(row + i0) : _mm512_maskz_loadu_ps(load, row + i0));
            }
        }
    }
}

// The last K block's store with a ReLU fused: relu == c stores max(v, 0) in place of v; another
// buffer (same leading dimension) gets max(v, 0) beside v. max(v, 0) is max_ps(v, 0), which
// gives 0 for NaN and -0 as the separate pass (v > 0 ? v : 0) does: the same bits.
PCNN_AVX512 inline void store_tile(float* c, float* relu, __m512 v, __mmask16 m) {
    if (relu == nullptr) {
        _mm512_mask_storeu_ps(c, m, v);
        return;
    }
    // maskz with every lane: _mm512_max_ps passes GCC 12 an undefined vector it warns about.
    const __m512 r = _mm512_maskz_max_ps(0xFFFF, v, _mm512_setzero_ps());
    if (relu != c) _mm512_mask_storeu_ps(c, m, v);
    _mm512_mask_storeu_ps(relu, m, r);
}

// What a register of sums becomes in C: the sums (C = A'B'), C + sums (a later K block, or beta
// 1), and with the bias of the first K block fused, sums + bias or (C + bias) + sums: the same
// additions in the same order as writing the bias into C first and accumulating onto it, so
// fusing changes no bit (a + b == b + a in IEEE arithmetic).
PCNN_AVX512 inline __m512 store_value(__m512 sums, const float* c, const float* bias, __mmask16 m, bool accumulate) {
    if (bias != nullptr) {
        const __m512 b = _mm512_maskz_loadu_ps(m, bias);
        return accumulate ? _mm512_add_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(m, c), b), sums) : _mm512_add_ps(sums, b);
    }
    return accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(m, c), sums) : sums;
}

// The wide tile, 6 x 64 (four zmm per row), for N >= 64: per K step 4 loads of B' and 6
// broadcasts feed 24 FMAs, against 2 + 12 for the 12 x 32 tile, and a 64-wide B' is one panel.
// Rows: the tile's live rows (the last tile of a ragged M, or a whole GEMM of one image in the
// cached sampler): FMAs of rows past it are not issued at all, which at M = 1 cuts the work per
// K step from 24 FMAs to 4. Every element still sums its products in the same order.
//
// runs (with !Packed, nullable): the tile's K steps as runs of contiguous values per row
// instead of rows of a stored A (an implicit im2col: a convolution's taps, each tap's channels
// contiguous in its input); the accumulators carry across runs, so the sums are those of the
// stored A, in the same order.
struct TileRun {
    const float* a[6];  // row r's values of this run: a[r][0 .. len)
    int len;
};

template <bool Packed, int Rows>
PCNN_AVX512 void micro_kernel_wide(int kc, const float* ap, int64_t a_rs, const TileRun* runs, int nruns,
                                   const float* b, int64_t ldb, float* c, int64_t ldc, int rows, int cols,
                                   bool accumulate, const float* bias, float* relu) {
    __mmask16 m[4];
    for (int q = 0; q < 4; ++q) {
        const int left = cols - 16 * q;
        m[q] = left >= 16 ? 0xFFFF : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
    }
    // Packed: ap[k * 6 + r]. Otherwise A read in place, row r at ap + r * a_rs (rows past
    // `rows` alias row 0 and are never stored), K contiguous: one run of kc steps.
    const int64_t step = Packed ? 6 : 1;
    TileRun whole;
    const bool stored = runs == nullptr;
    if (stored) {
        for (int r = 0; r < 6; ++r) whole.a[r] = Packed ? ap + r : ap + (r < rows ? r : 0) * a_rs;
        whole.len = kc;
        runs = &whole;
        nruns = 1;
    }
#define PCNN_ACC(R) __m512 c##R##0 = _mm512_setzero_ps(), c##R##1 = _mm512_setzero_ps(), \
                           c##R##2 = _mm512_setzero_ps(), c##R##3 = _mm512_setzero_ps();
    PCNN_ACC(0) PCNN_ACC(1) PCNN_ACC(2) PCNN_ACC(3) PCNN_ACC(4) PCNN_ACC(5)
#undef PCNN_ACC
    for (int run = 0; run < nruns; ++run) {
    const float *a0 = runs[run].a[0], *a1 = runs[run].a[1], *a2 = runs[run].a[2];
    const float *a3 = runs[run].a[3], *a4 = runs[run].a[4], *a5 = runs[run].a[5];
    for (int64_t k = 0, ka = 0; k < runs[run].len; ++k, ka += step, b += ldb) {
        if (!Packed && stored && (k & 15) == 0) {
            // A read in place: the next tile's six rows (6 * a_rs further), one line of each
            // per 16 K steps, a tile ahead. Six interleaved row streams outran the hardware
            // prefetcher: from memory the kernel fell from 93 to 70 GFLOP/s.
            const float* next = ap + 6 * a_rs + k;
            for (int r = 0; r < 6; ++r) _mm_prefetch(reinterpret_cast<const char*>(next + r * a_rs), _MM_HINT_T0);
        }
        const __m512 b0 = _mm512_maskz_loadu_ps(m[0], b);
        const __m512 b1 = _mm512_maskz_loadu_ps(m[1], b + 16);
        const __m512 b2 = _mm512_maskz_loadu_ps(m[2], b + 32);
        const __m512 b3 = _mm512_maskz_loadu_ps(m[3], b + 48);
#define PCNN_FMA(R)                                      \
    if (R < Rows) {                                      \
        const __m512 av = _mm512_set1_ps(a##R[ka]);      \
        c##R##0 = _mm512_fmadd_ps(av, b0, c##R##0);      \
        c##R##1 = _mm512_fmadd_ps(av, b1, c##R##1);      \
        c##R##2 = _mm512_fmadd_ps(av, b2, c##R##2);      \
        c##R##3 = _mm512_fmadd_ps(av, b3, c##R##3);      \
    }
        PCNN_FMA(0) PCNN_FMA(1) PCNN_FMA(2) PCNN_FMA(3) PCNN_FMA(4) PCNN_FMA(5)
#undef PCNN_FMA
    }
    }
#define PCNN_STORE1(R, Q)                                                               \
    {                                                                                   \
        float* cq = c + R * ldc + 16 * Q;                                               \
        c##R##Q = store_value(c##R##Q, cq, bias ? bias + 16 * Q : nullptr, m[Q], accumulate); \
        store_tile(cq, relu ? relu + R * ldc + 16 * Q : nullptr, c##R##Q, m[Q]);        \
    }
#define PCNN_STORE(R) \
    if (R < rows) { PCNN_STORE1(R, 0) PCNN_STORE1(R, 1) PCNN_STORE1(R, 2) PCNN_STORE1(R, 3) }
    PCNN_STORE(0) PCNN_STORE(1) PCNN_STORE(2) PCNN_STORE(3) PCNN_STORE(4) PCNN_STORE(5)
#undef PCNN_STORE
#undef PCNN_STORE1
}

// C tile (rows x cols, at most 12 x 32) = or += the sliver of A' times B' rows b (kc rows of
// stride ldb). The sliver is either packed (Packed: ap[k * 12 + r]) or read in place from 12
// rows of A (a[r * a_rs + k], rows past `rows` aliased to row 0 and not stored): packing A
// with stride-K reads cost as much as the FMAs when N is only 64. 24 named accumulators: with
// an array GCC kept them in memory.
template <bool Packed, int Rows>
PCNN_AVX512 void micro_kernel(int kc, const float* ap, int64_t a_rs, const float* b, int64_t ldb,
                              float* c, int64_t ldc, int rows, int cols, bool accumulate, const float* bias,
                              float* relu) {
    const float* ar[kMr];
    for (int r = 0; r < kMr; ++r) ar[r] = Packed ? ap + r : ap + (r < rows ? r : 0) * a_rs;
    const int64_t step = Packed ? kMr : 1;
    const __mmask16 m0 = cols >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : static_cast<__mmask16>((1u << (cols - 16)) - 1);
#define PCNN_ACC(R) __m512 c##R##a = _mm512_setzero_ps(), c##R##b = _mm512_setzero_ps();
    PCNN_ACC(0) PCNN_ACC(1) PCNN_ACC(2) PCNN_ACC(3) PCNN_ACC(4) PCNN_ACC(5)
    PCNN_ACC(6) PCNN_ACC(7) PCNN_ACC(8) PCNN_ACC(9) PCNN_ACC(10) PCNN_ACC(11)
#undef PCNN_ACC
    const float *a0 = ar[0], *a1 = ar[1], *a2 = ar[2], *a3 = ar[3], *a4 = ar[4], *a5 = ar[5];
    const float *a6 = ar[6], *a7 = ar[7], *a8 = ar[8], *a9 = ar[9], *a10 = ar[10], *a11 = ar[11];
    for (int64_t k = 0, ka = 0; k < kc; ++k, ka += step, b += ldb) {
        if (!Packed && (k & 15) == 0) {
            // The next tile's twelve rows, as in micro_kernel_wide.
            const float* next = ap + kMr * a_rs + k;
            for (int r = 0; r < kMr; ++r) _mm_prefetch(reinterpret_cast<const char*>(next + r * a_rs), _MM_HINT_T0);
        }
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, b);
        const __m512 b1 = _mm512_maskz_loadu_ps(m1, b + 16);
#define PCNN_FMA(R)                                      \
    if (R < Rows) {                                      \
        const __m512 av = _mm512_set1_ps(a##R[ka]);      \
        c##R##a = _mm512_fmadd_ps(av, b0, c##R##a);      \
        c##R##b = _mm512_fmadd_ps(av, b1, c##R##b);      \
    }
        PCNN_FMA(0) PCNN_FMA(1) PCNN_FMA(2) PCNN_FMA(3) PCNN_FMA(4) PCNN_FMA(5)
        PCNN_FMA(6) PCNN_FMA(7) PCNN_FMA(8) PCNN_FMA(9) PCNN_FMA(10) PCNN_FMA(11)
#undef PCNN_FMA
    }
#define PCNN_STORE(R)                                                                  \
    if (R < rows) {                                                                    \
        float* cr = c + R * ldc;                                                       \
        c##R##a = store_value(c##R##a, cr, bias, m0, accumulate);                      \
        c##R##b = store_value(c##R##b, cr + 16, bias ? bias + 16 : nullptr, m1, accumulate); \
        float* rr = relu ? relu + R * ldc : nullptr;                                   \
        store_tile(cr, rr, c##R##a, m0);                                               \
        store_tile(cr + 16, rr ? rr + 16 : nullptr, c##R##b, m1);                      \
    }
    PCNN_STORE(0) PCNN_STORE(1) PCNN_STORE(2) PCNN_STORE(3) PCNN_STORE(4) PCNN_STORE(5)
    PCNN_STORE(6) PCNN_STORE(7) PCNN_STORE(8) PCNN_STORE(9) PCNN_STORE(10) PCNN_STORE(11)
#undef PCNN_STORE
}

using KernelFn = void (*)(int, const float*, int64_t, const float*, int64_t, float*, int64_t, int, int, bool,
                          const float*, float*);
using WideFn = void (*)(int, const float*, int64_t, const TileRun*, int, const float*, int64_t, float*, int64_t, int,
                        int, bool, const float*, float*);

// The kernel of each live-row count: index rows - 1.
template <bool Packed>
WideFn wide_kernel(int rows) {
    static const WideFn table[6] = {micro_kernel_wide<Packed, 1>, micro_kernel_wide<Packed, 2>,
                                      micro_kernel_wide<Packed, 3>, micro_kernel_wide<Packed, 4>,
                                      micro_kernel_wide<Packed, 5>, micro_kernel_wide<Packed, 6>};
    return table[rows - 1];
}

template <bool Packed>
KernelFn narrow_kernel(int rows) {
    static const KernelFn table[kMr] = {
        micro_kernel<Packed, 1>, micro_kernel<Packed, 2>,  micro_kernel<Packed, 3>,  micro_kernel<Packed, 4>,
        micro_kernel<Packed, 5>, micro_kernel<Packed, 6>,  micro_kernel<Packed, 7>,  micro_kernel<Packed, 8>,
        micro_kernel<Packed, 9>, micro_kernel<Packed, 10>, micro_kernel<Packed, 11>, micro_kernel<Packed, 12>};
    return table[rows - 1];
}


// Prefetches share `part` of `parts` of rows k0 .. k0 + count of a row-major matrix (row k at
// base + k * ld, `width` floats used), into L2: the weight gradient's next K block of A^T and B'
// while the tiles of this one compute, so that packing it does not wait on memory.
inline void prefetch_rows(const float* base, int64_t ld, int width, int k0, int count, int part, int parts) {
    if (base == nullptr || count <= 0) return;
    const int r0 = k0 + count * part / parts, r1 = k0 + count * (part + 1) / parts;
    for (int k = r0; k < r1; ++k)
        for (int i = 0; i < width; i += 16) _mm_prefetch(reinterpret_cast<const char*>(base + k * ld + i), _MM_HINT_T1);
}

// The blocked GEMM over a row-major K x N B' (bp, ldbp). A' is A read in place (a_rs, a_ks)
// or, with trans_a, packed per K block by pack(k0, kc, tile_rows, ap); a_next (nullable, with
// trans_a) is A^T's row 0 in memory, for prefetching the next block (row k at a_next + k * a_ks).
template <typename PackA>
PCNN_AVX512 void gemm_blocks(bool trans_a, int M, int N, int K, const float* A, int64_t a_rs, int64_t a_ks, PackA pack,
                             const float* a_next, const float* bp, int64_t ldbp, float beta, float* C, int ldc,
                             const float* bias, float* relu) {
    if (K == 0) {
        for (int i = 0; i < M; ++i) {
            float* row = C + static_cast<int64_t>(i) * ldc;
            for (int j = 0; j < N; ++j) {
                if (beta == 0.0f) {
                    row[j] = bias ? bias[j] : 0.0f;
                } else if (bias) {
                    row[j] += bias[j];
                }
                if (relu) relu[static_cast<int64_t>(i) * ldc + j] = row[j] > 0.0f ? row[j] : 0.0f;
            }
        }
        return;
    }
    // A^T's panel of one K block, packed (pack_a_transposed); A itself is read in place.
    static thread_local std::vector<float> packed_a;
    if (trans_a)
        packed_a.resize(static_cast<size_t>(std::max((M + 5) / 6 * packed_tile_floats(6, kKc),
                                                     (M + kMr - 1) / kMr * packed_tile_floats(kMr, kKc))));
    const int k_block = trans_a ? kKc / 2 : kKc;
    // The wide tile from 33 columns (rgb-32's 60-wide layers fill 60 of its 64 columns, and it
    // needs half the broadcasts per FMA of the 12 x 32 tile), except for 7 to 12 rows (the
    // cached sampler's share of a batch of 16): they fit one 12 x 32 tile, which loads each B'
    // row once per 32 columns, where 6 x 64 tiles take them as 6 + a few rows, the second tile
    // loading B' again for a quarter of the FMAs (measured: a sixth of batch-16 sampling).
    const bool wide = N > kNr && !(M > 6 && M <= kMr);
    if (wide) {
        for (int k0 = 0; k0 < K; k0 += k_block) {
            const int kc = std::min(k_block, K - k0);
            const bool accumulate = k0 > 0 || beta != 0.0f;
            const bool last = k0 + kc == K;
            if (trans_a) pack(k0, kc, 6, packed_a.data());
            const int tiles = (M + 5) / 6, next = std::min(k_block, K - k0 - kc);
            for (int i0 = 0; i0 < M; i0 += 6) {
                const int rows = std::min(6, M - i0);
                if (trans_a) {
                    prefetch_rows(a_next, a_ks, M, k0 + kc, next, i0 / 6, tiles);
                    prefetch_rows(bp, ldbp, N, k0 + kc, next, i0 / 6, tiles);
                }
                const WideFn kernel = trans_a ? wide_kernel<true>(rows) : wide_kernel<false>(rows);
                // (A is null when the rows come from a source: no offset is formed from it then.)
                const float* a_tile =
                    trans_a ? packed_a.data() + i0 / 6 * packed_tile_floats(6, kc) : A + i0 * a_rs + k0 * a_ks;
                for (int j0 = 0; j0 < N; j0 += 64) {
                    const float* b = bp + static_cast<int64_t>(k0) * ldbp + j0;
                    float* c = C + static_cast<int64_t>(i0) * ldc + j0;
                    kernel(kc, a_tile, trans_a ? 0 : a_rs, nullptr, 0, b, ldbp, c, ldc, rows, std::min(64, N - j0),
                           accumulate,
                           bias != nullptr && k0 == 0 ? bias + j0 : nullptr,
                           relu != nullptr && last ? relu + static_cast<int64_t>(i0) * ldc + j0 : nullptr);
                }
            }
        }
        return;
    }
    for (int k0 = 0; k0 < K; k0 += k_block) {
        const int kc = std::min(k_block, K - k0);
        const bool accumulate = k0 > 0 || beta != 0.0f;
        const bool last = k0 + kc == K;
        if (trans_a) pack(k0, kc, kMr, packed_a.data());
        const int tiles = (M + kMr - 1) / kMr, next = std::min(k_block, K - k0 - kc);
        for (int i0 = 0; i0 < M; i0 += kMr) {
            const int rows = std::min(kMr, M - i0);
            if (trans_a) {
                prefetch_rows(a_next, a_ks, M, k0 + kc, next, i0 / kMr, tiles);
                prefetch_rows(bp, ldbp, N, k0 + kc, next, i0 / kMr, tiles);
            }
            const KernelFn kernel = trans_a ? narrow_kernel<true>(rows) : narrow_kernel<false>(rows);
            const float* a_tile =
                trans_a ? packed_a.data() + i0 / kMr * packed_tile_floats(kMr, kc) : A + i0 * a_rs + k0 * a_ks;
            for (int j0 = 0; j0 < N; j0 += kNr) {
                const float* b = bp + static_cast<int64_t>(k0) * ldbp + j0;
                float* c = C + static_cast<int64_t>(i0) * ldc + j0;
                kernel(kc, a_tile, trans_a ? 0 : a_rs, b, ldbp, c, ldc, rows, std::min(kNr, N - j0), accumulate,
                       bias != nullptr && k0 == 0 ? bias + j0 : nullptr,
                       relu != nullptr && last ? relu + static_cast<int64_t>(i0) * ldc + j0 : nullptr);
            }
        }
    }
}

}  // namespace

PCNN_AVX512 void sgemm_avx512_bias(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
                                   const float* B, int ldb, float beta, float* C, int ldc, const float* bias,
                                   float* relu) {
    // A'(i, k) = A[i * a_rs + k * a_ks]
    const int64_t a_rs = trans_a ? 1 : lda, a_ks = trans_a ? lda : 1;
    // B' must be row-major K x N for the kernel: B^T is transposed into a per-thread buffer
    // (B is a weight matrix here, small beside the GEMM).
    static thread_local std::vector<float> transposed;
    const float* bp = B;
    int64_t ldbp = ldb;
    if (trans_b) {
        transposed.resize(static_cast<size_t>(K) * N);
        for (int n = 0; n < N; ++n)
            for (int k = 0; k < K; ++k) transposed[static_cast<size_t>(k) * N + n] = B[static_cast<int64_t>(n) * ldb + k];
        bp = transposed.data();
        ldbp = N;
    }
    const auto pack = [&](int k0, int kc, int tile_rows, float* ap) {
        pack_a_transposed(M, tile_rows, kc, [&](int k) { return A + (k0 + k) * a_ks; }, ap);
    };
    gemm_blocks(trans_a, M, N, K, A, a_rs, a_ks, pack, trans_a ? A : nullptr, bp, ldbp, beta, C, ldc, bias, relu);
}

PCNN_AVX512 void sgemm_avx512_im2col(const Im2col& a, int64_t p0, int64_t p1, int N, const float* B, int ldb,
                                     const float* bias, bool accumulate, float* C, int ldc, float* relu) {
    const int ic = a.channels;
    const int K = a.taps * ic;
    const int M = static_cast<int>(p1 - p0);
    const int64_t plane = static_cast<int64_t>(a.s.height) * a.s.width;
    static thread_local std::vector<float> zeros;  // the rows of taps outside the image
    if (zeros.size() < static_cast<size_t>(ic)) zeros.assign(ic, 0.0f);
    // The same K blocks, tiles and panels as gemm_blocks with a stored A: the same sums.
    for (int k0 = 0; k0 < K; k0 += kKc) {
        const int kc = std::min(kKc, K - k0);
        const bool block_accumulate = k0 > 0 || accumulate;
        const bool last = k0 + kc == K;
        const int t0 = k0 / ic, t1 = (k0 + kc - 1) / ic;
        for (int i0 = 0; i0 < M; i0 += 6) {
            const int rows = std::min(6, M - i0);
            int64_t image[6];
            int y[6], x[6];
            for (int r = 0; r < 6; ++r) {
                const int64_t p = p0 + i0 + (r < rows ? r : 0);  // rows past `rows` alias row 0
                image[r] = p / plane;
                y[r] = static_cast<int>(p % plane / a.s.width);
                x[r] = static_cast<int>(p % a.s.width);
            }
            TileRun runs[kKc / 16 + 2];
            int nruns = 0;
            for (int t = t0; t <= t1; ++t) {
                const int c0 = std::max(k0, t * ic) - t * ic, c1 = std::min(k0 + kc, (t + 1) * ic) - t * ic;
                TileRun& run = runs[nruns++];
                run.len = c1 - c0;
                for (int r = 0; r < 6; ++r) {
                    const int sy = y[r] + a.dy[t], sx = x[r] + a.dx[t];
                    run.a[r] = sy < 0 || sy >= a.s.height || sx < 0 || sx >= a.s.width
                                   ? zeros.data()
                                   : a.in + ((image[r] * a.s.height + sy) * a.s.width + sx) * ic + c0;
                }
            }
            const WideFn kernel = wide_kernel<false>(rows);
            for (int j0 = 0; j0 < N; j0 += 64) {
                kernel(kc, nullptr, 0, runs, nruns, B + static_cast<int64_t>(k0) * ldb + j0, ldb,
                       C + static_cast<int64_t>(i0) * ldc + j0, ldc, rows, std::min(64, N - j0), block_accumulate,
                       bias != nullptr && k0 == 0 ? bias + j0 : nullptr,
                       relu != nullptr && last ? relu + static_cast<int64_t>(i0) * ldc + j0 : nullptr);
            }
        }
    }
}

PCNN_AVX512 void sgemm_avx512_rows_tn(int M, int N, int K, const TransposedRows& rows, int row0, const float* B,
                                      int ldb, float* C, int ldc) {
    static thread_local std::vector<float> scratch;
    scratch.resize(static_cast<size_t>(M) + 16);
    const auto pack = [&](int k0, int kc, int tile_rows, float* ap) {
        pack_a_transposed(M, tile_rows, kc, [&](int k) { return rows.row(k0 + k, row0, row0 + M, scratch.data()); },
                          ap);
    };
    // The source's rows are gathered near rows just read; only B' is prefetched.
    gemm_blocks(true, M, N, K, nullptr, 1, 0, pack, nullptr, B, ldb, 0.0f, C, ldc, nullptr, nullptr);
}

PCNN_AVX512 void sgemm_avx512(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
                              const float* B, int ldb, float beta, float* C, int ldc) {
    sgemm_avx512_bias(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc, nullptr, nullptr);
}

}  // namespace cpu
}  // namespace pixelcnn

#endif  // PCNN_X86_64
