// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): the value for a draw is a pure
// function of (seed, image, position, channel), so a sample never depends on batch split, thread
// count, sampling algorithm or device.
#pragma once

#include <cstdint>

#include "host_device.h"

namespace pixelcnn {

struct Philox4x32 {
    uint32_t v[4];
};

PCNN_HD inline Philox4x32 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                                uint32_t k1) {
    const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;  // round multipliers
    const uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;  // key schedule (golden ratio, sqrt 3)
    for (int round = 0; round < 10; ++round) {
        uint64_t p0 = static_cast<uint64_t>(M0) * c0;
        uint64_t p1 = static_cast<uint64_t>(M1) * c2;
        uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
        uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += W0;
        k1 += W1;
    }
    return Philox4x32{{c0, c1, c2, c3}};
}

// Uniform double in [0, 1) with 53 random bits, for draw (image, position, channel) under seed.
PCNN_HD inline double uniform_for(uint64_t seed, uint64_t image, uint32_t position, uint32_t channel) {
    Philox4x32 r = philox4x32_10(static_cast<uint32_t>(image), static_cast<uint32_t>(image >> 32),
                                 position, channel, static_cast<uint32_t>(seed),
                                 static_cast<uint32_t>(seed >> 32));
    uint64_t bits = (static_cast<uint64_t>(r.v[0]) << 21) ^ (r.v[1] >> 11);
    return static_cast<double>(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

}  // namespace pixelcnn
