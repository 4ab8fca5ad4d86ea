// Cached sampling: one position at a time, each layer computing only that position's output
// from caches of its input.
//
// What each layer needs at position (y, x), for images n:
//   k x k convolutions (input conv, conv2 of each block) read their input at live taps, which
//   lie in rows y - k/2 .. y: their input is kept in a ring buffer of k/2 + 1 rows
//   (row r lives in slot r % rows); 1x1 convolutions read their input at (y, x) only, kept as
//   one vector per image. Slots of the current row right of x hold stale values from an older
//   row; no live tap reads them.
// Colour: sub-step s of a pixel computes channel group s of every layer's output. Groups < s
//   were computed in earlier sub-steps and do not depend on image channel s (the masks), groups
//   > s are multiplied by masked (zero) centre weights, so stale values there do not matter.
#include <algorithm>
#include <cstring>
#include <vector>

#include "check.h"
#include "cpu/gemm.h"
#include "model_impl.h"
#include "pixelcnn/pixelcnn.h"
#include "sampler_impl.h"

namespace pixelcnn {

SamplerImpl::SamplerImpl(ModelImpl& model, int n) : m(model), count(n) {
    const Config& c = m.cfg;
    input.init(count, c.input_kernel, c.width, c.channels);
    block_mid.resize(c.blocks);
    block_in.resize(c.blocks);
    block_out.resize(c.blocks);
    for (int b = 0; b < c.blocks; ++b) {
        block_in[b].init(count, c.hidden_channels);
        block_mid[b].init(count, c.block_kernel, c.width, c.residual_channels);
        block_out[b].init(count, c.residual_channels);
    }
    h.init(count, c.hidden_channels);
    head_in.init(count, c.hidden_channels);
    head_mid.init(count, c.head_channels);
    logits.init(count, m.out_channels);
    for (const auto& conv : m.convs) col_stride = std::max(col_stride, conv.packed_rows());
    col.assign(static_cast<size_t>(count) * col_stride, 0.0f);
}

const float* SamplerImpl::gather(const MaskedConv& conv, RowRing& ring, int n0, int n1, int y, int x) {
    const int ic = conv.in_channels;
    const Config& c = m.cfg;
    for (int n = n0; n < n1; ++n) {
        float* dst = col.data() + n * col_stride;
        for (int t = 0; t < conv.taps; ++t, dst += ic) {
            const int sy = y + conv.tap_dy[t], sx = x + conv.tap_dx[t];
            if (sy < 0 || sx < 0 || sx >= c.width) {  // sy <= y always
                std::memset(dst, 0, sizeof(float) * ic);
            } else {
                std::memcpy(dst, ring.at(n, sy, sx), sizeof(float) * ic);
            }
        }
    }
    return col.data() + n0 * col_stride;
}

void SamplerImpl::conv_at(int conv_index, int n0, int n1, const float* a, int64_t a_stride,
                          float* out, int64_t out_stride, int group, bool accumulate) {
    const MaskedConv& conv = m.convs[conv_index];
    const int width = conv.out_channels / m.cfg.channels;
    const int o0 = group * width;
    const float* bias = m.params.data() + conv.bias_offset + o0;
    for (int n = n0; n < n1; ++n) {
        float* o = out + n * out_stride + o0;
        if (accumulate) {
            for (int j = 0; j < width; ++j) o[j] += bias[j];
        } else {
            std::memcpy(o, bias, sizeof(float) * width);
        }
    }
    cpu::sgemm(false, false, n1 - n0, width, static_cast<int>(conv.packed_rows()), a,
               static_cast<int>(a_stride), m.params.data() + conv.weight_offset + o0,
               conv.out_channels, 1.0f, out + n0 * out_stride + o0, static_cast<int>(out_stride));
}

static void relu_columns(float* base, int64_t stride, int n0, int n1, int c0, int width) {
    for (int n = n0; n < n1; ++n) {
        float* v = base + n * stride + c0;
        for (int j = 0; j < width; ++j) v[j] = v[j] > 0.0f ? v[j] : 0.0f;
    }
}

static void relu_copy_columns(const float* src, float* dst, int64_t stride, int n0, int n1, int c0,
                              int width) {
    for (int n = n0; n < n1; ++n) {
        const float* s = src + n * stride + c0;
        float* d = dst + n * stride + c0;
        for (int j = 0; j < width; ++j) d[j] = s[j] > 0.0f ? s[j] : 0.0f;
    }
}

// Channel group `group` of every layer at (y, x) for images n0..n1, ending with the logits of
// image channel `group`.
void SamplerImpl::step(int n0, int n1, int y, int x, int group) {
    const Config& c = m.cfg;
    const int C = c.channels;
    const int hid_w = c.hidden_channels / C, res_w = c.residual_channels / C;
    const int hid0 = group * hid_w, res0 = group * res_w;

    const int ci = m.input_conv();
    conv_at(ci, n0, n1, gather(m.convs[ci], input, n0, n1, y, x), col_stride, h.data.data(),
            h.channels, group, false);
    for (int b = 0; b < c.blocks; ++b) {
        const int c1 = m.block_conv(b, 0), c2 = m.block_conv(b, 1), c3 = m.block_conv(b, 2);
        relu_copy_columns(h.data.data(), block_in[b].data.data(), h.channels, n0, n1, hid0, hid_w);
        // conv1 writes straight into conv2's ring at (y, x)
        RowRing& mid = block_mid[b];
        conv_at(c1, n0, n1, block_in[b].row(n0), block_in[b].channels, mid.at(0, y, x),
                mid.image_stride(), group, false);
        relu_columns(mid.at(0, y, x), mid.image_stride(), n0, n1, res0, res_w);
        conv_at(c2, n0, n1, gather(m.convs[c2], mid, n0, n1, y, x), col_stride,
                block_out[b].data.data(), block_out[b].channels, group, false);
        relu_columns(block_out[b].data.data(), block_out[b].channels, n0, n1, res0, res_w);
        conv_at(c3, n0, n1, block_out[b].row(n0), block_out[b].channels, h.data.data(),
                h.channels, group, true);
    }
    const int h1 = m.head_conv(0), h2 = m.head_conv(1);
    relu_copy_columns(h.data.data(), head_in.data.data(), h.channels, n0, n1, hid0, hid_w);
    conv_at(h1, n0, n1, head_in.row(n0), head_in.channels, head_mid.data.data(), head_mid.channels,
            group, false);
    const int head_w = c.head_channels / C;
    relu_columns(head_mid.data.data(), head_mid.channels, n0, n1, group * head_w, head_w);
    conv_at(h2, n0, n1, head_mid.row(n0), head_mid.channels, logits.data.data(), logits.channels,
            group, false);
}

CachedSampler::CachedSampler(Model& model, int count) : impl_(nullptr) {
    PCNN_REQUIRE(count > 0, "cached sampler: expected at least one image, got " << count);
    PCNN_REQUIRE(count <= 1 << 20, "cached sampler: expected at most 1048576 images, got " << count);
    impl_ = new SamplerImpl(*model.impl_, count);
}

CachedSampler::~CachedSampler() { delete impl_; }

int CachedSampler::count() const { return impl_->count; }
int CachedSampler::next_row() const { return impl_->next_row; }
void CachedSampler::reset() { impl_->next_row = 0; }

void SamplerImpl::sample_row(unsigned char* images, const unsigned char* known, int row,
                             long long seed, long long first_index, float temperature) {
    const Config& c = m.cfg;
    m.check_sampling_args(images, count, row, first_index, temperature, "cached sampler");
    PCNN_REQUIRE(row == next_row, "cached sampler: rows must come in order; expected row "
                                      << next_row << ", got " << row << " (call reset to start over)");
    const int64_t plane = static_cast<int64_t>(c.height) * c.width;
    const float scale = m.input_scale();
    cpu::use_single_threaded_blas();  // see ModelImpl::forward
    // Images are independent: each thread takes a contiguous share through the whole row, with
    // single-threaded GEMMs (the engine keeps OpenBLAS single-threaded, see cpu/gemm.h).
    // The test hook needs all images of a pixel done, so it runs the images in one share.
    const int64_t grain = after_pixel ? count : 1;
    m.pool->parallel_for(0, count, [&](int64_t lo, int64_t hi) {
        const int n0 = static_cast<int>(lo), n1 = static_cast<int>(hi);
        for (int x = 0; x < c.width; ++x) {
            const int64_t pos = static_cast<int64_t>(row) * c.width + x;
            for (int ch = 0; ch < c.channels; ++ch) {
                step(n0, n1, row, x, ch);
                for (int n = n0; n < n1; ++n) {
                    const int64_t at = (static_cast<int64_t>(n) * c.channels + ch) * plane + pos;
                    if (!(known && known[at])) {
                        images[at] = m.draw(logits.row(n), ch, temperature, seed, first_index + n, pos);
                    }
                    input.at(n, row, x)[ch] = images[at] * scale;
                }
            }
            if (after_pixel) after_pixel(row, x);
        }
    }, grain);
    next_row = row + 1 == c.height ? 0 : row + 1;
}

void CachedSampler::sample_row(unsigned char* images, const unsigned char* known, int row,
                               long long seed, long long first_index, float temperature) {
    impl_->sample_row(images, known, row, seed, first_index, temperature);
}

}  // namespace pixelcnn
