// The CPU reference: every op of the backend as plain loops (no SIMD, no threads, no im2col),
// in float or double. It is the truth the fast CPU ops and, later, the CUDA kernels are tested
// against (tests/test_ops.cpp), and in double it is what finite differences check the
// backward ops with. Same data layouts and conventions as backend.h: NHWC activations, packed
// live-tap weights (net::MaskedConv), outputs overwritten unless `accumulate`.
#pragma once

#include <cstdint>

#include "../backend.h"
#include "../net/graph.h"

namespace pixelcnn {
namespace ref {

// C (M x N) = A' . B' + beta * C, A' = A or A^T, B' = B or B^T, row-major.
template <class T>
void gemm(bool trans_a, bool trans_b, int M, int N, int K, const T* A, int lda, const T* B, int ldb, T beta,
          T* C, int ldc);

// out (P, OC) (+)= bias + sum over live taps t and live (q, o) of in[p + offset(t), q] *
// weight[t * IC + q, o]; taps outside the image read zeros. Masked centre pairs are skipped
// here, whatever the weight holds there.
template <class T>
void masked_conv_forward(const net::MaskedConv& conv, const T* weight, const T* bias, const T* in, T* out,
                         Shape s, bool accumulate);
// dweight and dbias overwritten (masked centre pairs zero); din (nullable) overwritten or added to.
template <class T>
void masked_conv_backward(const net::MaskedConv& conv, const T* weight, const T* in, const T* dout, T* din,
                          bool din_accumulate, T* dweight, T* dbias, Shape s);

template <class T>
void relu_forward(const T* in, T* out, int64_t n);
template <class T>
void relu_backward(const T* out, const T* dout, T* din, int64_t n, bool accumulate);

// Gated unit of Gated PixelCNN: in holds 2F channels per position, a = channels 0..F-1 and
// b = F..2F-1; out (F per position) = tanh(a) * sigmoid(b). Backward from in (recomputed) and
// dout; din (2F per position) overwritten or added to.
template <class T>
void gate_forward(const T* in, T* out, int64_t positions, int F);
template <class T>
void gate_backward(const T* in, const T* dout, T* din, int64_t positions, int F, bool accumulate);

template <class T>
void encode_input(const unsigned char* images, T* x, Shape s, int channels, T input_scale);

// Per image row nats into row_nll; dlogits (nullable) = grad_scale * d(total nats)/d(logits).
template <class T>
void bernoulli_nll(const T* logits, const unsigned char* images, Shape s, int channels, double* row_nll,
                   T* dlogits, T grad_scale);
template <class T>
void categorical_nll(const T* logits, const unsigned char* images, Shape s, int channels, int levels,
                     double* row_nll, T* dlogits, T grad_scale);

// Adam in PyTorch's formulation, every scalar in double, rounded to float once at the end.
void adam_update(float* param, const float* grad, float* m, float* v, int64_t n, const AdamStep& step);

double sum_squares(const float* x, int64_t n);

}  // namespace ref
}  // namespace pixelcnn
