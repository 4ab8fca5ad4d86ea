#include "reference.h"

#include <cmath>
#include <vector>

#include "../core/sampling.h"

namespace pixelcnn {
namespace ref {

namespace {

// Element (n, y, x, c) of an NHWC buffer with `channels` channels.
inline int64_t nhwc(const Shape& s, int channels, int64_t n, int64_t y, int64_t x, int c) {
    return ((n * s.height + y) * s.width + x) * channels + c;
}

inline bool inside(const Shape& s, int y, int x) { return y >= 0 && y < s.height && x >= 0 && x < s.width; }

// Whether (tap t, input q, output o) is a live weight.
inline bool live(const net::MaskedConv& conv, int t, int q, int o) {
    const bool centre = conv.centre_live && t == conv.taps - 1;
    return !centre || conv.centre_pair_live(q, o);
}

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, int M, int N, int K, const T* A, int lda, const T* B, int ldb, T beta,
          T* C, int ldc) {
    for (int i = 0; i < M; ++i) {
        for (int j = 0; j < N; ++j) {
            T sum = 0;
            for (int k = 0; k < K; ++k) {
                const T a = trans_a ? A[static_cast<int64_t>(k) * lda + i] : A[static_cast<int64_t>(i) * lda + k];
                const T b = trans_b ? B[static_cast<int64_t>(j) * ldb + k] : B[static_cast<int64_t>(k) * ldb + j];
                sum += a * b;
            }
            T& c = C[static_cast<int64_t>(i) * ldc + j];
            c = beta == T(0) ? sum : beta * c + sum;
        }
    }
}

template <class T>
void masked_conv_forward(const net::MaskedConv& conv, const T* weight, const T* bias, const T* in, T* out,
                         Shape s, bool accumulate) {
    const int IC = conv.in_channels, OC = conv.out_channels;
    for (int n = 0; n < s.count; ++n)
        for (int y = 0; y < s.height; ++y)
            for (int x = 0; x < s.width; ++x)
                for (int o = 0; o < OC; ++o) {
                    T sum = bias[o];
                    for (int t = 0; t < conv.taps; ++t) {
                        const int sy = y + conv.tap_dy[t], sx = x + conv.tap_dx[t];
                        if (!inside(s, sy, sx)) continue;
                        for (int q = 0; q < IC; ++q)
                            if (live(conv, t, q, o))
                                sum += in[nhwc(s, IC, n, sy, sx, q)] * weight[(static_cast<int64_t>(t) * IC + q) * OC + o];
                    }
                    T& dst = out[nhwc(s, OC, n, y, x, o)];
                    dst = accumulate ? dst + sum : sum;
                }
}

template <class T>
void masked_conv_backward(const net::MaskedConv& conv, const T* weight, const T* in, const T* dout, T* din,
                          bool din_accumulate, T* dweight, T* dbias, Shape s) {
    const int IC = conv.in_channels, OC = conv.out_channels;
    for (int64_t i = 0; i < conv.weight_size(); ++i) dweight[i] = 0;
    for (int o = 0; o < OC; ++o) dbias[o] = 0;
    if (din && !din_accumulate)
        for (int64_t i = 0; i < s.positions() * IC; ++i) din[i] = 0;
    for (int n = 0; n < s.count; ++n)
        for (int y = 0; y < s.height; ++y)
            for (int x = 0; x < s.width; ++x)
                for (int o = 0; o < OC; ++o) {
                    const T d = dout[nhwc(s, OC, n, y, x, o)];
                    dbias[o] += d;
                    for (int t = 0; t < conv.taps; ++t) {
                        const int sy = y + conv.tap_dy[t], sx = x + conv.tap_dx[t];
                        if (!inside(s, sy, sx)) continue;
                        for (int q = 0; q < IC; ++q) {
                            if (!live(conv, t, q, o)) continue;
                            const int64_t w = (static_cast<int64_t>(t) * IC + q) * OC + o;
                            dweight[w] += in[nhwc(s, IC, n, sy, sx, q)] * d;
                            if (din) din[nhwc(s, IC, n, sy, sx, q)] += weight[w] * d;
                        }
                    }
                }
}

template <class T>
void relu_forward(const T* in, T* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = in[i] > T(0) ? in[i] : T(0);
}

template <class T>
void relu_backward(const T* out, const T* dout, T* din, int64_t n, bool accumulate) {
    for (int64_t i = 0; i < n; ++i) {
        const T g = out[i] > T(0) ? dout[i] : T(0);
        din[i] = accumulate ? din[i] + g : g;
    }
}

template <class T>
void gate_forward(const T* in, T* out, int64_t positions, int F) {
    for (int64_t p = 0; p < positions; ++p)
        for (int j = 0; j < F; ++j) {
            const T a = in[p * 2 * F + j], b = in[p * 2 * F + F + j];
            out[p * F + j] = std::tanh(a) * (T(1) / (T(1) + std::exp(-b)));
        }
}

template <class T>
void gate_backward(const T* in, const T* dout, T* din, int64_t positions, int F, bool accumulate) {
    for (int64_t p = 0; p < positions; ++p)
        for (int j = 0; j < F; ++j) {
            const T t = std::tanh(in[p * 2 * F + j]), s = T(1) / (T(1) + std::exp(-in[p * 2 * F + F + j]));
            const T d = dout[p * F + j];
            const T da = d * (T(1) - t * t) * s, db = d * t * s * (T(1) - s);
            T* ga = din + p * 2 * F + j;
            T* gb = ga + F;
            *ga = accumulate ? *ga + da : da;
            *gb = accumulate ? *gb + db : db;
        }
}

template <class T>
void encode_input(const unsigned char* images, T* x, Shape s, int channels, T input_scale) {
    const int64_t plane = static_cast<int64_t>(s.height) * s.width;
    for (int n = 0; n < s.count; ++n)
        for (int c = 0; c < channels; ++c)
            for (int64_t i = 0; i < plane; ++i)
                x[(n * plane + i) * channels + c] = images[(n * channels + c) * plane + i] * input_scale;
}

template <class T>
void bernoulli_nll(const T* logits, const unsigned char* images, Shape s, int channels, double* row_nll,
                   T* dlogits, T grad_scale) {
    const int64_t plane = static_cast<int64_t>(s.height) * s.width;
    for (int n = 0; n < s.count; ++n)
        for (int y = 0; y < s.height; ++y) {
            double total = 0;
            for (int x = 0; x < s.width; ++x)
                for (int c = 0; c < channels; ++c) {
                    const int64_t i = nhwc(s, channels, n, y, x, c);
                    const double l = logits[i];
                    const double t = images[(static_cast<int64_t>(n) * channels + c) * plane + y * s.width + x];
                    // -log p(t) = log(1 + e^l) - t l
                    total += std::log1p(std::exp(-std::fabs(l))) + std::fmax(l, 0.0) - t * l;
                    if (dlogits) dlogits[i] = static_cast<T>((1.0 / (1.0 + std::exp(-l)) - t) * grad_scale);
                }
            row_nll[static_cast<int64_t>(n) * s.height + y] = total;
        }
}

template <class T>
void categorical_nll(const T* logits, const unsigned char* images, Shape s, int channels, int levels,
                     double* row_nll, T* dlogits, T grad_scale) {
    const int64_t plane = static_cast<int64_t>(s.height) * s.width;
    const int out = channels * levels;
    for (int n = 0; n < s.count; ++n)
        for (int y = 0; y < s.height; ++y) {
            double total = 0;
            for (int x = 0; x < s.width; ++x)
                for (int c = 0; c < channels; ++c) {
                    const int64_t base = nhwc(s, out, n, y, x, 0) + static_cast<int64_t>(c) * levels;
                    const int t = images[(static_cast<int64_t>(n) * channels + c) * plane + y * s.width + x];
                    const double mx = max_of(logits + base, levels);
                    double sum = 0;
                    for (int k = 0; k < levels; ++k) sum += std::exp(logits[base + k] - mx);
                    const double lse = mx + std::log(sum);
                    total += lse - logits[base + t];
                    if (dlogits)
                        for (int k = 0; k < levels; ++k)
                            dlogits[base + k] =
                                static_cast<T>((std::exp(logits[base + k] - lse) - (k == t ? 1.0 : 0.0)) * grad_scale);
                }
            row_nll[static_cast<int64_t>(n) * s.height + y] = total;
        }
}

void adam_update(float* param, const float* grad, float* m, float* v, int64_t n, const AdamStep& s) {
    const double bc1 = 1.0 - std::pow(s.beta1, static_cast<double>(s.step));
    const double bc2 = 1.0 - std::pow(s.beta2, static_cast<double>(s.step));
    for (int64_t i = 0; i < n; ++i) {
        const double g = static_cast<double>(grad[i]) * s.grad_scale;
        const double mi = s.beta1 * m[i] + (1.0 - s.beta1) * g;
        const double vi = s.beta2 * v[i] + (1.0 - s.beta2) * g * g;
        const double update = s.learning_rate / bc1 * mi / (std::sqrt(vi) / std::sqrt(bc2) + s.eps);
        m[i] = static_cast<float>(mi);
        v[i] = static_cast<float>(vi);
        param[i] = static_cast<float>(param[i] - update);
    }
}

double sum_squares(const float* x, int64_t n) {
    double total = 0;
    for (int64_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
    return total;
}

#define PIXELCNN_REF_INSTANTIATE(T)                                                                          \
    template void gemm<T>(bool, bool, int, int, int, const T*, int, const T*, int, T, T*, int);              \
    template void masked_conv_forward<T>(const net::MaskedConv&, const T*, const T*, const T*, T*, Shape,     \
                                         bool);                                                              \
    template void masked_conv_backward<T>(const net::MaskedConv&, const T*, const T*, const T*, T*, bool, T*, \
                                          T*, Shape);                                                        \
    template void relu_forward<T>(const T*, T*, int64_t);                                                    \
    template void relu_backward<T>(const T*, const T*, T*, int64_t, bool);                                   \
    template void gate_forward<T>(const T*, T*, int64_t, int);                                               \
    template void gate_backward<T>(const T*, const T*, T*, int64_t, int, bool);                              \
    template void encode_input<T>(const unsigned char*, T*, Shape, int, T);                                  \
    template void bernoulli_nll<T>(const T*, const unsigned char*, Shape, int, double*, T*, T);              \
    template void categorical_nll<T>(const T*, const unsigned char*, Shape, int, int, double*, T*, T);
PIXELCNN_REF_INSTANTIATE(float)
PIXELCNN_REF_INSTANTIATE(double)
#undef PIXELCNN_REF_INSTANTIATE

}  // namespace ref
}  // namespace pixelcnn
