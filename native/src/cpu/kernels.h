// CPU kernels. Conventions: activations are NHWC float32 (rows = positions, columns = channels);
// a kernel's outputs are overwritten (=) unless its `accumulate` flag says +=; gradients of
// parameters are overwritten, since each layer runs once per step.
#pragma once

#include <cstdint>

#include "../layers.h"
#include "../thread_pool.h"

namespace pixelcnn {
namespace cpu {

// Floats of scratch a convolution needs for its live-tap im2col matrix at `positions`.
int64_t masked_conv_scratch(const MaskedConv& conv, int64_t positions);

// out (P, OC) = conv(in (P, IC)) + bias, or out += ... when accumulate (a residual add).
// col: scratch of masked_conv_scratch floats (unused for 1x1).
void masked_conv_forward(ThreadPool& pool, const MaskedConv& conv, const float* weight,
                         const float* bias, const float* in, float* out, Shape shape,
                         bool accumulate, float* col);

// Gradients of masked_conv_forward: dweight (taps*IC, OC), dbias (OC) overwritten; din (P, IC)
// overwritten unless null. ones: P floats equal to 1 (the bias gradient is a GEMV with it).
void masked_conv_backward(ThreadPool& pool, const MaskedConv& conv, const float* weight,
                          const float* in, const float* dout, float* din, float* dweight,
                          float* dbias, Shape shape, float* col, const float* ones);

// out = max(in, 0); in may equal out.
void relu_forward(ThreadPool& pool, const float* in, float* out, int64_t n);
// din = dout * (out > 0), or din += that when accumulate. din may equal dout.
void relu_backward(ThreadPool& pool, const float* out, const float* dout, float* din, int64_t n,
                   bool accumulate);

// Network input from uint8 NCHW images: x (P, C) NHWC, value v -> v * input_scale.
void encode_input(ThreadPool& pool, const unsigned char* images, float* x, Shape shape,
                  int channels, float input_scale);

// Negative log-likelihood of images under the logits (P, C) of a Bernoulli head, or
// (P, C*levels) of a categorical head. row_nll[count*height] receives each image row's nats
// (summed in double). If dlogits is not null it receives d(loss)/d(logits) with loss =
// grad_scale * total nats.
void bernoulli_nll(ThreadPool& pool, const float* logits, const unsigned char* images,
                   Shape shape, int channels, double* row_nll, float* dlogits, float grad_scale);
void categorical_nll(ThreadPool& pool, const float* logits, const unsigned char* images,
                     Shape shape, int channels, int levels, double* row_nll, float* dlogits,
                     float grad_scale);

// One Adam step (PyTorch's formulation) over n parameters; step counts from 1.
void adam_update(ThreadPool& pool, float* param, const float* grad, float* m, float* v, int64_t n,
                 double lr, double beta1, double beta2, double eps, long long step,
                 float grad_scale);

// Sum of squares of x[0..n), in double; partial: pool.threads() doubles of scratch.
double sum_squares(ThreadPool& pool, const float* x, int64_t n, double* partial);

}  // namespace cpu
}  // namespace pixelcnn
