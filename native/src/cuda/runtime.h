// What the CUDA backend needs from the CUDA runtime, in one place: the runtime itself (nvcc
// builds), or, with PIXELCNN_CUDA_EMULATE, a host emulation of the few calls and the launch the
// backend uses, so that every kernel and the backend's glue run and are tested on a machine with
// no GPU (the development machines have none; see native/tests/test_cuda.cpp).
//
// Kernels follow rules that make the emulation exact: no atomics (sums run in a fixed order
// inside one thread), no shared memory, and each output is computed whole by one thread. Kernels
// launched with PCNN_LAUNCH have independent threads; the emulation runs them one after the
// other. A kernel whose threads meet at __syncthreads (PCNN_LAUNCH_BLOCKS: the cached sampler's
// row kernel) loops its work over blockDim.x threads, whatever their number: the emulation runs
// each block with one thread, for which every barrier is already met, and computes what the
// device's blocks of many threads do.
//
// Errors: PCNN_CUDA_CHECK turns a failed call into an exception carrying the CUDA error's name
// and text, the call and its file and line; PCNN_LAUNCH checks the launch. Nothing here exits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#if defined(PIXELCNN_CUDA_EMULATE)
#include "emulate.h"
#else
#include <cuda_runtime.h>
#endif

#if defined(__CUDACC__) || defined(PIXELCNN_CUDA_EMULATE)
#define PCNN_KERNEL __global__
#define PCNN_DEVICE __device__ __forceinline__
#endif

namespace pixelcnn {
namespace cuda {

[[noreturn]] inline void fail_cuda(cudaError_t e, const char* call, const char* file, int line) {
    std::ostringstream os;
    os << "CUDA error " << cudaGetErrorName(e) << " (" << cudaGetErrorString(e) << ") in " << call << " at " << file
       << ":" << line;
    throw std::runtime_error(os.str());
}

// Threads a block of a launch; grids are sized to cover the work, capped (kernels loop).
const int kBlock = 256;
const int64_t kMaxBlocks = 65535;

inline unsigned blocks_for(int64_t work) {
    const int64_t blocks = (work + kBlock - 1) / kBlock;
    return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > kMaxBlocks ? kMaxBlocks : blocks));
}

}  // namespace cuda
}  // namespace pixelcnn

#define PCNN_CUDA_CHECK(call)                                                           \
    do {                                                                                \
        const cudaError_t pcnn_e_ = (call);                                             \
        if (pcnn_e_ != cudaSuccess) ::pixelcnn::cuda::fail_cuda(pcnn_e_, #call, __FILE__, __LINE__); \
    } while (0)

// PCNN_LAUNCH(kernel, work, stream, args...): kernel over `work` items (threads loop with a
// grid stride when the grid is capped), then a check of the launch.
#if defined(PIXELCNN_CUDA_EMULATE)
#define PCNN_LAUNCH(kernel, work, stream, ...)                                                       \
    do {                                                                                              \
        ::pixelcnn::cuda::emulate::launch(::pixelcnn::cuda::blocks_for(work), ::pixelcnn::cuda::kBlock, \
                                          [&] { kernel(__VA_ARGS__); });                              \
        (void)(stream);                                                                               \
    } while (0)
// PCNN_LAUNCH_BLOCKS(kernel, blocks, threads, stream, args...): an explicit grid of blocks of
// `threads` that may meet at __syncthreads.
#define PCNN_LAUNCH_BLOCKS(kernel, blocks, threads, stream, ...)                               \
    do {                                                                                        \
        (void)(threads);                                                                        \
        ::pixelcnn::cuda::emulate::launch((blocks), 1, [&] { kernel(__VA_ARGS__); });           \
        (void)(stream);                                                                         \
    } while (0)
#else
#define PCNN_LAUNCH_BLOCKS(kernel, blocks, threads, stream, ...)           \
    do {                                                                    \
        kernel<<<(blocks), (threads), 0, (stream)>>>(__VA_ARGS__);          \
        PCNN_CUDA_CHECK(cudaGetLastError());                                \
    } while (0)
#define PCNN_LAUNCH(kernel, work, stream, ...)                                                    \
    do {                                                                                           \
        kernel<<<::pixelcnn::cuda::blocks_for(work), ::pixelcnn::cuda::kBlock, 0, (stream)>>>(__VA_ARGS__); \
        PCNN_CUDA_CHECK(cudaGetLastError());                                                       \
    } while (0)
#endif

// for (int64_t i = first thread index; i < n; i += all threads): the loop every kernel runs.
#define PCNN_GRID_LOOP(i, n)                                                                      \
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n);       \
         i += static_cast<int64_t>(blockDim.x) * gridDim.x)
