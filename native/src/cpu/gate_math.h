// tanh and sigmoid in float for the gated unit, as one fixed sequence of IEEE operations
// (+, -, *, /, min, conversions, bit moves), written once here for CPUs without AVX-512 and once
// in AVX-512 vectors in activations.cpp, lane for lane the same operations (the cached sampler
// and the forward pass both use the one the CPU has, so they agree bit for bit).
// activations.cpp is compiled with -ffp-contract=off so that no compiler fuses a multiply and
// an add; the CUDA backend runs the scalar form on the device, compiled with --fmad=false for the
// same reason, so a GPU's gate gives the CPU's bits. libm's tanhf was a third of a Gated PixelCNN training step.
//
//   |x| < 0.25   x + x^3 * P(x^2), the Taylor series of tanh to x^11 (next term below 1e-10 x)
//   otherwise    1 - 2 / (e^(2|x|) + 1), e^y = 2^n e^r with |r| <= ln(2)/2 and e^r by its Taylor
//                series to r^7 (error below 1e-8 relative); |x| clamped at 9, where tanh is
//                within an ulp of 1
// with the sign of x; NaN stays NaN. Checked against double tanh in test_ops (check_gate_tanh).
// sigmoid(b) = 0.5 + 0.5 * tanh(0.5 * b), as before (no overflow for any b).
#pragma once

#include <cstdint>
#include <cstring>

#include "../core/host_device.h"

namespace pixelcnn {
namespace cpu {
namespace gate_math {

// Taylor coefficients of tanh(x) = x + c3 x^3 + c5 x^5 + ...
constexpr float kTanhC3 = -1.0f / 3.0f;
constexpr float kTanhC5 = 2.0f / 15.0f;
constexpr float kTanhC7 = -17.0f / 315.0f;
constexpr float kTanhC9 = 62.0f / 2835.0f;
constexpr float kTanhC11 = -1382.0f / 155925.0f;
constexpr float kSmall = 0.25f;
constexpr float kClamp = 9.0f;
constexpr float kLog2e = 1.44269504088896341f;
// ln 2 split so that n * kLn2High is exact for the n used here (|n| <= 26).
constexpr float kLn2High = 0.693359375f;
constexpr float kLn2Low = -2.12194440054690583e-4f;

PCNN_HD inline float from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

PCNN_HD inline uint32_t to_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

PCNN_HD inline float tanh_f32(float x) {
    const float ax = from_bits(to_bits(x) & 0x7FFFFFFFu);
    // Large |x|: e^(2|x|) by range reduction.
    const float y = 2.0f * (ax < kClamp ? ax : kClamp);
    const int n = static_cast<int>(y * kLog2e + 0.5f);
    const float nf = static_cast<float>(n);
    const float r = (y - nf * kLn2High) - nf * kLn2Low;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const float e = p * from_bits(static_cast<uint32_t>(n + 127) << 23);
    const float large = 1.0f - 2.0f / (e + 1.0f);
    // Small |x|: the series.
    const float z = ax * ax;
    float q = kTanhC11;
    q = q * z + kTanhC9;
    q = q * z + kTanhC7;
    q = q * z + kTanhC5;
    q = q * z + kTanhC3;
    const float small = ax + (ax * z) * q;
    const float magnitude = ax < kSmall ? small : large;
    const float result = from_bits(to_bits(magnitude) | (to_bits(x) & 0x80000000u));
    return x != x ? x : result;
}

PCNN_HD inline float sigmoid_f32(float b) { return 0.5f + 0.5f * tanh_f32(0.5f * b); }

}  // namespace gate_math
}  // namespace cpu
}  // namespace pixelcnn
