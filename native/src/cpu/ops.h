// The CPU backend's ops, one file per family:
//   masked_conv.cpp  k x k masked convolution: im2col over live taps, GEMM, scatter
//   conv1x1.cpp      1 x 1 convolution: a GEMM
//   activations.cpp  ReLU, the gated unit, the class bias, the residual add
//   loss.cpp         Bernoulli and categorical negative log-likelihood
//   adam.cpp         Adam and the gradient norm
//   pixels.cpp       network input from images, and drawing sampled values
//   gemm*.cpp        the GEMMs all of the above multiply with (gemm.h)
// reference.h holds plain loops of the same ops: the truth these are tested against.
// Conventions are those of backend.h; every op runs on the context's thread pool, except the
// *_at ops of the cached sampler, which run single-threaded inside one share of images.
#pragma once

#include <cstdint>

#include "../backend.h"
#include "../core/thread_pool.h"
#include "../net/graph.h"

namespace pixelcnn {
namespace cpu {

// Loops over positions give each thread chunks of at least this many elements.
const int64_t kGrain = 4096;

// What every CPU op runs on.
struct Context {
    ThreadPool* pool = nullptr;
    ThreadPool& threads() const { return *pool; }
};

// ---- masked_conv.cpp ----
void masked_conv_forward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                         const float* bias, const float* in, float* out, Shape s, bool accumulate,
                         float* col, float* relu_out);
void masked_conv_backward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                          const float* in, const float* dout, float* din, bool din_accumulate,
                          float* dweight, float* dbias, Shape s, float* col, const float* ones);
void masked_conv_gather_at(const net::MaskedConv& conv, const CacheView& in, int n0, int n1, int y,
                           int x, float* col, int64_t col_stride);

// ---- conv1x1.cpp ----
void conv1x1_forward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                     const float* bias, const float* in, float* out, Shape s, bool accumulate, float* relu_out);
void conv1x1_backward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                      const float* in, const float* dout, float* din, bool din_accumulate,
                      bool din_through_relu, float* dweight, float* dbias, Shape s, const float* ones);
// One position of `rows` images, output columns o0..o1 (either convolution: a is the input at
// the position for a 1x1, the gathered taps for a k x k).
void conv_at(const net::MaskedConv& conv, const float* weight, const float* bias, const float* a,
             int64_t lda, float* out, int64_t out_stride, int rows, int o0, int o1, bool accumulate,
             float* relu_out);

// ---- activations.cpp ----
void relu_forward(const Context& ctx, const float* in, float* out, int64_t n);
// Gated unit (Gated PixelCNN): out = tanh(a) * sigmoid(b) with a, b the two halves of in's 2F
// channels per position (see ref::gate_forward); the backward recomputes both from in.
void gate_forward(const Context& ctx, const float* in, float* out, int64_t positions, int F);
void gate_backward(const Context& ctx, const float* in, const float* dout, float* din, int64_t positions, int F,
                   bool accumulate);
void relu_backward(const Context& ctx, const float* out, const float* dout, float* din, int64_t n,
                   bool accumulate);
void gate_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0, int c1,
             int width);
// Class-conditional bias (backend.h) and the residual add between two buffers.
void class_bias_forward(const Context& ctx, const float* table, const int* labels, float* out, Shape s, int width);
void class_bias_backward(const Context& ctx, const float* dout, const int* labels, float* dtable, Shape s,
                         int width, int classes);
void class_bias_at(const float* table, int table_width, const int* labels, float* out, int64_t out_stride,
                   int rows, int c0, int c1);
void add(const Context& ctx, const float* src, float* dst, int64_t n, bool accumulate);
void add_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0, int c1);
void relu_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
             int width);

// ---- loss.cpp ----
void bernoulli_nll(const Context& ctx, const float* logits, const unsigned char* images, Shape s,
                   int channels, double* row_nll, float* dlogits, float grad_scale, float* value_nll = nullptr);
void categorical_nll(const Context& ctx, const float* logits, const unsigned char* images, Shape s,
                     int channels, int levels, double* row_nll, float* dlogits, float grad_scale,
                     float* value_nll = nullptr);

// ---- adam.cpp ----
void adam_update(const Context& ctx, float* param, const float* grad, float* m, float* v, int64_t n,
                 const AdamStep& step);
double sum_squares(const Context& ctx, const float* x, int64_t n);
// Whether adam_update with these arguments would leave every parameter and moment finite
// (computed, nothing written).
bool adam_stays_finite(const Context& ctx, const float* param, const float* grad, const float* m, const float* v,
                       int64_t n, const AdamStep& step);

// ---- pixels.cpp ----
void encode_input(const Context& ctx, const unsigned char* images, float* x, Shape s, int channels,
                  float input_scale);
void draw_at(const DrawSpec& spec, const CacheView& logits, const CacheView& input, int n0, int n1,
             int y, int x, int channel);

}  // namespace cpu
}  // namespace pixelcnn
