// Turning logits into a drawn value: shared by the naive and the cached sampler (and by every
// backend's draw, the CUDA kernels' too), so that they agree exactly given the same logits and the same uniform number.
#pragma once

#include <math.h>

#include <cstdint>

#include "host_device.h"

#include "rng.h"

namespace pixelcnn {

// 1 with probability sigmoid(logit / temperature).
PCNN_HD inline int draw_bernoulli(float logit, float temperature, double u) {
    double p1 = 1.0 / (1.0 + ::exp(-static_cast<double>(logit) / temperature));
    return u < p1 ? 1 : 0;
}

// The most levels a categorical head has (the configuration allows no more).
const int kMaxLevels = 256;

// The largest of v[0..n), NaNs passed over as fmax does, in v's own type: for floats that is
// exact (the largest of floats is one of them, as in double) and compilable on aarch64 GCC 12,
// which crashes (an internal compiler error in its vectoriser) on the reduction widened to double
// at -O3.
PCNN_HD inline float larger(float a, float b) { return ::fmaxf(a, b); }
PCNN_HD inline double larger(double a, double b) { return ::fmax(a, b); }
template <typename T>
PCNN_HD inline T max_of(const T* v, int n) {
    T m = v[0];
    for (int k = 1; k < n; ++k) m = larger(m, v[k]);
    return m;
}

// A level from softmax(logits / temperature) by inverse CDF on u. Each level's exp is computed
// once and kept for the cumulative walk (the same values the walk recomputed before, so the
// same draws, for half the exp calls: they were a sixth of batch-16 sampling at 256 levels).
PCNN_HD inline int draw_categorical(const float* logits, int levels, float temperature, double u) {
    const double mx = max_of(logits, levels);
    double weight[kMaxLevels];
    double total = 0.0;
    for (int k = 0; k < levels; ++k) {
        weight[k] = ::exp((logits[k] - mx) / temperature);
        total += weight[k];
    }
    double target = u * total, cumulative = 0.0;
    for (int k = 0; k < levels; ++k) {
        cumulative += weight[k];
        if (target < cumulative) return k;
    }
    return levels - 1;  // u * total rounded up to the last bucket
}

// Channel `channel` of one pixel from the logits of its position (all logit channels), with the
// uniform number keyed by (seed, image, position, channel).
PCNN_HD inline unsigned char draw_value(const float* logits_at, int channel, bool bernoulli, int levels,
                                float temperature, long long seed, long long image, int64_t position) {
    const double u = uniform_for(static_cast<uint64_t>(seed), static_cast<uint64_t>(image),
                                 static_cast<uint32_t>(position), static_cast<uint32_t>(channel));
    const int v = bernoulli ? draw_bernoulli(logits_at[channel], temperature, u)
                            : draw_categorical(logits_at + channel * levels, levels, temperature, u);
    return static_cast<unsigned char>(v);
}

}  // namespace pixelcnn
