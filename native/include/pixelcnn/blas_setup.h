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

#include "cpu_features.h"

#if defined(PCNN_X86_64) && (defined(__linux__) || defined(__APPLE__))
#include <dlfcn.h>
#define PCNN_BLAS_SETUP_POSIX 1
#elif defined(PCNN_X86_64) && defined(_WIN32)
#ifndef NOMINMAX
#define NOMINMAX  // windows.h must not define min and max macros in a header others include
#endif
#include <windows.h>
#define PCNN_BLAS_SETUP_WINDOWS 1
#endif

namespace pixelcnn {

/// Sets OPENBLAS_CORETYPE=SkylakeX when that helps (see above); returns what was done, e.g.
/// "set OPENBLAS_CORETYPE=SkylakeX" or "kept: OpenBLAS already loaded".
inline std::string prefer_avx512_blas_kernels() {
#if defined(PCNN_BLAS_SETUP_POSIX) || defined(PCNN_BLAS_SETUP_WINDOWS)
    if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return "kept: OPENBLAS_CORETYPE is set";
#if defined(PCNN_BLAS_SETUP_POSIX)
    if (dlsym(RTLD_DEFAULT, "openblas_get_corename") != nullptr) return "kept: OpenBLAS already loaded";
#else
    if (GetModuleHandleA("libopenblas.dll") != nullptr) return "kept: OpenBLAS already loaded";
#endif
    const CpuFeatures& cpu = cpu_features();
    if (!(cpu.avx512f && cpu.avx512bw && cpu.avx512vl && cpu.avx512dq)) return "kept: no AVX-512";
#if defined(PCNN_BLAS_SETUP_POSIX)
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
#else
    _putenv_s("OPENBLAS_CORETYPE", "SkylakeX");
#endif
    return "set OPENBLAS_CORETYPE=SkylakeX";
#else
    return "kept: not x86-64";
#endif
}

}  // namespace pixelcnn
