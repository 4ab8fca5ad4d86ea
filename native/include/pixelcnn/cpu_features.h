// What the CPU can run, asked the same way on GCC, Clang and MSVC, x86-64 and arm64. Header-only,
// so that blas_setup.h (a JNI library of its own, loaded before OpenBLAS) can use it too.
//
// PCNN_X86_64     defined on x86-64 with any compiler (GCC and Clang say __x86_64__, MSVC _M_X64);
//                 the AVX-512 kernels exist where it is, chosen at run time by cpu_has_avx512f().
// PCNN_AVX512_FN  what a function holding AVX-512 intrinsics needs: GCC and Clang compile them
//                 only under a target attribute (the library must run on any x86-64, so no global
//                 -mavx512f); MSVC compiles them in any function and needs nothing.
#pragma once

#if defined(__x86_64__) || defined(_M_X64)
#define PCNN_X86_64 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#include <immintrin.h>
#define PCNN_AVX512_FN
#else
#include <cpuid.h>
#define PCNN_AVX512_FN __attribute__((target("avx512f")))
#endif
#endif

namespace pixelcnn {

struct CpuFeatures {
    bool avx512f = false, avx512dq = false, avx512bw = false, avx512vl = false;
};

namespace detail {

#if defined(PCNN_X86_64)
// CPUID leaf `leaf`, subleaf `sub`: {eax, ebx, ecx, edx}, zeros past the highest leaf.
inline void cpuid(unsigned leaf, unsigned sub, unsigned out[4]) {
#if defined(_MSC_VER) && !defined(__clang__)
    int regs[4];
    __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(sub));
    for (int i = 0; i < 4; ++i) out[i] = static_cast<unsigned>(regs[i]);
#else
    out[0] = out[1] = out[2] = out[3] = 0;
    __get_cpuid_count(leaf, sub, &out[0], &out[1], &out[2], &out[3]);
#endif
}

// The register state the operating system saves on a context switch (XCR0).
inline unsigned long long xcr0() {
#if defined(_MSC_VER) && !defined(__clang__)
    return _xgetbv(0);
#else
    unsigned lo = 0, hi = 0;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<unsigned long long>(hi) << 32) | lo;
#endif
}

inline CpuFeatures detect_cpu_features() {
    CpuFeatures f;
    unsigned r[4];
    cpuid(0, 0, r);
    if (r[0] < 7) return f;
    cpuid(1, 0, r);
    const bool osxsave = (r[2] >> 27) & 1u;
    // AVX-512 registers are usable only if the OS saves them: XMM, YMM, the mask registers and
    // both halves of the ZMM state (XCR0 bits 1, 2, 5, 6 and 7). macOS turns the AVX-512 state
    // on only when a thread first uses it, so XCR0 says no there until then: XMM and YMM suffice.
#if defined(__APPLE__)
    const unsigned long long os_state = 0x06u;
#else
    const unsigned long long os_state = 0xE6u;
#endif
    if (!osxsave || (xcr0() & os_state) != os_state) return f;
    cpuid(7, 0, r);
    f.avx512f = (r[1] >> 16) & 1u;
    f.avx512dq = (r[1] >> 17) & 1u;
    f.avx512bw = (r[1] >> 30) & 1u;
    f.avx512vl = (r[1] >> 31) & 1u;
    return f;
}
#endif

}  // namespace detail

// Asked once per process (a function-local static: thread-safe in C++11).
inline const CpuFeatures& cpu_features() {
#if defined(PCNN_X86_64)
    static const CpuFeatures features = detail::detect_cpu_features();
#else
    static const CpuFeatures features;
#endif
    return features;
}

inline bool cpu_has_avx512f() { return cpu_features().avx512f; }

}  // namespace pixelcnn
