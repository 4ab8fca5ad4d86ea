#include "gemm.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../core/check.h"
#include "pixelcnn/cpu_features.h"
#include "blas.h"

namespace pixelcnn {
namespace cpu {

#if !defined(PCNN_X86_64)
void sgemm_avx512(bool, bool, int, int, int, const float*, int, const float*, int, float, float*, int) {
    PCNN_ASSERT(!"the AVX-512 kernel exists on x86-64 only");
}
void sgemm_avx512_bias(bool, bool, int, int, int, const float*, int, const float*, int, float, float*, int,
                       const float*, float*) {
    PCNN_ASSERT(!"the AVX-512 kernel exists on x86-64 only");
}
void sgemm_avx512_rows_tn(int, int, int, const TransposedRows&, int, const float*, int, float*, int) {
    PCNN_ASSERT(!"the AVX-512 kernel exists on x86-64 only");
}
void sgemm_avx512_im2col(const Im2col&, int64_t, int64_t, int, const float*, int, const float*, bool, float*, int,
                         float*) {
    PCNN_ASSERT(!"the AVX-512 kernel exists on x86-64 only");
}
#endif

bool gemm_available(GemmKernel kernel) {
    switch (kernel) {
        case GemmKernel::Avx512: {
            return cpu_has_avx512f();
        }
        case GemmKernel::Blas: return blas_linked();
        case GemmKernel::Fallback: return true;
    }
    return false;
}

const char* gemm_name(GemmKernel kernel) {
    switch (kernel) {
        case GemmKernel::Avx512: return "avx512";
        case GemmKernel::Blas: return "blas";
        case GemmKernel::Fallback: return "fallback";
    }
    return "?";
}

// A forced kernel that cannot run here is an error, not a silent substitute: a test run that
// means to exercise one kernel must not pass on another.
static GemmKernel choose_gemm() {
    const char* choice = std::getenv("PIXELCNN4J_GEMM");
    const std::string forced = choice ? choice : "";
    if (forced.empty()) {
        if (gemm_available(GemmKernel::Avx512)) return GemmKernel::Avx512;
        return blas_linked() ? GemmKernel::Blas : GemmKernel::Fallback;
    }
    GemmKernel kernel;
    if (forced == "fallback") {
        kernel = GemmKernel::Fallback;
    } else if (forced == "blas" || forced == "openblas") {
        kernel = GemmKernel::Blas;
    } else if (forced == "avx512") {
        kernel = GemmKernel::Avx512;
    } else {
        fail_argument("PIXELCNN4J_GEMM=" + forced + ": expected avx512, blas (or openblas) or fallback");
    }
    if (!gemm_available(kernel)) {
        fail_argument("PIXELCNN4J_GEMM=" + forced + ": that GEMM is not available here (" +
                      (kernel == GemmKernel::Avx512 ? "this CPU has no AVX-512F" : "the engine was built without a BLAS") +
                      ")");
    }
    return kernel;
}

GemmKernel active_gemm() {
    static const GemmKernel kernel = choose_gemm();  // a throw here is thrown again at every call
    return kernel;
}

std::string gemm_description() {
    switch (active_gemm()) {
        case GemmKernel::Avx512: return "pixelcnn AVX-512 kernel";
        case GemmKernel::Fallback: return "pixelcnn fallback kernel";
        case GemmKernel::Blas: break;
    }
    return blas_description();
}

void sgemm(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc) {
    GemmKernel kernel = active_gemm();
    // The AVX-512 kernel takes beta 0 or 1 only (all the engine uses); any other goes elsewhere.
    if (kernel == GemmKernel::Avx512 && beta != 0.0f && beta != 1.0f)
        kernel = blas_linked() ? GemmKernel::Blas : GemmKernel::Fallback;
    switch (kernel) {
        case GemmKernel::Avx512: sgemm_avx512(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc); return;
        case GemmKernel::Blas: blas_sgemm(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc); return;
        case GemmKernel::Fallback: sgemm_fallback(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc); return;
    }
}

void sgemv_t(int M, int N, const float* A, int lda, const float* x, float* y) {
    if (blas_linked() && active_gemm() != GemmKernel::Fallback) {
        blas_sgemv_t(M, N, A, lda, x, y);
        return;
    }
    // Double sums: P is tens of thousands of rows, too many for one float accumulator. The
    // scratch is kept: this runs once per convolution per training step.
    static thread_local std::vector<double> sum;
    sum.assign(static_cast<size_t>(N), 0.0);
    for (int i = 0; i < M; ++i) {
        const float* row = A + static_cast<int64_t>(i) * lda;
        for (int j = 0; j < N; ++j) sum[j] += static_cast<double>(row[j]) * x[i];
    }
    for (int j = 0; j < N; ++j) y[j] = static_cast<float>(sum[j]);
}

static void split_gemm(const Context& ctx, int M, int N, const std::function<void(int, int, int, int)>& part_fn);

// Fused where the AVX-512 kernel runs, else bias rows, GEMM, ReLU pass (the same bits either way).
void sgemm_bias(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda, const float* B,
                int ldb, const float* bias, bool accumulate, float* C, int ldc, float* relu) {
    if (active_gemm() == GemmKernel::Avx512) {
        sgemm_avx512_bias(trans_a, trans_b, M, N, K, A, lda, B, ldb, accumulate ? 1.0f : 0.0f, C, ldc, bias, relu);
        return;
    }
    for (int i = 0; i < M; ++i) {
        float* row = C + static_cast<int64_t>(i) * ldc;
        for (int j = 0; j < N; ++j) row[j] = accumulate ? row[j] + bias[j] : bias[j];
    }
    sgemm(trans_a, trans_b, M, N, K, A, lda, B, ldb, 1.0f, C, ldc);
    if (relu == nullptr) return;
    for (int i = 0; i < M; ++i) {
        const float* row = C + static_cast<int64_t>(i) * ldc;
        float* out = relu + static_cast<int64_t>(i) * ldc;
        for (int j = 0; j < N; ++j) out[j] = row[j] > 0.0f ? row[j] : 0.0f;
    }
}

void parallel_sgemm_bias(const Context& ctx, bool trans_a, bool trans_b, int M, int N, int K, const float* A,
                         int lda, const float* B, int ldb, const float* bias, bool accumulate, float* C, int ldc,
                         float* relu) {
    split_gemm(ctx, M, N, [&](int m0, int m1, int n0, int n1) {
        const float* a = trans_a ? A + m0 : A + static_cast<int64_t>(m0) * lda;
        const float* b = trans_b ? B + static_cast<int64_t>(n0) * ldb : B + n0;
        const int64_t at = static_cast<int64_t>(m0) * ldc + n0;
        sgemm_bias(trans_a, trans_b, m1 - m0, n1 - n0, K, a, lda, b, ldb, bias + n0, accumulate, C + at, ldc,
                   relu ? relu + at : nullptr);
    });
}

void parallel_sgemm(const Context& ctx, bool trans_a, bool trans_b, int M, int N, int K,
                    const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
    split_gemm(ctx, M, N, [&](int m0, int m1, int n0, int n1) {
        const float* a = trans_a ? A + m0 : A + static_cast<int64_t>(m0) * lda;
        const float* b = trans_b ? B + static_cast<int64_t>(n0) * ldb : B + n0;
        sgemm(trans_a, trans_b, m1 - m0, n1 - n0, K, a, lda, b, ldb, beta, C + static_cast<int64_t>(m0) * ldc + n0,
              ldc);
    });
}

// Rows m0..m1 of part `part` of an M-row split: multiples of 8 rows, so that blocks line up
// with the kernels' register tiles; the last part takes the rest.
static void row_block(int M, int parts, int64_t part, int* m0, int* m1) {
    *m0 = static_cast<int>((static_cast<int64_t>(M) * part / parts) & ~7);
    *m1 = part + 1 == parts ? M : static_cast<int>((static_cast<int64_t>(M) * (part + 1) / parts) & ~7);
}

// The one place a GEMM is cut over threads: rows of C, or columns when M is small; part_fn(m0,
// m1, n0, n1) computes that block. Every element's sum is the single-threaded one.
static void split_gemm(const Context& ctx, int M, int N, const std::function<void(int, int, int, int)>& part_fn) {
    const int parts = ctx.threads().threads();
    // Row blocks of at least 32 keep the GEMM kernels efficient; below that split columns.
    const bool split_rows = M >= parts * 32 || N < parts * 16;
    if (parts == 1 || (split_rows && M < parts * 8)) {
        part_fn(0, M, 0, N);
        return;
    }
    ctx.threads().parallel_for(0, parts, [&](int64_t lo, int64_t hi) {
        for (int64_t part = lo; part < hi; ++part) {
            if (split_rows) {
                int m0, m1;
                row_block(M, parts, part, &m0, &m1);
                if (m1 > m0) part_fn(m0, m1, 0, N);
            } else {
                const int n0 = static_cast<int>(static_cast<int64_t>(N) * part / parts);
                const int n1 = static_cast<int>(static_cast<int64_t>(N) * (part + 1) / parts);
                if (n1 > n0) part_fn(0, M, n0, n1);
            }
        }
    });
}

void parallel_sgemm_rows_tn(const Context& ctx, int M, int N, int K, const TransposedRows& rows, const float* B,
                            int ldb, float* C, int ldc, float* scratch) {
    if (active_gemm() != GemmKernel::Avx512) {
        ctx.threads().parallel_for(0, K, [&](int64_t k0, int64_t k1) {
            for (int64_t k = k0; k < k1; ++k) {
                float* dst = scratch + k * M;
                const float* src = rows.row(k, 0, M, dst);
                if (src != dst) std::copy(src, src + M, dst);
            }
        }, 64);
        parallel_sgemm(ctx, true, false, M, N, K, scratch, M, B, ldb, 0.0f, C, ldc);
        return;
    }
    split_gemm(ctx, M, N, [&](int m0, int m1, int n0, int n1) {
        sgemm_avx512_rows_tn(m1 - m0, n1 - n0, K, rows, m0, B + n0, ldb, C + static_cast<int64_t>(m0) * ldc + n0, ldc);
    });
}

bool sgemm_im2col_bias(const Im2col& a, int64_t p0, int64_t p1, int N, const float* B, int ldb, const float* bias,
                       bool accumulate, float* C, int ldc, float* relu) {
    const int64_t M = p1 - p0;
    if (active_gemm() != GemmKernel::Avx512 || a.channels < 16 || N <= 32 || (M > 6 && M <= 12)) return false;
    sgemm_avx512_im2col(a, p0, p1, N, B, ldb, bias, accumulate, C, ldc, relu);
    return true;
}

void transpose(const float* a, int rows, int cols, float* out) {
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) out[static_cast<int64_t>(c) * rows + r] = a[static_cast<int64_t>(r) * cols + c];
}

void split_gemm_rows(const Context& ctx, int M, const std::function<void(int, int)>& part_fn) {
    const int parts = ctx.threads().threads();
    if (parts == 1 || M < parts * 8) {
        part_fn(0, M);
        return;
    }
    ctx.threads().parallel_for(0, parts, [&](int64_t lo, int64_t hi) {
        for (int64_t part = lo; part < hi; ++part) {
            int m0, m1;
            row_block(M, parts, part, &m0, &m1);
            if (m1 > m0) part_fn(m0, m1);
        }
    });
}

double sgemm_gflops(int n, int threads, int reps) {
    std::vector<float> a(static_cast<size_t>(n) * n, 0.5f), b(a.size(), 0.25f), c(a.size());
    // With OpenBLAS, its own threading; without, our kernel split over a pool of that size.
    const bool blas = blas_has_threads();
    std::unique_ptr<ThreadPool> pool(blas ? nullptr : new ThreadPool(threads));
    Context ctx{pool.get()};
    if (blas) blas_set_threads(threads);
    auto run = [&] {
        if (blas) {
            blas_sgemm(false, false, n, n, n, a.data(), n, b.data(), n, 0.0f, c.data(), n);
        } else {
            parallel_sgemm(ctx, false, false, n, n, n, a.data(), n, b.data(), n, 0.0f, c.data(), n);
        }
    };
    run();
    std::vector<double> seconds;
    for (int r = 0; r < reps; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        run();
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    if (blas) blas_use_one_thread();
    std::sort(seconds.begin(), seconds.end());
    return 2.0 * n * n * n / seconds[seconds.size() / 2] / 1e9;
}

}  // namespace cpu
}  // namespace pixelcnn
