// The architectures: one function per file of net/, each building its graph from a Config.
#pragma once

#include "graph.h"
#include "pixelcnn/pixelcnn.h"

namespace pixelcnn {
namespace net {

// The plain PixelCNN of van den Oord et al. (2016) (net/residual.cpp).
Graph residual_network(const Config& config);

// The graph of a configuration's architecture (config.arch picks one of the above).
Graph build_network(const Config& config);

}  // namespace net
}  // namespace pixelcnn
