// What a thread does while it spins on a flag another thread will set: a pause hint that frees
// the core's shared resources and saves power (x86 PAUSE, Arm YIELD), nothing elsewhere.
#pragma once

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#include <immintrin.h>
#define PCNN_SPIN_X86 1
#elif defined(_MSC_VER) && defined(_M_ARM64)
#include <intrin.h>
#endif

namespace pixelcnn {

inline void spin_pause() {
#if defined(PCNN_SPIN_X86)
    _mm_pause();
#elif defined(_MSC_VER) && defined(_M_ARM64)
    __yield();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

}  // namespace pixelcnn
