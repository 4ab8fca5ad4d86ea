// Which GEMM paths must agree to the bit, shared by the C++ tests.
#pragma once

#include "cpu/gemm.h"

// Paths that cut or reshape a GEMM (threads, blocks, fusions, batch sizes, operands not stored)
// give the same bits on the engine's own kernels, which fix the order of every sum (gemm.h); a
// BLAS picks its kernels by shape, so under PIXELCNN4J_GEMM=blas (or where the BLAS is the
// default: a CPU without AVX-512) such paths agree to rounding only.
inline bool sums_fixed() { return pixelcnn::cpu::active_gemm() != pixelcnn::cpu::GemmKernel::Blas; }
