// The k x k masked convolution: an im2col over live taps only (a 7x7 type A kernel gathers 24
// of its 49 taps), then a GEMM with the packed weight; the backward pass is the two GEMMs of
// the weight and input gradients and a scatter of the gathered gradient back to the input.
// The forward gather and the input gradient's scatter run block by block beside their GEMM,
// so col goes through each thread's L2 instead of out to memory and back.
#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "ops.h"

namespace pixelcnn {
namespace cpu {

namespace {

// Rows of col a thread gathers and multiplies at a time: 192 x (taps * IC) floats, 240 KB for
// the 3x3 over 64 channels, well inside an L2; a multiple of the kernels' 6- and 12-row tiles.
const int kGatherBlock = 192;

// The convolution's taps over `in` as an implicit im2col.
Im2col taps_of(const net::MaskedConv& conv, const float* in, Shape s) {
    Im2col taps;
    taps.in = in;
    taps.channels = conv.in_channels;
    taps.s = s;
    taps.taps = conv.taps;
    taps.dy = conv.tap_dy.data();
    taps.dx = conv.tap_dx.data();
    return taps;
}

// col's rows without col: position p's gathered taps, entries i0..i1 (entry i is channel i % IC
// of tap i / IC), zero outside the image. The rows of col^T for the weight gradient col^T .
// dout, and, whole, the rows of a written col.
struct GatheredTaps final : TransposedRows {
    Im2col taps;
    explicit GatheredTaps(const Im2col& t) : taps(t) {}

    const float* row(int64_t p, int i0, int i1, float* scratch) const override {
        const int ic = taps.channels;
        for (int t = i0 / ic; t * ic < i1; ++t) {
            const int c0 = std::max(i0, t * ic) - t * ic, c1 = std::min(i1, (t + 1) * ic) - t * ic;
            float* dst = scratch + t * ic + c0 - i0;
            const float* src = taps.source(p, t);
            if (src == nullptr) {
                std::memset(dst, 0, sizeof(float) * (c1 - c0));
            } else {
                std::memcpy(dst, src + c0, sizeof(float) * (c1 - c0));
            }
        }
        return scratch;
    }
};

// col rows p0..p1 (taps * IC each), written out. Single-threaded.
void gather_rows(const Im2col& taps, float* col, int64_t p0, int64_t p1) {
    const GatheredTaps rows(taps);
    const int k_total = taps.taps * taps.channels;
    for (int64_t p = p0; p < p1; ++p) rows.row(p, 0, k_total, col + p * k_total);
}

// din (P, IC) += dcol rows p0..p1 scattered back: output p's tap t came from input p +
// offset(t). Walks dcol in order (each row read once, whole) and adds into the few input rows
// around p, which stay in cache. Single-threaded; the rows p0..p1 write only inside their own
// images, so callers give threads whole images and never write the same row twice at once.
void scatter_rows(const net::MaskedConv& conv, const float* dcol, float* din, Shape s, int64_t p0, int64_t p1) {
    const int ic = conv.in_channels;
    const int64_t k_total = conv.packed_rows();
    const int64_t plane = static_cast<int64_t>(s.height) * s.width;
    for (int64_t p = p0; p < p1; ++p) {
        const int64_t n = p / plane;
        const int y = static_cast<int>(p % plane / s.width), x = static_cast<int>(p % s.width);
        const float* src = dcol + p * k_total;
        for (int t = 0; t < conv.taps; ++t, src += ic) {
            const int iy = y + conv.tap_dy[t], ix = x + conv.tap_dx[t];
            if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
            float* dst = din + ((n * s.height + iy) * s.width + ix) * ic;
            for (int q = 0; q < ic; ++q) dst[q] += src[q];
        }
    }
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
    // Where the AVX-512 kernel can, it reads the taps from the input itself (Im2col) and col
    // is not written at all: the gather was a ninth of a forward pass.
    const Im2col taps = taps_of(conv, in, s);
    split_gemm_rows(ctx, static_cast<int>(s.positions()), [&](int m0, int m1) {
        for (int b0 = m0; b0 < m1; b0 += kGatherBlock) {
            const int b1 = std::min(m1, b0 + kGatherBlock);
            const int64_t at = static_cast<int64_t>(b0) * oc;
            float* relu_at_block = relu_out ? relu_out + at : nullptr;
            if (sgemm_im2col_bias(taps, b0, b1, oc, weight, oc, bias, accumulate, out + at, oc, relu_at_block)) continue;
            gather_rows(taps, col, b0, b1);
            sgemm_bias(false, false, b1 - b0, oc, k_total, col + static_cast<int64_t>(b0) * k_total, k_total, weight, oc,
                       bias, accumulate, out + at, oc, relu_at_block);
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
    // dweight = col^T . dout, col's rows gathered as the GEMM packs them (col is scratch only
    // where the GEMM kernel needs it stored).
    parallel_sgemm_rows_tn(ctx, k_total, oc, P, GatheredTaps(taps_of(conv, in, s)), dout, oc, dweight, oc, col);
    conv.zero_masked_centre(dweight);  // masked pairs have no gradient
    if (din == nullptr) return;
    // din = scatter(dout . weight^T), through col (the gathered input is no longer needed): each
    // thread takes whole images (the scatter's rule) and, block by block, multiplies dout's rows
    // into col and scatters them while they are in its L2. Rows are independent in the GEMM and
    // each image's scatter adds in raster order as one pass would: the same bits.
    const int64_t plane = static_cast<int64_t>(s.height) * s.width;
    const int64_t din_floats = plane * conv.in_channels;
    // weight^T (OC x taps*IC), once: the GEMM would transpose it for every block.
    static thread_local std::vector<float> weight_t;
    weight_t.resize(static_cast<size_t>(oc) * k_total);
    transpose(weight, k_total, oc, weight_t.data());
    const float* wt = weight_t.data();
    ctx.threads().parallel_for(0, s.count, [&](int64_t n0, int64_t n1) {
        if (!din_accumulate) std::memset(din + n0 * din_floats, 0, sizeof(float) * (n1 - n0) * din_floats);
        for (int64_t b0 = n0 * plane; b0 < n1 * plane; b0 += kGatherBlock) {
            const int64_t b1 = std::min(n1 * plane, b0 + kGatherBlock);
            sgemm(false, false, static_cast<int>(b1 - b0), k_total, oc, dout + b0 * oc, oc, wt, k_total, 0.0f,
                  col + b0 * k_total, k_total);
            scatter_rows(conv, col, din, s, b0, b1);
        }
    });
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
