// SGEMM split across the engine's thread pool. OpenBLAS runs single-threaded inside each part:
// its own threads would compete with the pool (they spin after every call; a profile showed a
// quarter of a training step spent spinning), and its thread count is one process-wide setting,
// so the engine sets it to 1 and parallelises the calls itself.
#pragma once

#include <string>

#include "../thread_pool.h"

namespace pixelcnn {
namespace cpu {

// Single-threaded C (M x N) = A' . B' + beta * C (same conventions as parallel_sgemm): our
// AVX-512 kernel where the CPU has it (beta 0 or 1), OpenBLAS otherwise.
void sgemm(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc);

// Which GEMM runs: "pixelcnn AVX-512 kernel" or the BLAS description.
std::string gemm_description();

// C (M x N) = A' (M x K) . B' (K x N) + beta * C, row-major, where A' is A or its transpose
// (trans_a) and B' is B or its transpose (trans_b). Splits M, or N when M is small.
void parallel_sgemm(ThreadPool& pool, bool trans_a, bool trans_b, int M, int N, int K,
                    const float* A, int lda, const float* B, int ldb, float beta, float* C,
                    int ldc);

// Makes OpenBLAS single-threaded (process-wide); called when a model is created.
void use_single_threaded_blas();

// "OpenBLAS <core>, <n> thread(s)".
std::string blas_description();

// GFLOP/s of an n^3 sgemm on OpenBLAS's own `threads` threads; restores one thread.
double sgemm_gflops(int n, int threads, int reps);

}  // namespace cpu
}  // namespace pixelcnn
