// The architectures: one function per file of net/, each building its graph from a Config.
#pragma once

#include "graph.h"
#include "pixelcnn/pixelcnn.h"

namespace pixelcnn {
namespace net {

// The plain PixelCNN of van den Oord et al. (2016) (net/residual.cpp).
Graph residual_network(const Config& config);

// Gated PixelCNN of van den Oord et al. (2016), optionally class-conditional (net/gated.cpp).
Graph gated_network(const Config& config);
// Its masks, for tests: the vertical stack's (layer 0 reads the rows above only) and the
// horizontal stack's (type A in layer 0).
MaskSpec gated_vertical_mask(int k, bool first);
MaskSpec gated_horizontal_mask(int k, bool first, int groups);

// The graph of a configuration's architecture (config.arch picks one of the above).
Graph build_network(const Config& config);

}  // namespace net
}  // namespace pixelcnn
