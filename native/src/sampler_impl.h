// The cached sampler's state (see sampler.cpp), in a header so tests can inspect the caches.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "backend.h"
#include "model_impl.h"

namespace pixelcnn {

class SamplerImpl {
public:
    SamplerImpl(ModelImpl& model, int count);

    ModelImpl& m;
    int count;
    int next_row = 0;
    // Per graph buffer: its cache (a ring of rows for a k x k convolution's input, else the
    // current position) and the backend memory behind it.
    std::vector<CacheView> caches;
    std::vector<Buffer> cache_memory;
    int64_t col_stride = 0;  // floats of im2col scratch per image
    Buffer col;              // (count, col_stride)

    // Test hook: called after the last sub-step of each pixel with (y, x), when set.
    std::function<void(int, int)> after_pixel;

    void sample_row(unsigned char* images, const unsigned char* known, int row, long long seed,
                    long long first_index, float temperature);
    // Channel group `group` of every node at (y, x) for images n0..n1.
    void step(int n0, int n1, int y, int x, int group);
};

}  // namespace pixelcnn
