// The BLAS the engine was built with, behind one small interface: blas.cpp is the only file that
// includes cblas.h or calls OpenBLAS's own functions. CMake's PIXELCNN_BLAS chooses:
//   openblas  OpenBLAS from the org.bytedeco:openblas jar (default; what the Java jars load),
//             with its thread control (kept at one thread: the engine's pool does the threading);
//   cblas     any CBLAS (Debian's reference BLAS, MKL, Accelerate ...), no thread control;
//   none      no BLAS at all: every GEMM is ours (gemm.h).
#pragma once

#include <string>

namespace pixelcnn {
namespace cpu {

bool blas_linked();
// Keeps the BLAS single-threaded (process-wide for OpenBLAS). Cheap; called at every entry
// because another user of the same OpenBLAS in the process may have raised the count.
void blas_use_one_thread();
// "OpenBLAS SkylakeX, 1 thread", "CBLAS" or "none".
std::string blas_description();
// Whether the BLAS can run on threads of its own (OpenBLAS only), and setting their count:
// only for measuring its peak (sgemm_gflops), which sets it back to one.
bool blas_has_threads();
void blas_set_threads(int threads);

// Row-major cblas_sgemm (alpha 1) and the transposed cblas_sgemv (alpha 1, beta 0, unit
// strides); only called when blas_linked().
void blas_sgemm(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
                const float* B, int ldb, float beta, float* C, int ldc);
void blas_sgemv_t(int M, int N, const float* A, int lda, const float* x, float* y);

}  // namespace cpu
}  // namespace pixelcnn
