// Adam in PyTorch's formulation (no weight decay), and the global gradient norm for clipping.
#include <cmath>

#include "ops.h"

namespace pixelcnn {
namespace cpu {

void adam_update(const Context& ctx, float* param, const float* grad, float* m, float* v, int64_t n,
                 const AdamStep& s) {
    // Scalars are formed in double and rounded once, as PyTorch does for float tensors.
    const double bc1 = 1.0 - std::pow(s.beta1, static_cast<double>(s.step));
    const double bc2 = 1.0 - std::pow(s.beta2, static_cast<double>(s.step));
    const float step_size = static_cast<float>(s.learning_rate / bc1);
    const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
    const float b1 = static_cast<float>(s.beta1), b2 = static_cast<float>(s.beta2);
    const float one_minus_b1 = static_cast<float>(1.0 - s.beta1);
    const float one_minus_b2 = static_cast<float>(1.0 - s.beta2);
    const float epsf = static_cast<float>(s.eps);
    const float grad_scale = s.grad_scale;
    ctx.threads().parallel_for(0, n, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) {
            const float g = grad[i] * grad_scale;
            m[i] = m[i] * b1 + g * one_minus_b1;
            v[i] = v[i] * b2 + g * g * one_minus_b2;
            const float denom = std::sqrt(v[i]) / bc2_sqrt + epsf;
            param[i] -= step_size * (m[i] / denom);
        }
    }, kGrain);
}

double sum_squares(const Context& ctx, const float* x, int64_t n) {
    // One partial sum per thread, added in a fixed order: the same total for the same threads.
    const int parts = ctx.threads().threads();
    double partial[kMaxThreads];  // a pool has at most kMaxThreads: no allocation in a step
    ctx.threads().parallel_for(0, parts, [&](int64_t lo, int64_t hi) {
        for (int64_t part = lo; part < hi; ++part) {
            double s = 0.0;
            for (int64_t i = n * part / parts; i < n * (part + 1) / parts; ++i) s += double(x[i]) * x[i];
            partial[part] = s;
        }
    });
    double total = 0.0;
    for (int part = 0; part < parts; ++part) total += partial[part];
    return total;
}

}  // namespace cpu
}  // namespace pixelcnn
