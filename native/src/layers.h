// Backend-neutral descriptions of the engine's layers. Kernels (cpu/, later cuda/) take these
// plus raw activation pointers; the Model owns the memory they point into.
#pragma once

#include <cstdint>
#include <vector>

namespace pixelcnn {

// Activation shape: `count` images of height x width positions, NHWC float32.
struct Shape {
    int count = 0;
    int height = 0;
    int width = 0;
    int64_t positions() const { return static_cast<int64_t>(count) * height * width; }
};

// A masked convolution (k x k, stride 1, zero padding k/2), 1x1 included (k = 1, type B).
// Only live taps are stored: the weight is packed as (taps * in_channels, out_channels), row
// t * in_channels + q for tap t and input channel q; taps in raster order, the centre (if live
// for any channel pair) last. The centre's channel-group mask is applied by keeping the masked
// entries of the centre block at zero in the weight and its gradient.
struct MaskedConv {
    int in_channels = 0;
    int out_channels = 0;
    int kernel = 1;
    bool type_a = false;
    int groups = 1;                  // channel groups (image channels C)
    int taps = 0;                    // live spatial taps
    std::vector<int> tap_dy, tap_dx; // offsets of each live tap from the output position
    bool centre_live = false;        // last tap is the centre
    std::vector<float> centre_mask;  // (in_channels, out_channels), 1 = live; empty if no centre
    // Offsets (in floats) of this layer's tensors inside the model's parameter blob.
    int64_t weight_offset = 0;       // (taps * in_channels, out_channels)
    int64_t bias_offset = 0;         // (out_channels)

    int64_t packed_rows() const { return static_cast<int64_t>(taps) * in_channels; }
    int64_t weight_size() const { return packed_rows() * out_channels; }
};

// Channel group of channel `ch` among `total` channels split into `groups` contiguous groups.
inline int channel_group(int ch, int total, int groups) { return ch / (total / groups); }

// Builds the tap lists and centre mask of a masked convolution.
MaskedConv make_masked_conv(int in_channels, int out_channels, int kernel, bool type_a, int groups);

}  // namespace pixelcnn
