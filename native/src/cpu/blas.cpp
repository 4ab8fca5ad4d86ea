#include "blas.h"

#include <stdexcept>

#if defined(PIXELCNN_BLAS_OPENBLAS)
// The presets' OpenBLAS headers are not included: their openblas_config.h declares _Float16,
// which GCC 12 for arm64 rejects in C++. The five functions called here are declared with the
// ABI of that build (32-bit blasint; CBLAS's enums, passed as int, with the standard values).
extern "C" {
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112 };
void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE trans_a, enum CBLAS_TRANSPOSE trans_b, int m, int n,
                 int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);
void cblas_sgemv(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE trans, int m, int n, float alpha, const float* a,
                 int lda, const float* x, int incx, float beta, float* y, int incy);
void openblas_set_num_threads(int threads);
int openblas_get_num_threads(void);
char* openblas_get_corename(void);
}
#define PIXELCNN_HAVE_CBLAS 1
#elif defined(PIXELCNN_BLAS_CBLAS)
#include <cblas.h>
#define PIXELCNN_HAVE_CBLAS 1
#endif

namespace pixelcnn {
namespace cpu {

bool blas_linked() {
#if defined(PIXELCNN_HAVE_CBLAS)
    return true;
#else
    return false;
#endif
}

bool blas_has_threads() {
#if defined(PIXELCNN_BLAS_OPENBLAS)
    return true;
#else
    return false;
#endif
}

void blas_use_one_thread() {
#if defined(PIXELCNN_BLAS_OPENBLAS)
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
#endif
}

std::string blas_description() {
#if defined(PIXELCNN_BLAS_OPENBLAS)
    const int threads = openblas_get_num_threads();
    return std::string("OpenBLAS ") + openblas_get_corename() + ", " + std::to_string(threads) +
           (threads == 1 ? " thread" : " threads");
#elif defined(PIXELCNN_BLAS_CBLAS)
    return "CBLAS";
#else
    return "none";
#endif
}

void blas_set_threads(int threads) {
#if defined(PIXELCNN_BLAS_OPENBLAS)
    openblas_set_num_threads(threads);
#else
    (void)threads;
    throw std::logic_error("blas_set_threads: the engine was built without OpenBLAS");
#endif
}

void blas_sgemm(bool trans_a, bool trans_b, int M, int N, int K, const float* A, int lda,
                const float* B, int ldb, float beta, float* C, int ldc) {
#if defined(PIXELCNN_HAVE_CBLAS)
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
#else
    (void)trans_a, (void)trans_b, (void)M, (void)N, (void)K, (void)A, (void)lda, (void)B, (void)ldb,
        (void)beta, (void)C, (void)ldc;
    throw std::logic_error("blas_sgemm: the engine was built without a BLAS");
#endif
}

void blas_sgemv_t(int M, int N, const float* A, int lda, const float* x, float* y) {
#if defined(PIXELCNN_HAVE_CBLAS)
    cblas_sgemv(CblasRowMajor, CblasTrans, M, N, 1.0f, A, lda, x, 1, 0.0f, y, 1);
#else
    (void)M, (void)N, (void)A, (void)lda, (void)x, (void)y;
    throw std::logic_error("blas_sgemv_t: the engine was built without a BLAS");
#endif
}

}  // namespace cpu
}  // namespace pixelcnn
