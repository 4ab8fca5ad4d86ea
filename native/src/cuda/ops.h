// The CUDA backend's ops: the twins of cpu/ops.h, one file per family with the same names
// (masked_conv.cu, conv1x1.cu, activations.cu, loss.cu, adam.cu, pixels.cu, gemm.cu), the
// same conventions (backend.h) and the same results up to float rounding (tests/test_cuda.cpp
// holds every op against the CPU reference). Pointers are device memory unless a comment says
// host. Every op is queued on the context's stream; ops that return host values synchronise it.
//
// Sums run in one fixed order inside one thread (a dot product is an FMA chain over k from 0):
// the same inputs give the same bits at any batch size or launch shape, which is what makes the
// cached sampler's per-position convolutions equal the full forward pass to the bit.
#pragma once

#include <cstdint>

#include "../backend.h"
#include "../core/check.h"
#include "../net/graph.h"
#include "runtime.h"

namespace pixelcnn {
namespace cuda {

// Device memory an op may need beyond its arguments, grown on demand and kept (a step allocates
// nothing once the shapes have been seen).
class Workspace {
public:
    Workspace() = default;
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;
    void* get(size_t bytes);  // at least `bytes`; earlier contents are not kept
    float* floats(int64_t n) { return static_cast<float*>(get(static_cast<size_t>(n) * sizeof(float))); }

private:
    void* data_ = nullptr;
    size_t bytes_ = 0;
};

// What every CUDA op runs on: the model's stream and its scratch areas (one per use, so that
// two uses within one op never share memory).
struct Context {
    cudaStream_t stream = nullptr;
    Workspace* partials = nullptr;  // split sums of weight gradients
    Workspace* images = nullptr;    // host images copied up for encode_input and the losses
    Workspace* values = nullptr;    // per-value nats, row sums, flags and other small results
    Workspace* temp = nullptr;      // an input gradient computed aside when it aliases its source
    void sync() const { PCNN_CUDA_CHECK(cudaStreamSynchronize(stream)); }
};

// A convolution's live taps, passed to kernels by value (a 31 x 31 type A kernel has 481).
struct TapTable {
    static const int kMax = 31 * 31;
    int taps = 0, in_channels = 0, out_channels = 0;
    int8_t dy[kMax], dx[kMax];
};
TapTable tap_table(const net::MaskedConv& conv);

// ---- gemm.cu ----
// C (rows x N) (=|+=) A (rows x K, lda) . W (K x N, ldw) + bias (nullable), each output one FMA
// chain over k from 0 with the bias added after; relu_out (nullable): max(C, 0) stored there
// too (relu_out == C: instead).
void gemm_bias(const Context& ctx, int rows, int N, int K, const float* A, int64_t lda, const float* W, int64_t ldw,
               const float* bias, bool accumulate, float* C, int64_t ldc, float* relu_out);
// C (M x N) = A^T . B with A (K x M, lda) and B (K x N, ldb): weight gradients, K the batch's
// positions, summed in fixed chunks added in order.
void gemm_tn(const Context& ctx, int M, int N, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
             float* C, int64_t ldc);
// C (M x N) (=|+=) A (M x K) . B^T with B (N x K): input gradients; with relu_of (M x N,
// nullable) the product is zeroed where relu_of <= 0 (the ReLU before a 1x1 convolution).
void gemm_nt(const Context& ctx, int M, int N, int K, const float* A, int64_t lda, const float* B, int64_t ldb,
             bool accumulate, float* C, int64_t ldc, const float* relu_of);
// dst[o] = sum over rows r of src[r * ld + o], o < N: bias gradients (ones: `rows` floats of 1).
void column_sums(const Context& ctx, int rows, int N, const float* src, int64_t ld, const float* ones, float* dst);
// Masked centre pairs of a packed weight (or its gradient) set to zero on the device.
void zero_masked_centre(const Context& ctx, const net::MaskedConv& conv, float* packed);

// ---- masked_conv.cu ----
void masked_conv_forward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                         const float* bias, const float* in, float* out, Shape s, bool accumulate,
                         float* col, float* relu_out);
void masked_conv_backward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                          const float* in, const float* dout, float* din, bool din_accumulate,
                          float* dweight, float* dbias, Shape s, float* col, const float* ones);
void masked_conv_gather_at(const Context& ctx, const net::MaskedConv& conv, const CacheView& in, int n0, int n1,
                           int y, int x, float* col, int64_t col_stride);

// ---- conv1x1.cu ----
void conv1x1_forward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                     const float* bias, const float* in, float* out, Shape s, bool accumulate, float* relu_out);
void conv1x1_backward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                      const float* in, const float* dout, float* din, bool din_accumulate,
                      bool din_through_relu, float* dweight, float* dbias, Shape s, const float* ones);
void conv_at(const Context& ctx, const net::MaskedConv& conv, const float* weight, const float* bias, const float* a,
             int64_t lda, float* out, int64_t out_stride, int rows, int o0, int o1, bool accumulate,
             float* relu_out);

// ---- activations.cu ----
void relu_forward(const Context& ctx, const float* in, float* out, int64_t n);
void relu_backward(const Context& ctx, const float* out, const float* dout, float* din, int64_t n, bool accumulate);
void gate_forward(const Context& ctx, const float* in, float* out, int64_t rows, int width);
void gate_backward(const Context& ctx, const float* in, const float* dout, float* din, int64_t rows, int width,
                   bool accumulate);
void class_bias_forward(const Context& ctx, const float* table, const int* labels, float* out, Shape s, int width);
void class_bias_backward(const Context& ctx, const float* dout, const int* labels, float* dtable, Shape s,
                         int width, int classes);
void add(const Context& ctx, const float* src, float* dst, int64_t n, bool accumulate);
void relu_at(const Context& ctx, const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows,
             int c0, int width);
void gate_at(const Context& ctx, const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows,
             int c0, int c1, int width);
void class_bias_at(const Context& ctx, const float* table, int table_width, const int* labels, float* out,
                   int64_t out_stride, int rows, int c0, int c1);
void add_at(const Context& ctx, const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows,
            int c0, int c1);
void fill(const Context& ctx, float* dst, int64_t n, float value);

// ---- loss.cu ---- (images and row_nll are host memory)
void bernoulli_nll(const Context& ctx, const float* logits, const unsigned char* images, Shape s,
                   int channels, double* row_nll, float* dlogits, float grad_scale, float* value_nll = nullptr);
void categorical_nll(const Context& ctx, const float* logits, const unsigned char* images, Shape s,
                     int channels, int levels, double* row_nll, float* dlogits, float grad_scale,
                     float* value_nll = nullptr);

// ---- adam.cu ----
void adam_update(const Context& ctx, float* param, const float* grad, float* m, float* v, int64_t n,
                 const AdamStep& step);
double sum_squares(const Context& ctx, const float* x, int64_t n);
bool adam_stays_finite(const Context& ctx, const float* param, const float* grad, const float* m, const float* v,
                       int64_t n, const AdamStep& step);

// ---- pixels.cu ----
// images: host (count, C, H, W), copied up first.
void encode_input(const Context& ctx, const unsigned char* images, float* x, Shape s, int channels,
                  float input_scale);
// Draws at (y, x) on the device into the device copy of the images (device_images, and
// device_known, nullable, in the layout of spec.images), as cpu::draw_at does on the host.
void draw_at(const Context& ctx, const DrawSpec& spec, unsigned char* device_images, const unsigned char* device_known,
             const CacheView& logits, const CacheView& input, int n0, int n1, int y, int x, int channel);

// ---- row_sampler.cu ----
// The cached sampler's whole row in one launch (backend.h: sample_row_at_once), into the device
// copy of the images. Keeps the program on the device between rows (by its id).
class RowSampler {
public:
    void run(const Context& ctx, const RowProgram& program, const DrawSpec& spec, unsigned char* device_images,
             const unsigned char* device_known, int count, int row);

private:
    void upload(const RowProgram& program, cudaStream_t stream);
    Workspace memory_;
    const void* steps_ = nullptr;
    int n_steps_ = 0;
    size_t taps_ = 0;
    long long uploaded_id_ = 0;
};

}  // namespace cuda
}  // namespace pixelcnn
