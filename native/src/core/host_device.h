// PCNN_HD marks small functions that both the host and CUDA kernels call (the generator, the
// draws, a cache's addressing): one definition, so that the CPU and the GPU compute the same.
#pragma once

#if defined(__CUDACC__)
#define PCNN_HD __host__ __device__
#else
#define PCNN_HD
#endif
