// Turning logits into a drawn value: shared by every sampler (naive now, cached later) so that
// they agree exactly given the same logits and the same uniform number.
#pragma once

#include <cmath>

namespace pixelcnn {

// 1 with probability sigmoid(logit / temperature).
inline int draw_bernoulli(float logit, float temperature, double u) {
    double p1 = 1.0 / (1.0 + std::exp(-static_cast<double>(logit) / temperature));
    return u < p1 ? 1 : 0;
}

// A level from softmax(logits / temperature) by inverse CDF on u.
inline int draw_categorical(const float* logits, int levels, float temperature, double u) {
    double mx = logits[0];
    for (int k = 1; k < levels; ++k) mx = std::fmax(mx, static_cast<double>(logits[k]));
    double total = 0.0;
    for (int k = 0; k < levels; ++k) total += std::exp((logits[k] - mx) / temperature);
    double target = u * total, cumulative = 0.0;
    for (int k = 0; k < levels; ++k) {
        cumulative += std::exp((logits[k] - mx) / temperature);
        if (target < cumulative) return k;
    }
    return levels - 1;  // u * total rounded up to the last bucket
}

}  // namespace pixelcnn
