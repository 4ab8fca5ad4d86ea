// Gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation with PixelCNN
// Decoders", section 2), the one place that defines its wiring. Layer l of L, F channels per
// stack, kernel k (input_kernel for layer 0, block_kernel after it):
//
//   vertical    v_pre_l = v_conv(v_{l-1}) (+ class bias)          2F   rows above only
//               v_l = gate(v_pre_l)                               F
//   horizontal  h_pre_l = h_conv(h_{l-1}) + v_to_h(v_pre_l)
//                         (+ class bias)                          2F   the current row, left
//               g_l = gate(h_pre_l)                               F
//               h_l = h_out(g_l) (+ h_{l-1} for l > 0)            F    the residual stream
//               skip += skip(g_l)                                 F    (with skip connections)
//   head        ReLU, 1x1 F -> head, ReLU, 1x1 head -> out        from skip, or from h_{L-1}
//
// The last layer has no v_{L-1} (nothing reads it) and, with skip connections, no h_out.
// v_{-1} = h_{-1} = the image. The vertical stack never sees its own row: layer 0's
// (k/2 + 1) x k kernel covers the k/2 + 1 rows above the output (the "shift down" of the
// paper, done once), and later layers' (k/2 + 1) x k kernels cover rows y - k/2 .. y of the
// vertical maps, which themselves hold rows above y only. So the vertical maps of a whole row
// are known before any pixel of it is drawn: the cached sampler computes them once per row. The
// horizontal convolution is 1 x (k/2 + 1), type A in layer 0 and type B after it; it and every
// 1x1 of the horizontal stack and the head carry the channel-group masks of the C image
// channels. v_to_h is unmasked: the vertical maps know nothing of the current row.
// Gate layout: see net::Graph::gate_width. State_dict names (layers.<l>.v_conv, .v_class,
// .h_conv, .v_to_h, .h_class, .h_out, .skip; head.conv1, head.conv2) are those of the
// PyTorch module in docs/interop.md.
#include <string>

#include "networks.h"

namespace pixelcnn {
namespace net {

MaskSpec gated_vertical_mask(int k, bool first) {
    // Layer 0: rows y - k/2 - 1 .. y - 1 (anchor one row below the kernel); after it rows
    // y - k/2 .. y, every column of each.
    return MaskSpec{k / 2 + 1, k, first ? k / 2 + 1 : k / 2, k / 2, MaskType::Full, 1};
}

MaskSpec gated_horizontal_mask(int k, bool first, int groups) {
    return MaskSpec{1, k / 2 + 1, 0, k / 2, first ? MaskType::A : MaskType::B, groups};
}

Graph gated_network(const Config& c) {
    const int C = c.channels, F = c.hidden_channels;
    const int out = c.head == HEAD_BERNOULLI ? C : C * c.levels;
    const MaskSpec pointwise = MaskSpec::square(1, MaskType::B, C);
    MaskSpec unmasked = MaskSpec::square(1, MaskType::Full, C);
    Graph g;
    g.image_channels = C;
    const int x = g.add_buffer("x", C, /*needs_grad=*/false);
    g.add_encode(x);
    const int skip = c.skip ? g.add_buffer("skip", F) : -1;
    int v_prev = x, h_prev = x;
    for (int l = 0; l < c.blocks; ++l) {
        const std::string p = "layers." + std::to_string(l);
        const bool first = l == 0, last = l == c.blocks - 1;
        // The last layer's vertical output feeds nothing, nor does its residual stream when the
        // head reads the skip connections: neither is built (no dead parameters either).
        const bool vertical_out = !last, horizontal_out = !last || !c.skip;
        const int k = first ? c.input_kernel : c.block_kernel;
        const int v_pre = g.add_buffer(p + ".v_pre", 2 * F);
        const int v = vertical_out ? g.add_buffer(p + ".v", F) : -1;
        const int h_pre = g.add_buffer(p + ".h_pre", 2 * F);
        const int gated = g.add_buffer(p + ".g", F);
        const int h = horizontal_out ? g.add_buffer(p + ".h", F) : -1;
        MaskSpec vertical = gated_vertical_mask(k, first);
        vertical.groups = C;
        g.add_conv(p + ".v_conv", v_prev, v_pre, vertical);
        if (c.classes > 0) g.add_class_bias(p + ".v_class", v_pre, c.classes);
        if (vertical_out) g.add_gate(v_pre, v);
        g.add_conv(p + ".h_conv", h_prev, h_pre, gated_horizontal_mask(k, first, C));
        g.add_conv(p + ".v_to_h", v_pre, h_pre, unmasked, /*accumulate=*/true);
        if (c.classes > 0) g.add_class_bias(p + ".h_class", h_pre, c.classes);
        g.add_gate(h_pre, gated);
        if (horizontal_out) {
            g.add_conv(p + ".h_out", gated, h, pointwise);
            if (!first) g.add_add(h_prev, h);
        }
        if (skip >= 0) g.add_conv(p + ".skip", gated, skip, pointwise, /*accumulate=*/!first);
        v_prev = v;
        h_prev = h;
    }
    const int rh1 = g.add_buffer("head.r1", F);
    const int rh2 = g.add_buffer("head.r2", c.head_channels);
    const int logits = g.add_buffer("logits", out);
    g.add_relu(skip >= 0 ? skip : h_prev, rh1);
    g.add_conv("head.conv1", rh1, rh2, pointwise);
    g.add_relu(rh2, rh2);
    g.add_conv("head.conv2", rh2, logits, pointwise);
    g.add_loss(c.head == HEAD_BERNOULLI ? Op::BernoulliNll : Op::CategoricalNll, logits);
    return g;
}

}  // namespace net
}  // namespace pixelcnn
