// Between images and the network: the network input of uint8 images, and the drawing of a
// sampled value from the logits at one position (the cached sampler's last op per sub-step).
#include "../core/sampling.h"
#include "ops.h"

namespace pixelcnn {
namespace cpu {

void encode_input(const Context& ctx, const unsigned char* images, float* x, Shape s, int channels,
                  float input_scale) {
    const int64_t plane = static_cast<int64_t>(s.height) * s.width;
    ctx.threads().parallel_for(0, s.count, [&](int64_t lo, int64_t hi) {
        for (int64_t n = lo; n < hi; ++n) {
            for (int64_t i = 0; i < plane; ++i) {
                for (int c = 0; c < channels; ++c) {
                    x[(n * plane + i) * channels + c] = images[(n * channels + c) * plane + i] * input_scale;
                }
            }
        }
    });
}

void draw_at(const DrawSpec& spec, const CacheView& logits, const CacheView& input, int n0, int n1, int y,
             int x, int channel) {
    const int64_t plane = static_cast<int64_t>(spec.height) * spec.width;
    const int64_t pos = static_cast<int64_t>(y) * spec.width + x;
    for (int n = n0; n < n1; ++n) {
        const int64_t at = (static_cast<int64_t>(n) * spec.channels + channel) * plane + pos;
        if (!(spec.known && spec.known[at])) {
            spec.images[at] = draw_value(logits.at(n, y, x), channel, spec.bernoulli, spec.levels,
                                         spec.temperature, spec.seed, spec.first_index + n, pos);
        }
        input.at(n, y, x)[channel] = spec.images[at] * spec.input_scale;
    }
}

}  // namespace cpu
}  // namespace pixelcnn
