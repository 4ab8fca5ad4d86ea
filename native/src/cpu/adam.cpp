// Adam in PyTorch's formulation (weight decay as torch.optim.Adam's: added to the gradient), and
// the global gradient norm for clipping.
#include <cmath>

#include "ops.h"

namespace pixelcnn {
namespace cpu {

namespace {

// One Adam step's scalars, formed in double and rounded once, as PyTorch does for float tensors,
// and the one place the update itself is written.
struct AdamScalars {
    float step_size, bc2_sqrt, b1, b2, one_minus_b1, one_minus_b2, eps, grad_scale, weight_decay;
    explicit AdamScalars(const AdamStep& s) {
        const double bc1 = 1.0 - std::pow(s.beta1, static_cast<double>(s.step));
        const double bc2 = 1.0 - std::pow(s.beta2, static_cast<double>(s.step));
        step_size = static_cast<float>(s.learning_rate / bc1);
        bc2_sqrt = static_cast<float>(std::sqrt(bc2));
        b1 = static_cast<float>(s.beta1);
        b2 = static_cast<float>(s.beta2);
        one_minus_b1 = static_cast<float>(1.0 - s.beta1);
        one_minus_b2 = static_cast<float>(1.0 - s.beta2);
        eps = static_cast<float>(s.eps);
        grad_scale = s.grad_scale;
        weight_decay = static_cast<float>(s.weight_decay);
    }
    // New (param, m, v) of one element.
    void update(float param, float grad, float m, float v, float* new_param, float* new_m, float* new_v) const {
        const float g = grad * grad_scale + weight_decay * param;
        *new_m = m * b1 + g * one_minus_b1;
        *new_v = v * b2 + g * g * one_minus_b2;
        const float denom = std::sqrt(*new_v) / bc2_sqrt + eps;
        *new_param = param - step_size * (*new_m / denom);
    }
};

}  // namespace

void adam_update(const Context& ctx, float* param, const float* grad, float* m, float* v, int64_t n,
                 const AdamStep& s) {
    const AdamScalars a(s);
    ctx.threads().parallel_for(0, n, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) a.update(param[i], grad[i], m[i], v[i], &param[i], &m[i], &v[i]);
    }, kGrain);
}

bool adam_stays_finite(const Context& ctx, const float* param, const float* grad, const float* m, const float* v,
                       int64_t n, const AdamStep& s) {
    const AdamScalars a(s);
    const int parts = ctx.threads().threads();
    bool finite[kMaxThreads];
    ctx.threads().parallel_for(0, parts, [&](int64_t lo, int64_t hi) {
        for (int64_t part = lo; part < hi; ++part) {
            bool ok = true;
            for (int64_t i = n * part / parts; i < n * (part + 1) / parts; ++i) {
                float p, mm, vv;
                a.update(param[i], grad[i], m[i], v[i], &p, &mm, &vv);
                ok = ok && std::isfinite(p) && std::isfinite(mm) && std::isfinite(vv);
            }
            finite[part] = ok;
        }
    });
    for (int part = 0; part < parts; ++part)
        if (!finite[part]) return false;
    return true;
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
