// The CUDA backend's GEMMs, kernels of our own (no cuBLAS: the development machines' toolkit has
// no cuBLAS headers, and our own kernels keep every output one FMA chain over k in a fixed
// order, which the cached sampler's bit-for-bit equality with the forward pass relies on).
//
// Each thread computes a tile of 4 rows x 4 columns, the columns 32 apart so that the 32 threads
// of a warp read 32 consecutive floats of the right-hand matrix at each k, and the rows' left-hand
// values are the same for the whole warp (one broadcast load). A weight gradient sums over all of
// a batch's positions: it is split into chunks of positions, each chunk's partial sums computed
// by its own threads and the chunks then added in order, so the result does not depend on the
// launch.
#include <algorithm>

#include "ops.h"

namespace pixelcnn {
namespace cuda {

namespace {

const int kTileRows = 4;
const int kTileCols = 4;
const int kWarp = 32;
const int kPanel = kWarp * kTileCols;  // columns a warp covers

// Where thread i's tile lies: rows r0.., columns c0 + 32 j.
struct TileAt {
    int r0, c0;
};

PCNN_DEVICE TileAt tile_at(int64_t i, int N) {
    const int64_t panels = (N + kPanel - 1) / kPanel;
    const int lane = static_cast<int>(i % kWarp);
    const int64_t rest = i / kWarp;
    TileAt t;
    t.c0 = static_cast<int>(rest % panels) * kPanel + lane;
    t.r0 = static_cast<int>(rest / panels) * kTileRows;
    return t;
}

inline int64_t tile_threads(int rows, int N) {
    const int64_t panels = (N + kPanel - 1) / kPanel;
    return static_cast<int64_t>((rows + kTileRows - 1) / kTileRows) * panels * kWarp;
}

// Which layout the left and right matrices have: a(r, k) and b(k, c).
struct NN {
    PCNN_DEVICE static float a(const float* A, int64_t lda, int r, int64_t k) { return A[r * lda + k]; }
    PCNN_DEVICE static float b(const float* B, int64_t ldb, int64_t k, int c) { return B[k * ldb + c]; }
};
struct TN {  // A stored (K x M)
    PCNN_DEVICE static float a(const float* A, int64_t lda, int r, int64_t k) { return A[k * lda + r]; }
    PCNN_DEVICE static float b(const float* B, int64_t ldb, int64_t k, int c) { return B[k * ldb + c]; }
};
struct NT {  // B stored (N x K)
    PCNN_DEVICE static float a(const float* A, int64_t lda, int r, int64_t k) { return A[r * lda + k]; }
    PCNN_DEVICE static float b(const float* B, int64_t ldb, int64_t k, int c) { return B[c * ldb + k]; }
};

// sum[i][j] = sum over k in k0..k1 of a(r0 + i, k) b(k, c0 + 32 j), as FMA chains from 0.
// Rows and columns outside the matrix read row/column 0 (valid memory) and are never stored.
template <class Layout>
PCNN_DEVICE void tile_dot(const float* A, int64_t lda, const float* B, int64_t ldb, int M, int N, int64_t k0,
                          int64_t k1, TileAt t, float sum[kTileRows][kTileCols]) {
    int rows[kTileRows], cols[kTileCols];
    for (int i = 0; i < kTileRows; ++i) rows[i] = t.r0 + i < M ? t.r0 + i : 0;
    for (int j = 0; j < kTileCols; ++j) cols[j] = t.c0 + kWarp * j < N ? t.c0 + kWarp * j : 0;
    for (int i = 0; i < kTileRows; ++i)
        for (int j = 0; j < kTileCols; ++j) sum[i][j] = 0.0f;
    for (int64_t k = k0; k < k1; ++k) {
        float a[kTileRows], b[kTileCols];
        for (int i = 0; i < kTileRows; ++i) a[i] = Layout::a(A, lda, rows[i], k);
        for (int j = 0; j < kTileCols; ++j) b[j] = Layout::b(B, ldb, k, cols[j]);
        for (int i = 0; i < kTileRows; ++i)
            for (int j = 0; j < kTileCols; ++j) sum[i][j] = fmaf(a[i], b[j], sum[i][j]);
    }
}

PCNN_KERNEL void gemm_bias_kernel(int rows, int N, int K, const float* A, int64_t lda, const float* W, int64_t ldw,
                                  const float* bias, bool accumulate, float* C, int64_t ldc, float* relu_out,
                                  int64_t threads) {
    PCNN_GRID_LOOP(i, threads) {
        const TileAt t = tile_at(i, N);
        float sum[kTileRows][kTileCols];
        tile_dot<NN>(A, lda, W, ldw, rows, N, 0, K, t, sum);
        for (int r = 0; r < kTileRows; ++r) {
            if (t.r0 + r >= rows) break;
            for (int j = 0; j < kTileCols; ++j) {
                const int c = t.c0 + kWarp * j;
                if (c >= N) break;
                float v = sum[r][j];
                if (bias) v = v + bias[c];
                float* dst = C + (t.r0 + r) * ldc + c;
                if (accumulate) v = *dst + v;
                if (relu_out == C) {
                    *dst = v > 0.0f ? v : 0.0f;
                } else {
                    *dst = v;
                    if (relu_out) relu_out[(t.r0 + r) * ldc + c] = v > 0.0f ? v : 0.0f;
                }
            }
        }
    }
}

PCNN_KERNEL void gemm_nt_kernel(int M, int N, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
                                bool accumulate, float* C, int64_t ldc, const float* relu_of, int64_t threads) {
    PCNN_GRID_LOOP(i, threads) {
        const TileAt t = tile_at(i, N);
        float sum[kTileRows][kTileCols];
        tile_dot<NT>(A, lda, B, ldb, M, N, 0, K, t, sum);
        for (int r = 0; r < kTileRows; ++r) {
            if (t.r0 + r >= M) break;
            for (int j = 0; j < kTileCols; ++j) {
                const int c = t.c0 + kWarp * j;
                if (c >= N) break;
                const int64_t at = (t.r0 + r) * ldc + c;
                float v = sum[r][j];
                if (relu_of && !(relu_of[at] > 0.0f)) v = 0.0f;
                C[at] = accumulate ? C[at] + v : v;
            }
        }
    }
}

// partial[chunk] (M x N) = the chunk's share of A^T . B; threads = tiles x chunks.
PCNN_KERNEL void gemm_tn_partial_kernel(int M, int N, int64_t K, int64_t chunk, const float* A, int64_t lda,
                                        const float* B, int64_t ldb, float* partial, int64_t tiles, int64_t threads) {
    PCNN_GRID_LOOP(i, threads) {
        const int64_t part = i / tiles;
        const TileAt t = tile_at(i % tiles, N);
        const int64_t k0 = part * chunk, k1 = k0 + chunk < K ? k0 + chunk : K;
        float sum[kTileRows][kTileCols];
        tile_dot<TN>(A, lda, B, ldb, M, N, k0, k1, t, sum);
        float* dst = partial + part * static_cast<int64_t>(M) * N;
        for (int r = 0; r < kTileRows; ++r) {
            if (t.r0 + r >= M) break;
            for (int j = 0; j < kTileCols; ++j) {
                const int c = t.c0 + kWarp * j;
                if (c >= N) break;
                dst[static_cast<int64_t>(t.r0 + r) * N + c] = sum[r][j];
            }
        }
    }
}

// C (M x N) = sum of the partials in chunk order.
PCNN_KERNEL void sum_partials_kernel(int M, int N, int parts, const float* partial, float* C, int64_t ldc) {
    const int64_t mn = static_cast<int64_t>(M) * N;
    PCNN_GRID_LOOP(i, mn) {
        float total = 0.0f;
        for (int p = 0; p < parts; ++p) total += partial[p * mn + i];
        C[(i / N) * ldc + i % N] = total;
    }
}

PCNN_KERNEL void zero_masked_centre_kernel(float* centre, int in_channels, int out_channels, int outputs_per_group,
                                           int groups, int type_a) {
    const int64_t n = static_cast<int64_t>(in_channels) * out_channels;
    PCNN_GRID_LOOP(i, n) {
        const int q = static_cast<int>(i / out_channels), o = static_cast<int>(i % out_channels);
        const int group = q / (in_channels / groups);
        if (o < (type_a ? group + 1 : group) * outputs_per_group) centre[i] = 0.0f;
    }
}

// Positions a chunk of a weight gradient's sum takes: enough chunks to fill the GPU (about
// 64k threads), each at least 64 positions long.
int64_t chunk_length(int64_t K, int64_t tiles) {
    const int64_t wanted_parts = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(tiles, 1));
    const int64_t parts = std::min<int64_t>(wanted_parts, std::max<int64_t>(1, K / 64));
    return (K + parts - 1) / parts;
}

}  // namespace

void gemm_bias(const Context& ctx, int rows, int N, int K, const float* A, int64_t lda, const float* W, int64_t ldw,
               const float* bias, bool accumulate, float* C, int64_t ldc, float* relu_out) {
    if (rows <= 0 || N <= 0) return;
    const int64_t threads = tile_threads(rows, N);
    PCNN_LAUNCH(gemm_bias_kernel, threads, ctx.stream, rows, N, K, A, lda, W, ldw, bias, accumulate, C, ldc,
                relu_out, threads);
}

void gemm_nt(const Context& ctx, int M, int N, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
             bool accumulate, float* C, int64_t ldc, const float* relu_of) {
    if (M <= 0 || N <= 0) return;
    const int64_t threads = tile_threads(M, N);
    PCNN_LAUNCH(gemm_nt_kernel, threads, ctx.stream, M, N, K, A, lda, B, ldb, accumulate, C, ldc, relu_of, threads);
}

void gemm_tn(const Context& ctx, int M, int N, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
             float* C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    const int64_t tiles = tile_threads(M, N);
    const int64_t chunk = chunk_length(K, tiles);
    const int parts = K == 0 ? 1 : static_cast<int>((K + chunk - 1) / chunk);
    float* partial = ctx.partials->floats(static_cast<int64_t>(parts) * M * N);
    const int64_t threads = tiles * parts;
    PCNN_LAUNCH(gemm_tn_partial_kernel, threads, ctx.stream, M, N, static_cast<int64_t>(K), chunk, A, lda, B, ldb,
                partial, tiles, threads);
    PCNN_LAUNCH(sum_partials_kernel, static_cast<int64_t>(M) * N, ctx.stream, M, N, parts, partial, C, ldc);
}

void column_sums(const Context& ctx, int rows, int N, const float* src, int64_t ld, const float* ones, float* dst) {
    // ones^T . src: 1 * x is exact, so these are the plain sums, in chunks added in order.
    gemm_tn(ctx, 1, N, rows, ones, 1, src, ld, dst, N);
}

void zero_masked_centre(const Context& ctx, const net::MaskedConv& conv, float* packed) {
    if (!conv.centre_live || conv.mask.type == net::MaskType::Full) return;
    float* centre = packed + static_cast<int64_t>(conv.taps - 1) * conv.in_channels * conv.out_channels;
    PCNN_LAUNCH(zero_masked_centre_kernel, static_cast<int64_t>(conv.in_channels) * conv.out_channels, ctx.stream,
                centre, conv.in_channels, conv.out_channels, conv.out_channels / conv.mask.groups, conv.mask.groups,
                conv.mask.type == net::MaskType::A ? 1 : 0);
}

TapTable tap_table(const net::MaskedConv& conv) {
    PCNN_ASSERT(conv.taps <= TapTable::kMax);
    TapTable t;
    t.taps = conv.taps;
    t.in_channels = conv.in_channels;
    t.out_channels = conv.out_channels;
    for (int i = 0; i < conv.taps; ++i) {
        t.dy[i] = static_cast<int8_t>(conv.tap_dy[i]);
        t.dx[i] = static_cast<int8_t>(conv.tap_dx[i]);
    }
    return t;
}

Workspace::~Workspace() {
    if (data_) cudaFree(data_);
}

void* Workspace::get(size_t bytes) {
    if (bytes <= bytes_ && data_) return data_;
    if (data_) PCNN_CUDA_CHECK(cudaFree(data_));
    data_ = nullptr;
    bytes_ = 0;
    // Grow by half again, so that a slowly growing size does not reallocate every call.
    const size_t wanted = std::max(bytes + bytes / 2, size_t(256));
    PCNN_CUDA_CHECK(cudaMalloc(&data_, wanted));
    bytes_ = wanted;
    return data_;
}

}  // namespace cuda
}  // namespace pixelcnn
