#include "kernels.h"

#include "gemm.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace pixelcnn {
namespace cpu {

// Loops over positions split work in chunks of at least this many elements per thread.
static const int64_t kGrain = 4096;

int64_t masked_conv_scratch(const MaskedConv& conv, int64_t positions) {
    return conv.kernel == 1 ? 0 : positions * conv.packed_rows();
}

// col (P, taps*IC): for each output position the input channels at each live tap, zero outside.
static void gather_live_taps(ThreadPool& pool, const MaskedConv& conv, const float* in,
                             float* col, Shape s) {
    const int ic = conv.in_channels;
    const int64_t k_total = conv.packed_rows();
    pool.parallel_for(0, static_cast<int64_t>(s.count) * s.height, [&](int64_t lo, int64_t hi) {
        for (int64_t row = lo; row < hi; ++row) {
            const int n = static_cast<int>(row / s.height), y = static_cast<int>(row % s.height);
            for (int x = 0; x < s.width; ++x) {
                float* dst = col + (row * s.width + x) * k_total;
                for (int t = 0; t < conv.taps; ++t, dst += ic) {
                    int sy = y + conv.tap_dy[t], sx = x + conv.tap_dx[t];
                    if (sy < 0 || sy >= s.height || sx < 0 || sx >= s.width) {
                        std::memset(dst, 0, sizeof(float) * ic);
                    } else {
                        const float* src = in + ((static_cast<int64_t>(n) * s.height + sy) * s.width + sx) * ic;
                        std::memcpy(dst, src, sizeof(float) * ic);
                    }
                }
            }
        }
    }, 1);
}

// din (P, IC) = sum over taps of dcol scattered back: output p's tap t came from input p + offset(t).
// Walks dcol in order (each row read once, whole) and adds into the few input rows around p,
// which stay in cache; images are split across threads, and no tap crosses an image, so
// threads never write the same row.
static void scatter_live_taps(ThreadPool& pool, const MaskedConv& conv, const float* dcol,
                              float* din, Shape s) {
    const int ic = conv.in_channels;
    const int64_t k_total = conv.packed_rows();
    const int64_t plane = static_cast<int64_t>(s.height) * s.width;
    pool.parallel_for(0, s.count, [&](int64_t lo, int64_t hi) {
        std::memset(din + lo * plane * ic, 0, sizeof(float) * (hi - lo) * plane * ic);
        for (int64_t n = lo; n < hi; ++n) {
            for (int y = 0; y < s.height; ++y) {
                for (int x = 0; x < s.width; ++x) {
                    const float* src = dcol + ((n * s.height + y) * s.width + x) * k_total;
                    for (int t = 0; t < conv.taps; ++t, src += ic) {
                        const int iy = y + conv.tap_dy[t], ix = x + conv.tap_dx[t];
                        if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
                        float* dst = din + ((n * s.height + iy) * s.width + ix) * ic;
                        for (int q = 0; q < ic; ++q) dst[q] += src[q];
                    }
                }
            }
        }
    });
}

void masked_conv_forward(ThreadPool& pool, const MaskedConv& conv, const float* weight,
                         const float* bias, const float* in, float* out, Shape shape,
                         bool accumulate, float* col) {
    const int64_t P = shape.positions();
    const int oc = conv.out_channels;
    // Start from the bias (plus the residual when accumulating), then GEMM with beta = 1.
    pool.parallel_for(0, P, [&](int64_t lo, int64_t hi) {
        for (int64_t p = lo; p < hi; ++p) {
            float* o = out + p * oc;
            if (accumulate) {
                for (int j = 0; j < oc; ++j) o[j] += bias[j];
            } else {
                std::memcpy(o, bias, sizeof(float) * oc);
            }
        }
    }, kGrain / std::max(1, oc) + 1);
    const float* a = in;
    if (conv.kernel != 1) {
        gather_live_taps(pool, conv, in, col, shape);
        a = col;
    }
    const int k_total = static_cast<int>(conv.packed_rows());
    parallel_sgemm(pool, false, false, static_cast<int>(P), oc, k_total, a, k_total, weight, oc, 1.0f,
                   out, oc);
}

void masked_conv_backward(ThreadPool& pool, const MaskedConv& conv, const float* weight,
                          const float* in, const float* dout, float* din, float* dweight,
                          float* dbias, Shape shape, float* col, const float* ones) {
    const int P = static_cast<int>(shape.positions());
    const int oc = conv.out_channels;
    const int k_total = static_cast<int>(conv.packed_rows());
    // dbias = dout^T . 1
    cblas_sgemv(CblasRowMajor, CblasTrans, P, oc, 1.0f, dout, oc, ones, 1, 0.0f, dbias, 1);
    // dweight = col^T . dout
    const float* a = in;
    if (conv.kernel != 1) {
        gather_live_taps(pool, conv, in, col, shape);
        a = col;
    }
    parallel_sgemm(pool, true, false, k_total, oc, P, a, k_total, dout, oc, 0.0f, dweight, oc);
    if (conv.centre_live) {
        // Masked centre entries stay exactly zero: their gradient is zero by definition.
        float* centre = dweight + static_cast<int64_t>(conv.taps - 1) * conv.in_channels * oc;
        for (size_t i = 0; i < conv.centre_mask.size(); ++i) if (conv.centre_mask[i] == 0.0f) centre[i] = 0.0f;
    }
    if (din == nullptr) return;
    // din = scatter(dout . weight^T); 1x1 needs no scatter.
    float* dcol = conv.kernel == 1 ? din : col;
    parallel_sgemm(pool, false, true, P, k_total, oc, dout, oc, weight, oc, 0.0f, dcol, k_total);
    if (conv.kernel != 1) scatter_live_taps(pool, conv, dcol, din, shape);
}

void relu_forward(ThreadPool& pool, const float* in, float* out, int64_t n) {
    pool.parallel_for(0, n, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
    }, kGrain);
}

void relu_backward(ThreadPool& pool, const float* out, const float* dout, float* din, int64_t n,
                   bool accumulate) {
    // Loads are unconditional so that the select vectorises (a conditional load made this a
    // branchy scalar loop, a fifth of a training step in a profile).
    pool.parallel_for(0, n, [&](int64_t lo, int64_t hi) {
        if (accumulate) {
            for (int64_t i = lo; i < hi; ++i) {
                const float d = dout[i];
                din[i] += out[i] > 0.0f ? d : 0.0f;
            }
        } else {
            for (int64_t i = lo; i < hi; ++i) {
                const float d = dout[i];
                din[i] = out[i] > 0.0f ? d : 0.0f;
            }
        }
    }, kGrain);
}

void encode_input(ThreadPool& pool, const unsigned char* images, float* x, Shape s, int channels,
                  float input_scale) {
    const int64_t plane = static_cast<int64_t>(s.height) * s.width;
    pool.parallel_for(0, s.count, [&](int64_t lo, int64_t hi) {
        for (int64_t n = lo; n < hi; ++n) {
            for (int64_t i = 0; i < plane; ++i) {
                for (int c = 0; c < channels; ++c) {
                    x[(n * plane + i) * channels + c] =
                        images[(n * channels + c) * plane + i] * input_scale;
                }
            }
        }
    });
}

// Index of image value (n, c, y, x) in NCHW.
static inline int64_t nchw(const Shape& s, int channels, int64_t n, int c, int64_t yx) {
    return (n * channels + c) * static_cast<int64_t>(s.height) * s.width + yx;
}

void bernoulli_nll(ThreadPool& pool, const float* logits, const unsigned char* images, Shape s,
                   int channels, double* row_nll, float* dlogits, float grad_scale) {
    pool.parallel_for(0, static_cast<int64_t>(s.count) * s.height, [&](int64_t lo, int64_t hi) {
        for (int64_t row = lo; row < hi; ++row) {
            const int64_t n = row / s.height, y = row % s.height;
            double total = 0.0;
            for (int x = 0; x < s.width; ++x) {
                const int64_t p = row * s.width + x;
                for (int c = 0; c < channels; ++c) {
                    const float l = logits[p * channels + c];
                    const float t = images[nchw(s, channels, n, c, y * s.width + x)];
                    // softplus(l) - t*l, computed stably
                    total += std::max(l, 0.0f) - t * l + std::log1p(std::exp(-std::fabs(l)));
                    if (dlogits) {
                        const float sig = 1.0f / (1.0f + std::exp(-l));
                        dlogits[p * channels + c] = (sig - t) * grad_scale;
                    }
                }
            }
            row_nll[row] = total;
        }
    }, 1);
}

void categorical_nll(ThreadPool& pool, const float* logits, const unsigned char* images, Shape s,
                     int channels, int levels, double* row_nll, float* dlogits,
                     float grad_scale) {
    const int out = channels * levels;
    pool.parallel_for(0, static_cast<int64_t>(s.count) * s.height, [&](int64_t lo, int64_t hi) {
        for (int64_t row = lo; row < hi; ++row) {
            const int64_t n = row / s.height, y = row % s.height;
            double total = 0.0;
            for (int x = 0; x < s.width; ++x) {
                const int64_t p = row * s.width + x;
                for (int c = 0; c < channels; ++c) {
                    const float* l = logits + p * out + c * levels;
                    const int t = images[nchw(s, channels, n, c, y * s.width + x)];
                    float mx = l[0];
                    for (int k = 1; k < levels; ++k) mx = std::max(mx, l[k]);
                    float sum = 0.0f;
                    for (int k = 0; k < levels; ++k) sum += std::exp(l[k] - mx);
                    const float lse = mx + std::log(sum);
                    total += lse - l[t];
                    if (dlogits) {
                        float* d = dlogits + p * out + c * levels;
                        for (int k = 0; k < levels; ++k) d[k] = std::exp(l[k] - lse) * grad_scale;
                        d[t] -= grad_scale;
                    }
                }
            }
            row_nll[row] = total;
        }
    }, 1);
}

void adam_update(ThreadPool& pool, float* param, const float* grad, float* m, float* v, int64_t n,
                 double lr, double beta1, double beta2, double eps, long long step,
                 float grad_scale) {
    // Scalars are formed in double and rounded once, as PyTorch does for float tensors.
    const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
    const float step_size = static_cast<float>(lr / bc1);
    const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
    const float b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
    const float one_minus_b1 = static_cast<float>(1.0 - beta1);
    const float one_minus_b2 = static_cast<float>(1.0 - beta2);
    const float epsf = static_cast<float>(eps);
    pool.parallel_for(0, n, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) {
            const float g = grad[i] * grad_scale;
            m[i] = m[i] * b1 + g * one_minus_b1;
            v[i] = v[i] * b2 + g * g * one_minus_b2;
            const float denom = std::sqrt(v[i]) / bc2_sqrt + epsf;
            param[i] -= step_size * (m[i] / denom);
        }
    }, kGrain);
}

double sum_squares(ThreadPool& pool, const float* x, int64_t n, double* partial) {
    const int parts = pool.threads();
    pool.parallel_for(0, parts, [&](int64_t lo, int64_t hi) {
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
