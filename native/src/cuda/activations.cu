// ReLU, the gated unit (the CPU's tanh of cpu/gate_math.h, operation for operation: the same
// bits as the CPU), the class bias and the residual add, over whole buffers and at one position
// for the cached sampler. One thread per output value.
#include "../cpu/gate_math.h"
#include "ops.h"

namespace pixelcnn {
namespace cuda {

namespace {

using cpu::gate_math::sigmoid_f32;
using cpu::gate_math::tanh_f32;

PCNN_KERNEL void relu_forward_kernel(const float* in, float* out, int64_t n) {
    PCNN_GRID_LOOP(i, n) { out[i] = in[i] > 0.0f ? in[i] : 0.0f; }
}

PCNN_KERNEL void relu_backward_kernel(const float* out, const float* dout, float* din, int64_t n, bool accumulate) {
    PCNN_GRID_LOOP(i, n) {
        const float g = out[i] > 0.0f ? dout[i] : 0.0f;
        din[i] = accumulate ? din[i] + g : g;
    }
}

PCNN_KERNEL void gate_forward_kernel(const float* in, float* out, int64_t rows, int width) {
    const int64_t n = rows * width;
    PCNN_GRID_LOOP(i, n) {
        const int64_t r = i / width;
        const int j = static_cast<int>(i % width);
        const float* a = in + r * 2 * width + j;
        out[i] = tanh_f32(a[0]) * sigmoid_f32(a[width]);
    }
}

PCNN_KERNEL void gate_backward_kernel(const float* in, const float* dout, float* din, int64_t rows, int width,
                                      bool accumulate) {
    const int64_t n = rows * width;
    PCNN_GRID_LOOP(i, n) {
        const int64_t r = i / width;
        const int j = static_cast<int>(i % width);
        const float* a = in + r * 2 * width + j;
        const float t = tanh_f32(a[0]), s = sigmoid_f32(a[width]);
        const float d = dout[i];
        const float da = d * (1.0f - t * t) * s, db = d * t * s * (1.0f - s);
        float* ga = din + r * 2 * width + j;
        float* gb = ga + width;
        *ga = accumulate ? *ga + da : da;
        *gb = accumulate ? *gb + db : db;
    }
}

PCNN_KERNEL void class_bias_forward_kernel(const float* table, const int* labels, float* out, int64_t per_image,
                                           int width, int64_t n) {
    PCNN_GRID_LOOP(i, n) {
        const int64_t p = i / width;
        const int j = static_cast<int>(i % width);
        out[i] += table[static_cast<int64_t>(labels[p / per_image]) * width + j];
    }
}

// dtable[c, j] = sum over images labelled c and their positions, in order.
PCNN_KERNEL void class_bias_backward_kernel(const float* dout, const int* labels, float* dtable, int count,
                                            int64_t per_image, int width, int classes) {
    const int64_t n = static_cast<int64_t>(classes) * width;
    PCNN_GRID_LOOP(i, n) {
        const int c = static_cast<int>(i / width), j = static_cast<int>(i % width);
        float total = 0.0f;
        for (int image = 0; image < count; ++image) {
            if (labels[image] != c) continue;
            const float* d = dout + image * per_image * width + j;
            for (int64_t p = 0; p < per_image; ++p) total += d[p * width];
        }
        dtable[i] = total;
    }
}

PCNN_KERNEL void add_kernel(const float* src, float* dst, int64_t n, bool accumulate) {
    PCNN_GRID_LOOP(i, n) { dst[i] = accumulate ? dst[i] + src[i] : src[i]; }
}

PCNN_KERNEL void fill_kernel(float* dst, int64_t n, float value) {
    PCNN_GRID_LOOP(i, n) { dst[i] = value; }
}

// ---- at one position: `rows` images, columns c0.. of strided rows ----

PCNN_KERNEL void relu_at_kernel(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
                                int width) {
    const int64_t n = static_cast<int64_t>(rows) * width;
    PCNN_GRID_LOOP(i, n) {
        const int64_t r = i / width;
        const int c = c0 + static_cast<int>(i % width);
        const float v = in[r * in_stride + c];
        out[r * out_stride + c] = v > 0.0f ? v : 0.0f;
    }
}

PCNN_KERNEL void gate_at_kernel(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
                                int c1, int width) {
    const int span = c1 - c0;
    const int64_t n = static_cast<int64_t>(rows) * span;
    PCNN_GRID_LOOP(i, n) {
        const int64_t r = i / span;
        const int c = c0 + static_cast<int>(i % span);
        const int g = c / width;
        const float* a = in + r * in_stride + g * 2 * width + (c - g * width);
        out[r * out_stride + c] = tanh_f32(a[0]) * sigmoid_f32(a[width]);
    }
}

PCNN_KERNEL void class_bias_at_kernel(const float* table, int table_width, const int* labels, float* out,
                                      int64_t out_stride, int rows, int c0, int c1) {
    const int span = c1 - c0;
    const int64_t n = static_cast<int64_t>(rows) * span;
    PCNN_GRID_LOOP(i, n) {
        const int64_t r = i / span;
        const int c = c0 + static_cast<int>(i % span);
        out[r * out_stride + c] += table[static_cast<int64_t>(labels[r]) * table_width + c];
    }
}

PCNN_KERNEL void add_at_kernel(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
                               int c1) {
    const int span = c1 - c0;
    const int64_t n = static_cast<int64_t>(rows) * span;
    PCNN_GRID_LOOP(i, n) {
        const int64_t r = i / span;
        const int c = c0 + static_cast<int>(i % span);
        out[r * out_stride + c] += in[r * in_stride + c];
    }
}

}  // namespace

void relu_forward(const Context& ctx, const float* in, float* out, int64_t n) {
    if (n > 0) PCNN_LAUNCH(relu_forward_kernel, n, ctx.stream, in, out, n);
}

void relu_backward(const Context& ctx, const float* out, const float* dout, float* din, int64_t n, bool accumulate) {
    if (n > 0) PCNN_LAUNCH(relu_backward_kernel, n, ctx.stream, out, dout, din, n, accumulate);
}

void gate_forward(const Context& ctx, const float* in, float* out, int64_t rows, int width) {
    if (rows > 0) PCNN_LAUNCH(gate_forward_kernel, rows * width, ctx.stream, in, out, rows, width);
}

void gate_backward(const Context& ctx, const float* in, const float* dout, float* din, int64_t rows, int width,
                   bool accumulate) {
    if (rows > 0) PCNN_LAUNCH(gate_backward_kernel, rows * width, ctx.stream, in, dout, din, rows, width, accumulate);
}

void class_bias_forward(const Context& ctx, const float* table, const int* labels, float* out, Shape s, int width) {
    const int64_t n = s.positions() * width;
    if (n > 0)
        PCNN_LAUNCH(class_bias_forward_kernel, n, ctx.stream, table, labels, out,
                    static_cast<int64_t>(s.height) * s.width, width, n);
}

void class_bias_backward(const Context& ctx, const float* dout, const int* labels, float* dtable, Shape s, int width,
                         int classes) {
    const int64_t n = static_cast<int64_t>(classes) * width;
    if (n > 0)
        PCNN_LAUNCH(class_bias_backward_kernel, n, ctx.stream, dout, labels, dtable, s.count,
                    static_cast<int64_t>(s.height) * s.width, width, classes);
}

void add(const Context& ctx, const float* src, float* dst, int64_t n, bool accumulate) {
    if (n > 0) PCNN_LAUNCH(add_kernel, n, ctx.stream, src, dst, n, accumulate);
}

void fill(const Context& ctx, float* dst, int64_t n, float value) {
    if (n > 0) PCNN_LAUNCH(fill_kernel, n, ctx.stream, dst, n, value);
}

void relu_at(const Context& ctx, const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
             int width) {
    if (rows > 0 && width > 0)
        PCNN_LAUNCH(relu_at_kernel, static_cast<int64_t>(rows) * width, ctx.stream, in, in_stride, out, out_stride,
                    rows, c0, width);
}

void gate_at(const Context& ctx, const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
             int c1, int width) {
    if (rows > 0 && c1 > c0)
        PCNN_LAUNCH(gate_at_kernel, static_cast<int64_t>(rows) * (c1 - c0), ctx.stream, in, in_stride, out,
                    out_stride, rows, c0, c1, width);
}

void class_bias_at(const Context& ctx, const float* table, int table_width, const int* labels, float* out,
                   int64_t out_stride, int rows, int c0, int c1) {
    if (rows > 0 && c1 > c0)
        PCNN_LAUNCH(class_bias_at_kernel, static_cast<int64_t>(rows) * (c1 - c0), ctx.stream, table, table_width,
                    labels, out, out_stride, rows, c0, c1);
}

void add_at(const Context& ctx, const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
            int c1) {
    if (rows > 0 && c1 > c0)
        PCNN_LAUNCH(add_at_kernel, static_cast<int64_t>(rows) * (c1 - c0), ctx.stream, in, in_stride, out, out_stride,
                    rows, c0, c1);
}

}  // namespace cuda
}  // namespace pixelcnn
