// The k x k masked convolution: an im2col over live taps only (a 7x7 type A kernel gathers 24
// of its 49 taps), then one GEMM with the packed weight; the backward pass is the two GEMMs of
// the weight and input gradients and a scatter of the gathered gradient back to the input.
#include <algorithm>
#include <cstring>

#include "gemm.h"
#include "ops.h"

namespace pixelcnn {
namespace cpu {

namespace {

// Rows of col a thread gathers and multiplies at a time: 192 x (taps * IC) floats, 240 KB for
// the 3x3 over 64 channels, well inside an L2; a multiple of the kernels' 6- and 12-row tiles.
const int kGatherBlock = 192;

// col rows p0..p1 (taps*IC each): for each output position the input channels at each live
// tap, zero outside the image. Single-threaded.
void gather_rows(const net::MaskedConv& conv, const float* in, float* col, Shape s, int64_t p0, int64_t p1) {
    const int ic = conv.in_channels;
    const int64_t k_total = conv.packed_rows();
    const int64_t plane = static_cast<int64_t>(s.height) * s.width;
    for (int64_t p = p0; p < p1; ++p) {
        const int64_t n = p / plane;
        const int y = static_cast<int>(p % plane / s.width), x = static_cast<int>(p % s.width);
        float* dst = col + p * k_total;
        for (int t = 0; t < conv.taps; ++t, dst += ic) {
            const int sy = y + conv.tap_dy[t], sx = x + conv.tap_dx[t];
            if (sy < 0 || sy >= s.height || sx < 0 || sx >= s.width) {
                std::memset(dst, 0, sizeof(float) * ic);
            } else {
                const float* src = in + ((n * s.height + sy) * s.width + sx) * ic;
                std::memcpy(dst, src, sizeof(float) * ic);
            }
        }
    }
}

// The whole col (P, taps*IC), over the context's threads.
void gather_live_taps(const Context& ctx, const net::MaskedConv& conv, const float* in, float* col, Shape s) {
    ctx.threads().parallel_for(0, s.positions(), [&](int64_t lo, int64_t hi) { gather_rows(conv, in, col, s, lo, hi); },
                               s.width);
}

// din (P, IC) (+)= dcol scattered back: output p's tap t came from input p + offset(t). Walks
// dcol in order (each row read once, whole) and adds into the few input rows around p, which
// stay in cache; images are split across threads, and no tap crosses an image, so threads never
// write the same row.
void scatter_live_taps(const Context& ctx, const net::MaskedConv& conv, const float* dcol, float* din,
                       bool accumulate, Shape s) {
    const int ic = conv.in_channels;
    const int64_t k_total = conv.packed_rows();
    const int64_t plane = static_cast<int64_t>(s.height) * s.width;
    ctx.threads().parallel_for(0, s.count, [&](int64_t lo, int64_t hi) {
        if (!accumulate) std::memset(din + lo * plane * ic, 0, sizeof(float) * (hi - lo) * plane * ic);
        for (int64_t n = lo; n < hi; ++n) {
            for (int y = 0; y < s.height; ++y) {
                for (int x = 0; x < s.width; ++x) {
                    const float* src = dcol + ((n * s.height + y) * s.width + x) * k_total;
                    for (int t = 0; t < conv.taps; ++t, src += ic) {
                        const int iy = y + conv.tap_dy[t], ix = x + conv.tap_dx[t];
                        if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
                        float* dst = din + ((n * s.height + iy) * s.width + ix) * ic;
                        for (int q = 0; q < ic; ++q) dst[q] += src[q];
                    }
                }
            }
        }
    });
}

}  // namespace

void masked_conv_forward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                         const float* bias, const float* in, float* out, Shape s, bool accumulate,
                         float* col, float* relu_out) {
    const int oc = conv.out_channels;
    const int k_total = static_cast<int>(conv.packed_rows());
    // Each thread gathers a block of rows and multiplies it at once, while the block is still in
    // its L2, instead of the whole col going out to memory and back (at batch 256 the 3x3's col
    // is 256 MB). Every row's sums are the same whatever the blocks (gemm.h), so are the bits.
    split_gemm_rows(ctx, static_cast<int>(s.positions()), [&](int m0, int m1) {
        for (int b0 = m0; b0 < m1; b0 += kGatherBlock) {
            const int b1 = std::min(m1, b0 + kGatherBlock);
            gather_rows(conv, in, col, s, b0, b1);
            const int64_t at = static_cast<int64_t>(b0) * oc;
            sgemm_bias(false, false, b1 - b0, oc, k_total, col + static_cast<int64_t>(b0) * k_total, k_total, weight, oc,
                       bias, accumulate, out + at, oc, relu_out ? relu_out + at : nullptr);
        }
    });
}

void masked_conv_backward(const Context& ctx, const net::MaskedConv& conv, const float* weight,
                          const float* in, const float* dout, float* din, bool din_accumulate,
                          float* dweight, float* dbias, Shape s, float* col, const float* ones) {
    const int P = static_cast<int>(s.positions());
    const int oc = conv.out_channels;
    const int k_total = static_cast<int>(conv.packed_rows());
    sgemv_t(P, oc, dout, oc, ones, dbias);  // dbias = dout^T . 1
    gather_live_taps(ctx, conv, in, col, s);
    parallel_sgemm(ctx, true, false, k_total, oc, P, col, k_total, dout, oc, 0.0f, dweight, oc);  // col^T . dout
    conv.zero_masked_centre(dweight);  // masked pairs have no gradient
    if (din == nullptr) return;
    // din = scatter(dout . weight^T), through col (the gathered input is no longer needed).
    parallel_sgemm(ctx, false, true, P, k_total, oc, dout, oc, weight, oc, 0.0f, col, k_total);
    scatter_live_taps(ctx, conv, col, din, din_accumulate, s);
}

void masked_conv_gather_at(const net::MaskedConv& conv, const CacheView& in, int n0, int n1, int y, int x,
                           float* col, int64_t col_stride) {
    const int ic = conv.in_channels;
    for (int n = n0; n < n1; ++n) {
        float* dst = col + n * col_stride;
        for (int t = 0; t < conv.taps; ++t, dst += ic) {
            const int sy = y + conv.tap_dy[t], sx = x + conv.tap_dx[t];
            // sy <= y always (the sampler refuses kernels that read later rows).
            if (sy < 0 || sx < 0 || sx >= in.width) {
                std::memset(dst, 0, sizeof(float) * ic);
            } else {
                std::memcpy(dst, in.at(n, sy, sx), sizeof(float) * ic);
            }
        }
    }
}

}  // namespace cpu
}  // namespace pixelcnn
