// Adam (PyTorch's formulation) and the gradient norm on the device. The step's scalars are formed
// in double on the host and rounded once, and each element is updated with the CPU's float
// operations in the CPU's order (cpu/adam.cpp; --fmad=false keeps them unfused), so the same
// inputs give the CPU's bits. Sums go through fixed chunks added in order: the same total
// every run.
#include <cmath>

#include "ops.h"

namespace pixelcnn {
namespace cuda {

namespace {

struct AdamScalars {
    float step_size, bc2_sqrt, b1, b2, one_minus_b1, one_minus_b2, eps, grad_scale, weight_decay;
};

AdamScalars scalars_of(const AdamStep& s) {
    const double bc1 = 1.0 - std::pow(s.beta1, static_cast<double>(s.step));
    const double bc2 = 1.0 - std::pow(s.beta2, static_cast<double>(s.step));
    AdamScalars a;
    a.step_size = static_cast<float>(s.learning_rate / bc1);
    a.bc2_sqrt = static_cast<float>(std::sqrt(bc2));
    a.b1 = static_cast<float>(s.beta1);
    a.b2 = static_cast<float>(s.beta2);
    a.one_minus_b1 = static_cast<float>(1.0 - s.beta1);
    a.one_minus_b2 = static_cast<float>(1.0 - s.beta2);
    a.eps = static_cast<float>(s.eps);
    a.grad_scale = s.grad_scale;
    a.weight_decay = static_cast<float>(s.weight_decay);
    return a;
}

PCNN_DEVICE void adam_element(const AdamScalars& a, float param, float grad, float m, float v, float* new_param,
                              float* new_m, float* new_v) {
    const float g = grad * a.grad_scale + a.weight_decay * param;
    *new_m = m * a.b1 + g * a.one_minus_b1;
    *new_v = v * a.b2 + g * g * a.one_minus_b2;
    const float denom = sqrtf(*new_v) / a.bc2_sqrt + a.eps;
    *new_param = param - a.step_size * (*new_m / denom);
}

PCNN_KERNEL void adam_kernel(AdamScalars a, float* param, const float* grad, float* m, float* v, int64_t n) {
    PCNN_GRID_LOOP(i, n) { adam_element(a, param[i], grad[i], m[i], v[i], &param[i], &m[i], &v[i]); }
}

// Chunks a sum over n values is split into, each summed by one thread.
const int64_t kChunks = 4096;

PCNN_KERNEL void square_chunks_kernel(const float* x, int64_t n, int64_t chunk, double* partial, int64_t chunks) {
    PCNN_GRID_LOOP(c, chunks) {
        double s = 0.0;
        const int64_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
        for (int64_t i = c * chunk; i < end; ++i) s += static_cast<double>(x[i]) * x[i];
        partial[c] = s;
    }
}

PCNN_KERNEL void finite_chunks_kernel(AdamScalars a, const float* param, const float* grad, const float* m,
                                      const float* v, int64_t n, int64_t chunk, double* partial, int64_t chunks) {
    PCNN_GRID_LOOP(c, chunks) {
        bool ok = true;
        const int64_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
        for (int64_t i = c * chunk; i < end; ++i) {
            float p, mm, vv;
            adam_element(a, param[i], grad[i], m[i], v[i], &p, &mm, &vv);
            ok = ok && isfinite(p) && isfinite(mm) && isfinite(vv);
        }
        partial[c] = ok ? 0.0 : 1.0;
    }
}

// partial[0] = sum of partial[0..chunks) in order (one thread).
PCNN_KERNEL void sum_in_order_kernel(double* partial, int64_t chunks) {
    PCNN_GRID_LOOP(i, 1) {
        double total = 0.0;
        for (int64_t c = 0; c < chunks; ++c) total += partial[c];
        partial[0] = total;
    }
}

int64_t chunk_of(int64_t n) { return n <= 0 ? 1 : (n + kChunks - 1) / kChunks; }

double total_of(const Context& ctx, double* partial, int64_t chunks) {
    PCNN_LAUNCH(sum_in_order_kernel, 1, ctx.stream, partial, chunks);
    double total = 0.0;
    PCNN_CUDA_CHECK(cudaMemcpyAsync(&total, partial, sizeof(double), cudaMemcpyDeviceToHost, ctx.stream));
    ctx.sync();
    return total;
}

}  // namespace

void adam_update(const Context& ctx, float* param, const float* grad, float* m, float* v, int64_t n,
                 const AdamStep& step) {
    if (n > 0) PCNN_LAUNCH(adam_kernel, n, ctx.stream, scalars_of(step), param, grad, m, v, n);
}

double sum_squares(const Context& ctx, const float* x, int64_t n) {
    if (n <= 0) return 0.0;
    const int64_t chunk = chunk_of(n), chunks = (n + chunk - 1) / chunk;
    double* partial = static_cast<double*>(ctx.values->get(static_cast<size_t>(chunks) * sizeof(double)));
    PCNN_LAUNCH(square_chunks_kernel, chunks, ctx.stream, x, n, chunk, partial, chunks);
    return total_of(ctx, partial, chunks);
}

bool adam_stays_finite(const Context& ctx, const float* param, const float* grad, const float* m, const float* v,
                       int64_t n, const AdamStep& step) {
    if (n <= 0) return true;
    const int64_t chunk = chunk_of(n), chunks = (n + chunk - 1) / chunk;
    double* partial = static_cast<double*>(ctx.values->get(static_cast<size_t>(chunks) * sizeof(double)));
    PCNN_LAUNCH(finite_chunks_kernel, chunks, ctx.stream, scalars_of(step), param, grad, m, v, n, chunk, partial,
                chunks);
    return total_of(ctx, partial, chunks) == 0.0;  // chunks with a non-finite value, counted
}

}  // namespace cuda
}  // namespace pixelcnn
