// The k x k masked convolution on the device: an im2col over live taps (col), then a GEMM with
// the packed weight. The input gradient goes through col too (dout . weight^T), and is then
// gathered back per input element, taps in order, instead of scattered: no two threads write
// the same value, so no atomics and the same bits every run.
#include "ops.h"

namespace pixelcnn {
namespace cuda {

namespace {

// col[p, t * IC + q] = in at position p + offset(t), channel q; 0 outside the image.
PCNN_KERNEL void gather_kernel(TapTable taps, const float* in, float* col, int height, int width, int64_t P) {
    const int ic = taps.in_channels;
    const int64_t k_total = static_cast<int64_t>(taps.taps) * ic;
    const int64_t n = P * k_total;
    const int64_t plane = static_cast<int64_t>(height) * width;
    PCNN_GRID_LOOP(i, n) {
        const int64_t p = i / k_total;
        const int k = static_cast<int>(i % k_total);
        const int t = k / ic, q = k % ic;
        const int64_t image = p / plane;
        const int y = static_cast<int>(p % plane / width) + taps.dy[t];
        const int x = static_cast<int>(p % width) + taps.dx[t];
        const bool inside = y >= 0 && y < height && x >= 0 && x < width;
        col[i] = inside ? in[((image * height + y) * width + x) * ic + q] : 0.0f;
    }
}

// din[p, q] (=|+=) sum over taps t, in order, of dcol[p - offset(t), t * IC + q] for the
// outputs p - offset(t) inside the image: each input element gathers what its taps sent.
PCNN_KERNEL void gather_input_gradient_kernel(TapTable taps, const float* dcol, float* din, bool accumulate,
                                              int height, int width, int64_t P) {
    const int ic = taps.in_channels;
    const int64_t k_total = static_cast<int64_t>(taps.taps) * ic;
    const int64_t n = P * ic;
    const int64_t plane = static_cast<int64_t>(height) * width;
    PCNN_GRID_LOOP(i, n) {
        const int64_t p = i / ic;
        const int q = static_cast<int>(i % ic);
        const int64_t image = p / plane;
        const int y = static_cast<int>(p % plane / width), x = static_cast<int>(p % width);
        float total = 0.0f;
        for (int t = 0; t < taps.taps; ++t) {
            const int oy = y - taps.dy[t], ox = x - taps.dx[t];
            if (oy < 0 || oy >= height || ox < 0 || ox >= width) continue;
            total += dcol[((image * height + oy) * width + ox) * k_total + static_cast<int64_t>(t) * ic + q];
        }
        din[i] = accumulate ? din[i] + total : total;
    }
}

// The sampler's gather at one position (y, x) for images n0..n1, from its cache of the input.
PCNN_KERNEL void gather_at_kernel(TapTable taps, CacheView in, int n0, int n1, int y, int x, float* col,
                                  int64_t col_stride) {
    const int ic = taps.in_channels;
    const int64_t k_total = static_cast<int64_t>(taps.taps) * ic;
    const int64_t n = (n1 - n0) * k_total;
    PCNN_GRID_LOOP(i, n) {
        const int image = n0 + static_cast<int>(i / k_total);
        const int k = static_cast<int>(i % k_total);
        const int t = k / ic, q = k % ic;
        const int sy = y + taps.dy[t], sx = x + taps.dx[t];
        // sy <= y always (the sampler refuses kernels that read later rows).
        float v = 0.0f;
        if (sy >= 0 && sx >= 0 && sx < in.width) {
            const int64_t slot = in.rows == 0 ? 0 : (static_cast<int64_t>(sy % in.rows) * in.width + sx) * in.channels;
            v = in.data[image * in.image_stride() + slot + q];
        }
        col[image * col_stride + k] = v;
    }
}

}  // namespace

void masked_conv_forward(const Context& ctx, const net::MaskedConv& conv, const float* weight, const float* bias,
                         const float* in, float* out, Shape s, bool accumulate, float* col, float* relu_out) {
    const int64_t P = s.positions();
    const int k_total = static_cast<int>(conv.packed_rows());
    PCNN_LAUNCH(gather_kernel, P * k_total, ctx.stream, tap_table(conv), in, col, s.height, s.width, P);
    gemm_bias(ctx, static_cast<int>(P), conv.out_channels, k_total, col, k_total, weight, conv.out_channels, bias,
              accumulate, out, conv.out_channels, relu_out);
}

void masked_conv_backward(const Context& ctx, const net::MaskedConv& conv, const float* weight, const float* in,
                          const float* dout, float* din, bool din_accumulate, float* dweight, float* dbias, Shape s,
                          float* col, const float* ones) {
    const int64_t P = s.positions();
    const int oc = conv.out_channels;
    const int k_total = static_cast<int>(conv.packed_rows());
    const TapTable taps = tap_table(conv);
    column_sums(ctx, static_cast<int>(P), oc, dout, oc, ones, dbias);
    PCNN_LAUNCH(gather_kernel, P * k_total, ctx.stream, taps, in, col, s.height, s.width, P);
    gemm_tn(ctx, k_total, oc, static_cast<int>(P), col, k_total, dout, oc, dweight, oc);  // col^T . dout
    zero_masked_centre(ctx, conv, dweight);  // masked pairs have no gradient
    if (din == nullptr) return;
    // dcol = dout . weight^T into col (the gathered input is no longer needed), then gathered
    // back to the input positions.
    gemm_nt(ctx, static_cast<int>(P), k_total, oc, dout, oc, weight, oc, false, col, k_total, nullptr);
    PCNN_LAUNCH(gather_input_gradient_kernel, P * conv.in_channels, ctx.stream, taps, col, din, din_accumulate,
                s.height, s.width, P);
}

void masked_conv_gather_at(const Context& ctx, const net::MaskedConv& conv, const CacheView& in, int n0, int n1,
                           int y, int x, float* col, int64_t col_stride) {
    if (n1 <= n0) return;
    PCNN_LAUNCH(gather_at_kernel, (n1 - n0) * conv.packed_rows(), ctx.stream, tap_table(conv), in, n0, n1, y, x, col,
                col_stride);
}

}  // namespace cuda
}  // namespace pixelcnn
