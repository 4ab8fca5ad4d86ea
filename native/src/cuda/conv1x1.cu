// The 1 x 1 convolution on the device: its input is already the GEMM's left matrix. Also the
// cached sampler's per-position product (either convolution, the k x k one from gathered taps),
// the same kernel as the forward pass's, so the same bits.
#include "ops.h"

namespace pixelcnn {
namespace cuda {

void conv1x1_forward(const Context& ctx, const net::MaskedConv& conv, const float* weight, const float* bias,
                     const float* in, float* out, Shape s, bool accumulate, float* relu_out) {
    const int oc = conv.out_channels, ic = conv.in_channels;
    gemm_bias(ctx, static_cast<int>(s.positions()), oc, ic, in, ic, weight, oc, bias, accumulate, out, oc, relu_out);
}

// Whether [a, a + a_floats) and [b, b + b_floats) share memory.
static bool overlap(const float* a, int64_t a_floats, const float* b, int64_t b_floats) {
    return a < b + b_floats && b < a + a_floats;
}

void conv1x1_backward(const Context& ctx, const net::MaskedConv& conv, const float* weight, const float* in,
                      const float* dout, float* din, bool din_accumulate, bool din_through_relu, float* dweight,
                      float* dbias, Shape s, const float* ones) {
    const int P = static_cast<int>(s.positions());
    const int oc = conv.out_channels, ic = conv.in_channels;
    column_sums(ctx, P, oc, dout, oc, ones, dbias);
    gemm_tn(ctx, ic, oc, P, in, ic, dout, oc, dweight, oc);  // in^T . dout
    zero_masked_centre(ctx, conv, dweight);
    if (din == nullptr) return;
    const float* relu_of = din_through_relu ? in : nullptr;
    // din may be dout's slot (the arena reuses a freed gradient slot of the same width): a
    // thread would overwrite rows of dout others still read, so the product goes aside first.
    if (!overlap(din, static_cast<int64_t>(P) * ic, dout, static_cast<int64_t>(P) * oc)) {
        gemm_nt(ctx, P, ic, oc, dout, oc, weight, oc, din_accumulate, din, ic, relu_of);
        return;
    }
    float* aside = ctx.temp->floats(static_cast<int64_t>(P) * ic);
    gemm_nt(ctx, P, ic, oc, dout, oc, weight, oc, false, aside, ic, relu_of);
    add(ctx, aside, din, static_cast<int64_t>(P) * ic, din_accumulate);
}

void conv_at(const Context& ctx, const net::MaskedConv& conv, const float* weight, const float* bias, const float* a,
             int64_t lda, float* out, int64_t out_stride, int rows, int o0, int o1, bool accumulate, float* relu_out) {
    if (o1 <= o0) return;
    gemm_bias(ctx, rows, o1 - o0, static_cast<int>(conv.packed_rows()), a, lda, weight + o0, conv.out_channels,
              bias + o0, accumulate, out + o0, out_stride, relu_out ? relu_out + o0 : nullptr);
}

}  // namespace cuda
}  // namespace pixelcnn
