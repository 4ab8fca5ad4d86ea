// The 1 x 1 convolution (with the channel-group mask of its centre for colour): its input is
// already the GEMM's left matrix, so forward and backward are GEMMs with no im2col.

#include <algorithm>
#include <vector>

#include "../core/check.h"
#include "gemm.h"
#include "ops.h"

namespace pixelcnn {
namespace cpu {

namespace {
// Rows of the input gradient computed at a time when it goes through a ReLU: 192 x IC floats.
const int kReluBlock = 192;

// d (+)= g where relu_out > 0, else 0: relu_backward's arithmetic on one block. Loads are
// unconditional so that the select vectorises (with g[i] inside the ?: it was a branchy scalar
// loop, a sixth of a training step).
void mask_add_relu_grad(const float* g, const float* relu_out, float* d, int64_t n, bool accumulate) {
    if (accumulate) {
        for (int64_t i = 0; i < n; ++i) {
            const float v = g[i];
            d[i] += relu_out[i] > 0.0f ? v : 0.0f;
        }
    } else {
        for (int64_t i = 0; i < n; ++i) {
            const float v = g[i];
            d[i] = relu_out[i] > 0.0f ? v : 0.0f;
        }
    }
}
}  // namespace

void conv1x1_forward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                     const float* bias, const float* in, float* out, Shape s, bool accumulate, float* relu_out) {
    const int64_t P = s.positions();
    const int oc = conv.out_channels, ic = conv.in_channels;
    parallel_sgemm_bias(ctx, false, false, static_cast<int>(P), oc, ic, in, ic, weight, oc, bias, accumulate, out, oc,
                        relu_out);
}

void conv1x1_backward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                      const float* in, const float* dout, float* din, bool din_accumulate,
                      bool din_through_relu, float* dweight, float* dbias, Shape s, const float* ones) {
    const int P = static_cast<int>(s.positions());
    const int oc = conv.out_channels, ic = conv.in_channels;
    sgemv_t(P, oc, dout, oc, ones, dbias);
    parallel_sgemm(ctx, true, false, ic, oc, P, in, ic, dout, oc, 0.0f, dweight, oc);
    conv.zero_masked_centre(dweight);
    if (din == nullptr) return;
    if (!din_through_relu) {
        parallel_sgemm(ctx, false, true, P, ic, oc, dout, oc, weight, oc, din_accumulate ? 1.0f : 0.0f, din, ic);
        return;
    }
    // Through the ReLU that made `in`: block by block, the input gradient into a scratch that
    // stays in L2, then din (+)= it where in > 0: the bits of writing the whole gradient out and
    // running relu_backward over it, without the round trip to memory. din may be dout's slot
    // (the arena reuses a freed gradient slot of the same width for the ReLU's input): each
    // block reads its rows of dout before it writes the same rows of din, and the weight and
    // bias gradients have read dout already.
    PCNN_ASSERT(din != dout || ic == oc);
    static thread_local std::vector<float> weight_t;
    weight_t.resize(static_cast<size_t>(oc) * ic);
    transpose(weight, ic, oc, weight_t.data());
    const float* wt = weight_t.data();
    split_gemm_rows(ctx, P, [&](int m0, int m1) {
        static thread_local std::vector<float> scratch;
        scratch.resize(static_cast<size_t>(kReluBlock) * ic);
        float* const block = scratch.data();  // once: a thread_local read in the loop stops it vectorising
        for (int b0 = m0; b0 < m1; b0 += kReluBlock) {
            const int rows = std::min(m1 - b0, kReluBlock);
            sgemm(false, false, rows, ic, oc, dout + static_cast<int64_t>(b0) * oc, oc, wt, ic, 0.0f, block, ic);
            mask_add_relu_grad(block, in + static_cast<int64_t>(b0) * ic, din + static_cast<int64_t>(b0) * ic,
                               static_cast<int64_t>(rows) * ic, din_accumulate);
        }
    });
}

void conv_at(const net::MaskedConv& conv, const float* weight, const float* bias, const float* a,
             int64_t lda, float* out, int64_t out_stride, int rows, int o0, int o1, bool accumulate,
             float* relu_out) {
    if (o1 <= o0) return;
    sgemm_bias(false, false, rows, o1 - o0, static_cast<int>(conv.packed_rows()), a, static_cast<int>(lda),
               weight + o0, conv.out_channels, bias + o0, accumulate, out + o0, static_cast<int>(out_stride),
               relu_out ? relu_out + o0 : nullptr);
}

}  // namespace cpu
}  // namespace pixelcnn
