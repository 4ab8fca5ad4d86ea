// Between images and the network on the device: the network input of uint8 images (copied up
// from the host), and the cached sampler's draw at one position, with the generator and the
// draw of core/sampling.h compiled for the device: the same uniform numbers as on the CPU for
// the same (seed, image, position, channel), so the same value for the same logits.
#include "../core/sampling.h"
#include "ops.h"

namespace pixelcnn {
namespace cuda {

namespace {

PCNN_KERNEL void encode_kernel(const unsigned char* images, float* x, int64_t plane, int channels, float scale,
                               int64_t n) {
    PCNN_GRID_LOOP(i, n) {  // i over the NHWC output
        const int64_t p = i / channels;
        const int c = static_cast<int>(i % channels);
        const int64_t image = p / plane;
        x[i] = images[(image * channels + c) * plane + p % plane] * scale;
    }
}

// One thread per image: spec's pointers are replaced by the device copies.
PCNN_KERNEL void draw_kernel(DrawSpec spec, unsigned char* images, const unsigned char* known, CacheView logits,
                             CacheView input, int n0, int n1, int y, int x, int channel) {
    const int64_t plane = static_cast<int64_t>(spec.height) * spec.width;
    const int64_t pos = static_cast<int64_t>(y) * spec.width + x;
    PCNN_GRID_LOOP(k, n1 - n0) {
        const int n = n0 + static_cast<int>(k);
        const int64_t at = (static_cast<int64_t>(n) * spec.channels + channel) * plane + pos;
        if (!(known && known[at])) {
            images[at] = draw_value(logits.at(n, y, x), channel, spec.bernoulli, spec.levels, spec.temperature,
                                    spec.seed, spec.first_index + n, pos);
        }
        input.at(n, y, x)[channel] = images[at] * spec.input_scale;
    }
}

}  // namespace

void encode_input(const Context& ctx, const unsigned char* images, float* x, Shape s, int channels,
                  float input_scale) {
    const int64_t n = s.positions() * channels;
    if (n <= 0) return;
    unsigned char* device_images = static_cast<unsigned char*>(ctx.images->get(static_cast<size_t>(n)));
    PCNN_CUDA_CHECK(cudaMemcpyAsync(device_images, images, static_cast<size_t>(n), cudaMemcpyHostToDevice, ctx.stream));
    PCNN_LAUNCH(encode_kernel, n, ctx.stream, device_images, x, static_cast<int64_t>(s.height) * s.width, channels,
                input_scale, n);
}

void draw_at(const Context& ctx, const DrawSpec& spec, unsigned char* device_images, const unsigned char* device_known,
             const CacheView& logits, const CacheView& input, int n0, int n1, int y, int x, int channel) {
    if (n1 <= n0) return;
    PCNN_LAUNCH(draw_kernel, n1 - n0, ctx.stream, spec, device_images, device_known, logits, input, n0, n1, y, x,
                channel);
}

}  // namespace cuda
}  // namespace pixelcnn
