// The 1 x 1 convolution (with the channel-group mask of its centre for colour): its input is
// already the GEMM's left matrix, so forward and backward are GEMMs with no im2col.

#include "gemm.h"
#include "ops.h"

namespace pixelcnn {
namespace cpu {

void conv1x1_forward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                     const float* bias, const float* in, float* out, Shape s, bool accumulate, float* relu_out) {
    const int64_t P = s.positions();
    const int oc = conv.out_channels, ic = conv.in_channels;
    parallel_sgemm_bias(ctx, false, false, static_cast<int>(P), oc, ic, in, ic, weight, oc, bias, accumulate, out, oc,
                        relu_out);
}

void conv1x1_backward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                      const float* in, const float* dout, float* din, bool din_accumulate,
                      float* dweight, float* dbias, Shape s, const float* ones) {
    const int P = static_cast<int>(s.positions());
    const int oc = conv.out_channels, ic = conv.in_channels;
    sgemv_t(P, oc, dout, oc, ones, dbias);
    parallel_sgemm(ctx, true, false, ic, oc, P, in, ic, dout, oc, 0.0f, dweight, oc);
    conv.zero_masked_centre(dweight);
    if (din == nullptr) return;
    parallel_sgemm(ctx, false, true, P, ic, oc, dout, oc, weight, oc, din_accumulate ? 1.0f : 0.0f, din, ic);
}

void conv_at(const net::MaskedConv& conv, const float* weight, const float* bias, const float* a,
             int64_t lda, float* out, int64_t out_stride, int rows, int o0, int o1, bool accumulate) {
    if (o1 <= o0) return;
    sgemm_bias(false, false, rows, o1 - o0, static_cast<int>(conv.packed_rows()), a, static_cast<int>(lda),
               weight + o0, conv.out_channels, bias + o0, accumulate, out + o0, static_cast<int>(out_stride), nullptr);
}

}  // namespace cpu
}  // namespace pixelcnn
