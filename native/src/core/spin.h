// What a thread does while it spins on a flag another thread will set: a pause hint that frees
// the core's shared resources and saves power (x86 PAUSE, Arm YIELD), nothing elsewhere.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace pixelcnn {

inline void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

}  // namespace pixelcnn
