// A host emulation of the part of the CUDA runtime the backend uses (PIXELCNN_CUDA_EMULATE
// builds only, for tests on machines without a GPU; see runtime.h for the rules kernels keep so
// that it is exact). One emulated device; "device" memory is host memory, copies are memcpy,
// streams run everything at once, a launch runs its blocks and threads one after the other.
// Tests can count live allocations and make the next allocation fail.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <math.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline

enum cudaError_t {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidDevice = 101,
};

enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault = 4
};

struct CUstream_st {};
typedef CUstream_st* cudaStream_t;
const unsigned cudaStreamNonBlocking = 1;

struct cudaDeviceProp {
    char name[256];
    size_t totalGlobalMem;
    int major, minor;
    int multiProcessorCount;
};

struct pcnn_dim3 {
    unsigned x = 0, y = 0, z = 0;
};

namespace pixelcnn {
namespace cuda {
namespace emulate {

inline pcnn_dim3& thread_index() { static thread_local pcnn_dim3 d; return d; }
inline pcnn_dim3& block_index() { static thread_local pcnn_dim3 d; return d; }
inline pcnn_dim3& block_dim() { static thread_local pcnn_dim3 d; return d; }
inline pcnn_dim3& grid_dim() { static thread_local pcnn_dim3 d; return d; }

// Allocations not yet freed; and a test's request that an allocation fail: after this many
// more succeed (-1: none fails).
inline long& live_allocations() { static long n = 0; return n; }
inline size_t& live_bytes() { static size_t n = 0; return n; }
const size_t kMemory = size_t(1) << 32;  // what the emulated device has
inline int& fail_after() { static int n = -1; return n; }

// Blocks, then threads, in order: every kernel's threads are independent (runtime.h).
inline void launch(unsigned blocks, unsigned threads, const std::function<void()>& body) {
    grid_dim().x = blocks;
    block_dim().x = threads;
    for (unsigned b = 0; b < blocks; ++b) {
        block_index().x = b;
        for (unsigned t = 0; t < threads; ++t) {
            thread_index().x = t;
            body();
        }
    }
}

}  // namespace emulate
}  // namespace cuda
}  // namespace pixelcnn

#define threadIdx (::pixelcnn::cuda::emulate::thread_index())
#define blockIdx (::pixelcnn::cuda::emulate::block_index())
#define blockDim (::pixelcnn::cuda::emulate::block_dim())
#define gridDim (::pixelcnn::cuda::emulate::grid_dim())

// Blocks of the emulation have one thread (runtime.h): a barrier is always met.
inline void __syncthreads() {}

inline const char* cudaGetErrorName(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "cudaSuccess";
        case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
        case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
        case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    }
    return "cudaErrorUnknown";
}

inline const char* cudaGetErrorString(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "no error";
        case cudaErrorInvalidValue: return "invalid argument";
        case cudaErrorMemoryAllocation: return "out of memory";
        case cudaErrorInvalidDevice: return "invalid device ordinal";
    }
    return "unknown error";
}

inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaDriverGetVersion(int* v) { *v = 13000; return cudaSuccess; }
inline cudaError_t cudaRuntimeGetVersion(int* v) { *v = 13000; return cudaSuccess; }
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }
inline cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : cudaErrorInvalidDevice; }

inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int d) {
    if (d != 0) return cudaErrorInvalidDevice;
    std::memset(p, 0, sizeof *p);
    std::strcpy(p->name, "pixelcnn host emulation");
    p->totalGlobalMem = ::pixelcnn::cuda::emulate::kMemory;
    p->major = 9;
    p->minor = 0;
    p->multiProcessorCount = 1;
    return cudaSuccess;
}

inline cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total) {
    *total = ::pixelcnn::cuda::emulate::kMemory;
    *free_bytes = *total - ::pixelcnn::cuda::emulate::live_bytes();
    return cudaSuccess;
}

inline cudaError_t cudaMalloc(void** p, size_t bytes) {
    int& fail_after = ::pixelcnn::cuda::emulate::fail_after();
    if (fail_after == 0) {
        fail_after = -1;
        *p = nullptr;
        return cudaErrorMemoryAllocation;
    }
    if (fail_after > 0) --fail_after;
    // A 64-byte header before the block holds its size (the device's blocks are aligned too).
    if (bytes > ::pixelcnn::cuda::emulate::kMemory - ::pixelcnn::cuda::emulate::live_bytes()) {
        *p = nullptr;
        return cudaErrorMemoryAllocation;
    }
    char* block = static_cast<char*>(std::aligned_alloc(64, 64 + (bytes + 63) / 64 * 64));
    if (block == nullptr) return cudaErrorMemoryAllocation;
    std::memcpy(block, &bytes, sizeof bytes);
    *p = block + 64;
    ++::pixelcnn::cuda::emulate::live_allocations();
    ::pixelcnn::cuda::emulate::live_bytes() += bytes;
    return cudaSuccess;
}

inline cudaError_t cudaFree(void* p) {
    if (p != nullptr) {
        char* block = static_cast<char*>(p) - 64;
        size_t bytes;
        std::memcpy(&bytes, block, sizeof bytes);
        std::free(block);
        --::pixelcnn::cuda::emulate::live_allocations();
        ::pixelcnn::cuda::emulate::live_bytes() -= bytes;
    }
    return cudaSuccess;
}

inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
    static CUstream_st the_stream;
    *s = &the_stream;
    return cudaSuccess;
}
inline cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }

inline cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t) {
    std::memset(p, value, bytes);
    return cudaSuccess;
}

inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind, cudaStream_t) {
    if (bytes > 0) std::memmove(dst, src, bytes);
    return cudaSuccess;
}

inline cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width,
                                     size_t height, cudaMemcpyKind, cudaStream_t) {
    if (width > dpitch || width > spitch) return cudaErrorInvalidValue;
    for (size_t r = 0; r < height; ++r)
        std::memmove(static_cast<char*>(dst) + r * dpitch, static_cast<const char*>(src) + r * spitch, width);
    return cudaSuccess;
}
