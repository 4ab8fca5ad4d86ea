// The cached sampler's row in one launch: the per-op path launches a kernel for every op at every
// pixel (about 50 a pixel for fm-binary, 39,000 an image), each a few microseconds of launch
// latency for a few microseconds of work. Here one block takes one image through the whole row
// (the once-per-row steps over every position, then each pixel's steps and its draw), its
// threads sharing each step's outputs and meeting at a barrier between steps: 28 launches an
// image.
//
// Every output is computed as the per-op kernels compute it (a convolution's output is an FMA
// chain over k from 0, then + bias, then added to the old value when accumulating; the gate is
// cpu/gate_math.h), so the images equal the per-op path's and naive sampling's bit for bit.
// Each output is one thread's and steps loop over blockDim.x threads, so the host emulation
// (one thread a block, runtime.h) computes the same.
#include <vector>

#include "../core/sampling.h"
#include "../cpu/gate_math.h"
#include "ops.h"

namespace pixelcnn {
namespace cuda {

namespace {

using cpu::gate_math::sigmoid_f32;
using cpu::gate_math::tanh_f32;

// A RowStep as the kernel reads it: the convolution's taps in the program's tap arrays.
struct DeviceStep {
    int op;  // RowOp
    int once_per_row, accumulate, width;
    int taps, in_channels, out_channels, pointwise, tap_offset;
    CacheView in, out, relu;
    const float* weight;
    const float* bias;
};

const int kRowThreads = 128;

// One step for image n at (y, x), channel group g, on the block's threads.
PCNN_DEVICE void run_step(const DeviceStep& s, const int8_t* tap_dy, const int8_t* tap_dx, const int* labels,
                          float* col, int n, int y, int x, int g) {
    const int tid = threadIdx.x, threads = blockDim.x;
    const int c0 = g * s.width, c1 = c0 + s.width;
    float* out = s.out.at(n, y, x);
    switch (s.op) {
        case static_cast<int>(RowOp::Conv): {
            const float* a = s.in.at(n, y, x);
            if (!s.pointwise) {
                const int ic = s.in_channels, k_total = s.taps * ic;
                for (int k = tid; k < k_total; k += threads) {
                    const int t = k / ic, q = k % ic;
                    const int sy = y + tap_dy[s.tap_offset + t], sx = x + tap_dx[s.tap_offset + t];
                    col[k] = sy >= 0 && sx >= 0 && sx < s.in.width ? s.in.at(n, sy, sx)[q] : 0.0f;
                }
                __syncthreads();
                a = col;
            }
            const int k_total = s.taps * s.in_channels;
            float* relu = s.relu.data ? s.relu.at(n, y, x) : nullptr;
            for (int o = c0 + tid; o < c1; o += threads) {
                float v = 0.0f;
                for (int k = 0; k < k_total; ++k) v = fmaf(a[k], s.weight[static_cast<int64_t>(k) * s.out_channels + o], v);
                v = v + s.bias[o];
                if (s.accumulate) v = out[o] + v;
                if (relu == out) {
                    out[o] = v > 0.0f ? v : 0.0f;
                } else {
                    out[o] = v;
                    if (relu) relu[o] = v > 0.0f ? v : 0.0f;
                }
            }
            break;
        }
        case static_cast<int>(RowOp::Relu): {
            const float* in = s.in.at(n, y, x);
            for (int c = c0 + tid; c < c1; c += threads) out[c] = in[c] > 0.0f ? in[c] : 0.0f;
            break;
        }
        case static_cast<int>(RowOp::Gate): {
            const float* in = s.in.at(n, y, x);
            for (int c = c0 + tid; c < c1; c += threads) {
                const int group = c / s.width;
                const float* a = in + group * 2 * s.width + (c - group * s.width);
                out[c] = tanh_f32(a[0]) * sigmoid_f32(a[s.width]);
            }
            break;
        }
        case static_cast<int>(RowOp::ClassBias): {
            const float* row = s.weight + static_cast<int64_t>(labels[n]) * s.out.channels;
            for (int c = c0 + tid; c < c1; c += threads) out[c] += row[c];
            break;
        }
        case static_cast<int>(RowOp::Add): {
            const float* in = s.in.at(n, y, x);
            for (int c = c0 + tid; c < c1; c += threads) out[c] += in[c];
            break;
        }
    }
    __syncthreads();
}

PCNN_KERNEL void sample_row_kernel(const DeviceStep* steps, int n_steps, const int8_t* tap_dy, const int8_t* tap_dx,
                                   const int* labels, float* col, int64_t col_stride, DrawSpec spec,
                                   unsigned char* images, const unsigned char* known, CacheView logits,
                                   CacheView input, int count, int y) {
    const int64_t plane = static_cast<int64_t>(spec.height) * spec.width;
    for (int n = blockIdx.x; n < count; n += gridDim.x) {
        float* own_col = col + n * col_stride;
        for (int k = 0; k < n_steps; ++k) {
            if (!steps[k].once_per_row) continue;
            for (int x = 0; x < spec.width; ++x)
                for (int g = 0; g < spec.channels; ++g) run_step(steps[k], tap_dy, tap_dx, labels, own_col, n, y, x, g);
        }
        for (int x = 0; x < spec.width; ++x) {
            const int64_t pos = static_cast<int64_t>(y) * spec.width + x;
            for (int ch = 0; ch < spec.channels; ++ch) {
                for (int k = 0; k < n_steps; ++k)
                    if (!steps[k].once_per_row) run_step(steps[k], tap_dy, tap_dx, labels, own_col, n, y, x, ch);
                if (threadIdx.x == 0) {
                    const int64_t at = (static_cast<int64_t>(n) * spec.channels + ch) * plane + pos;
                    if (!(known && known[at]))
                        images[at] = draw_value(logits.at(n, y, x), ch, spec.bernoulli, spec.levels, spec.temperature,
                                                spec.seed, spec.first_index + n, pos);
                    input.at(n, y, x)[ch] = images[at] * spec.input_scale;
                }
                __syncthreads();
            }
        }
    }
}

}  // namespace

void RowSampler::upload(const RowProgram& program, cudaStream_t stream) {
    if (program.id == uploaded_id_) return;
    std::vector<DeviceStep> steps;
    std::vector<int8_t> dy, dx;
    for (const RowStep& r : program.steps) {
        DeviceStep d = {};
        d.op = static_cast<int>(r.op);
        d.once_per_row = r.once_per_row ? 1 : 0;
        d.accumulate = r.accumulate ? 1 : 0;
        d.width = r.width;
        d.in = r.in;
        d.out = r.out;
        d.relu = r.relu;
        d.weight = r.weight;
        d.bias = r.bias;
        if (r.conv) {
            d.taps = r.conv->taps;
            d.in_channels = r.conv->in_channels;
            d.out_channels = r.conv->out_channels;
            d.pointwise = r.conv->pointwise() ? 1 : 0;
            d.tap_offset = static_cast<int>(dy.size());
            for (int t = 0; t < r.conv->taps; ++t) {
                dy.push_back(static_cast<int8_t>(r.conv->tap_dy[t]));
                dx.push_back(static_cast<int8_t>(r.conv->tap_dx[t]));
            }
        }
        steps.push_back(d);
    }
    const size_t step_bytes = steps.size() * sizeof(DeviceStep);
    char* base = static_cast<char*>(memory_.get(step_bytes + 2 * dy.size() + 16));
    PCNN_CUDA_CHECK(cudaMemcpyAsync(base, steps.data(), step_bytes, cudaMemcpyHostToDevice, stream));
    if (!dy.empty()) {
        PCNN_CUDA_CHECK(cudaMemcpyAsync(base + step_bytes, dy.data(), dy.size(), cudaMemcpyHostToDevice, stream));
        PCNN_CUDA_CHECK(
            cudaMemcpyAsync(base + step_bytes + dy.size(), dx.data(), dx.size(), cudaMemcpyHostToDevice, stream));
    }
    PCNN_CUDA_CHECK(cudaStreamSynchronize(stream));  // the host vectors go out of scope
    steps_ = base;
    n_steps_ = static_cast<int>(steps.size());
    taps_ = dy.size();
    uploaded_id_ = program.id;
}

void RowSampler::run(const Context& ctx, const RowProgram& program, const DrawSpec& spec, unsigned char* images,
                     const unsigned char* known, int count, int row) {
    upload(program, ctx.stream);
    const DeviceStep* steps = static_cast<const DeviceStep*>(steps_);
    const int8_t* dy = reinterpret_cast<const int8_t*>(static_cast<const char*>(steps_) + n_steps_ * sizeof(DeviceStep));
    const int8_t* dx = dy + taps_;
    const unsigned blocks = static_cast<unsigned>(count < 65535 ? count : 65535);
    PCNN_LAUNCH_BLOCKS(sample_row_kernel, blocks, kRowThreads, ctx.stream, steps, n_steps_, dy, dx, program.labels,
                       program.col, program.col_stride, spec, images, known, program.logits, program.input, count,
                       row);
}

}  // namespace cuda
}  // namespace pixelcnn
