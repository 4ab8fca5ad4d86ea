#include "layers.h"

#include "check.h"

namespace pixelcnn {

MaskedConv make_masked_conv(int in_channels, int out_channels, int kernel, bool type_a,
                            int groups) {
    PCNN_ASSERT(kernel >= 1 && kernel % 2 == 1);
    PCNN_ASSERT(in_channels % groups == 0 && out_channels % groups == 0);
    MaskedConv conv;
    conv.in_channels = in_channels;
    conv.out_channels = out_channels;
    conv.kernel = kernel;
    conv.type_a = type_a;
    conv.groups = groups;
    const int c = kernel / 2;
    // Taps strictly before the centre in raster order see every channel.
    for (int i = 0; i <= c; ++i) {
        for (int j = 0; j < kernel; ++j) {
            if (i == c && j >= c) break;
            conv.tap_dy.push_back(i - c);
            conv.tap_dx.push_back(j - c);
        }
    }
    // The centre sees earlier channel groups (type A) or earlier and its own group (type B).
    std::vector<float> mask(static_cast<size_t>(in_channels) * out_channels, 0.0f);
    bool any_live = false;
    for (int q = 0; q < in_channels; ++q) {
        int gq = channel_group(q, in_channels, groups);
        for (int o = 0; o < out_channels; ++o) {
            int go = channel_group(o, out_channels, groups);
            bool live = type_a ? gq < go : gq <= go;
            mask[static_cast<size_t>(q) * out_channels + o] = live ? 1.0f : 0.0f;
            any_live = any_live || live;
        }
    }
    if (any_live) {
        conv.centre_live = true;
        conv.tap_dy.push_back(0);
        conv.tap_dx.push_back(0);
        conv.centre_mask = std::move(mask);
    }
    conv.taps = static_cast<int>(conv.tap_dy.size());
    return conv;
}

}  // namespace pixelcnn
