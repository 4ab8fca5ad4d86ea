// The plain PixelCNN (van den Oord et al. 2016, "Pixel Recurrent Neural Networks", section 3.5),
// as the residual network of BENCHMARKS.md. The one place that defines its wiring:
//
//   input    k x k type A conv  C -> hidden                       x -> h
//   block b  ReLU, 1x1 hidden -> residual, ReLU,                  h -> r1 -> r2
//            k x k type B residual -> residual, ReLU,             r2 -> r3
//            1x1 residual -> hidden, added to the block input     r3 -> h (+=)
//   head     ReLU, 1x1 hidden -> head, ReLU, 1x1 head -> out      h -> rh1 -> rh2 -> logits
//
// out = C for a Bernoulli head, C * levels for a categorical one. Every convolution, 1x1
// included, carries the channel-group mask of the C image channels. The state_dict names
// (input, blocks.<b>.conv<1..3>, head.conv<1..2>) are those of the PyTorch module in
// docs/interop.md.
#include "networks.h"

#include <string>

namespace pixelcnn {
namespace net {

Graph residual_network(const Config& c) {
    const int C = c.channels;
    const int out = c.head == HEAD_BERNOULLI ? C : C * c.levels;
    const MaskSpec pointwise = MaskSpec::square(1, MaskType::B, C);
    const MaskSpec block_mask = MaskSpec::square(c.block_kernel, MaskType::B, C);
    Graph g;
    g.image_channels = C;
    const int x = g.add_buffer("x", C, /*needs_grad=*/false);
    const int h = g.add_buffer("h", c.hidden_channels);
    g.add_encode(x);
    g.add_conv("input", x, h, MaskSpec::square(c.input_kernel, MaskType::A, C));
    for (int b = 0; b < c.blocks; ++b) {
        const std::string p = "blocks." + std::to_string(b);
        const int r1 = g.add_buffer(p + ".r1", c.hidden_channels);
        const int r2 = g.add_buffer(p + ".r2", c.residual_channels);
        const int r3 = g.add_buffer(p + ".r3", c.residual_channels);
        g.add_relu(h, r1);
        g.add_conv(p + ".conv1", r1, r2, pointwise);
        g.add_relu(r2, r2);
        g.add_conv(p + ".conv2", r2, r3, block_mask);
        g.add_relu(r3, r3);
        g.add_conv(p + ".conv3", r3, h, pointwise, /*accumulate=*/true);
    }
    const int rh1 = g.add_buffer("head.r1", c.hidden_channels);
    const int rh2 = g.add_buffer("head.r2", c.head_channels);
    const int logits = g.add_buffer("logits", out);
    g.add_relu(h, rh1);
    g.add_conv("head.conv1", rh1, rh2, pointwise);
    g.add_relu(rh2, rh2);
    g.add_conv("head.conv2", rh2, logits, pointwise);
    g.add_loss(c.head == HEAD_BERNOULLI ? Op::BernoulliNll : Op::CategoricalNll, logits);
    return g;
}

Graph build_network(const Config& config) {
    return config.arch == ARCH_GATED ? gated_network(config) : residual_network(config);
}

}  // namespace net
}  // namespace pixelcnn
