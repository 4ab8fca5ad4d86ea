// Chooses OpenBLAS's kernels before OpenBLAS is loaded. Header-only and free of OpenBLAS, so its
// JNI library (org.pixelcnn4j.engine.BlasSetup) loads without it.
//
// Why: OpenBLAS picks its kernel set once, when it loads, from the CPU model it recognises. An
// AVX-512 CPU it does not know (AMD Zen 5, cpu family 0x1A, in OpenBLAS 0.3.31) falls back to
// the AVX2 Haswell kernels, which run sgemm at half the speed of its SkylakeX kernels there
// (measured: 246 vs 449 GFLOP/s on 2 cores). OPENBLAS_CORETYPE, read at load time, overrides
// the choice; this sets it when the CPU has the AVX-512 subsets those kernels use, unless the
// user set it or OpenBLAS is already loaded (then nothing changes).
#pragma once

#include <cstdlib>
#include <string>

#if defined(__linux__)
#include <dlfcn.h>
#endif

namespace pixelcnn {

/// Sets OPENBLAS_CORETYPE=SkylakeX when that helps (see above); returns what was done, e.g.
/// "set OPENBLAS_CORETYPE=SkylakeX" or "kept: OpenBLAS already loaded".
inline std::string prefer_avx512_blas_kernels() {
#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__))
    if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return "kept: OPENBLAS_CORETYPE is set";
    if (dlsym(RTLD_DEFAULT, "openblas_get_corename") != nullptr) return "kept: OpenBLAS already loaded";
    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    if (!avx512) return "kept: no AVX-512";
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
    return "set OPENBLAS_CORETYPE=SkylakeX";
#else
    return "kept: not x86 Linux";
#endif
}

}  // namespace pixelcnn
