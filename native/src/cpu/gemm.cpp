#include "gemm.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace pixelcnn {
namespace cpu {

void use_single_threaded_blas() {
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

std::string blas_description() {
    const int threads = openblas_get_num_threads();
    return std::string("OpenBLAS ") + openblas_get_corename() + ", " + std::to_string(threads) +
           (threads == 1 ? " thread" : " threads");
}

double sgemm_gflops(int n, int threads, int reps) {
    std::vector<float> a(static_cast<size_t>(n) * n, 0.5f), b(a.size(), 0.25f), c(a.size());
    openblas_set_num_threads(threads);
    auto run = [&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(),
                    n, 0.0f, c.data(), n);
    };
    run();
    std::vector<double> seconds;
    for (int r = 0; r < reps; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        run();
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    openblas_set_num_threads(1);
    std::sort(seconds.begin(), seconds.end());
    return 2.0 * n * n * n / seconds[seconds.size() / 2] / 1e9;
}

#if defined(__x86_64__)
void sgemm_avx512(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
                  const float* B, int ldb, float beta, float* C, int ldc);
#endif

// Our AVX-512 kernel where the CPU has AVX-512F, OpenBLAS elsewhere; PIXELCNN4J_GEMM=openblas
// forces OpenBLAS (for comparisons).
static bool use_avx512_kernel() {
    static const bool use = [] {
#if defined(__x86_64__)
        const char* choice = std::getenv("PIXELCNN4J_GEMM");
        if (choice && std::string(choice) == "openblas") return false;
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") != 0;
#else
        return false;
#endif
    }();
    return use;
}

std::string gemm_description() {
    return use_avx512_kernel() ? "pixelcnn AVX-512 kernel" : blas_description();
}

void sgemm(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc) {
#if defined(__x86_64__)
    if (use_avx512_kernel() && (beta == 0.0f || beta == 1.0f)) {
        sgemm_avx512(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#endif
    {
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
    }
}

void parallel_sgemm(ThreadPool& pool, bool trans_a, bool trans_b, int M, int N, int K,
                    const float* A, int lda, const float* B, int ldb, float beta, float* C,
                    int ldc) {
    const int parts = pool.threads();
    // Row blocks of at least 32 keep the GEMM kernels efficient; below that split columns.
    const bool split_rows = M >= parts * 32 || N < parts * 16;
    if (parts == 1 || (split_rows && M < parts * 8)) {
        sgemm(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    pool.parallel_for(0, parts, [&](int64_t lo, int64_t hi) {
        for (int64_t part = lo; part < hi; ++part) {
            if (split_rows) {
                // Multiples of 8 rows, so that blocks line up with the kernels' register tiles.
                const int m0 = static_cast<int>((static_cast<int64_t>(M) * part / parts) & ~7);
                const int m1 = part + 1 == parts ? M : static_cast<int>((static_cast<int64_t>(M) * (part + 1) / parts) & ~7);
                if (m1 <= m0) continue;
                const float* a = trans_a ? A + m0 : A + static_cast<int64_t>(m0) * lda;
                sgemm(trans_a, trans_b, m1 - m0, N, K, a, lda, B, ldb, beta,
                      C + static_cast<int64_t>(m0) * ldc, ldc);
            } else {
                const int n0 = static_cast<int>(static_cast<int64_t>(N) * part / parts);
                const int n1 = static_cast<int>(static_cast<int64_t>(N) * (part + 1) / parts);
                if (n1 <= n0) continue;
                const float* b = trans_b ? B + static_cast<int64_t>(n0) * ldb : B + n0;
                sgemm(trans_a, trans_b, M, n1 - n0, K, A, lda, b, ldb, beta, C + n0, ldc);
            }
        }
    });
}

}  // namespace cpu
}  // namespace pixelcnn
