// The negative log-likelihood on the device, as cpu/loss.cpp computes it: per value in float,
// the gradient written beside it, then each image row's nats summed in double in raster order
// and copied back to the host (the caller's row_nll).
#include "ops.h"

namespace pixelcnn {
namespace cuda {

namespace {

// Value (p, c) of the batch: its image value from the NCHW images.
PCNN_DEVICE int image_value(const unsigned char* images, int64_t p, int c, int channels, int64_t plane) {
    const int64_t n = p / plane;
    return images[(n * channels + c) * plane + p % plane];
}

PCNN_KERNEL void bernoulli_kernel(const float* logits, const unsigned char* images, int channels, int64_t plane,
                                  float* nats, float* dlogits, float grad_scale, int64_t n) {
    PCNN_GRID_LOOP(i, n) {
        const float l = logits[i];
        const float t = static_cast<float>(image_value(images, i / channels, static_cast<int>(i % channels), channels,
                                                       plane));
        // softplus(l) - t*l, computed stably
        nats[i] = fmaxf(l, 0.0f) - t * l + log1pf(expf(-fabsf(l)));
        if (dlogits) {
            const float sig = 1.0f / (1.0f + expf(-l));
            dlogits[i] = (sig - t) * grad_scale;
        }
    }
}

// -log softmax(l)[t] over one value's levels, and its gradient: e_k = exp(l_k - max) once.
PCNN_KERNEL void categorical_kernel(const float* logits, const unsigned char* images, int channels, int levels,
                                    int64_t plane, float* nats, float* dlogits, float grad_scale, int64_t n) {
    PCNN_GRID_LOOP(i, n) {
        const float* l = logits + i * levels;
        const int t = image_value(images, i / channels, static_cast<int>(i % channels), channels, plane);
        float mx = l[0];
        for (int k = 1; k < levels; ++k) mx = fmaxf(mx, l[k]);
        float sum = 0.0f;
        float* d = dlogits ? dlogits + i * levels : nullptr;
        for (int k = 0; k < levels; ++k) {
            const float e = expf(l[k] - mx);
            sum += e;
            if (d) d[k] = e;
        }
        if (d) {
            const float scale = grad_scale / sum;
            for (int k = 0; k < levels; ++k) d[k] *= scale;
            d[t] -= grad_scale;
        }
        nats[i] = mx + logf(sum) - l[t];
    }
}

// rows[r] = sum in double of the nats of image row r (width * channels values, in order).
PCNN_KERNEL void row_sums_kernel(const float* nats, int64_t per_row, double* rows, int64_t n) {
    PCNN_GRID_LOOP(r, n) {
        double total = 0.0;
        for (int64_t i = 0; i < per_row; ++i) total += nats[r * per_row + i];
        rows[r] = total;
    }
}

// Copies the images up and returns where they are, and where the per-value nats and the row
// sums go (one workspace: values, then rows).
struct LossMemory {
    const unsigned char* images;
    float* nats;
    double* rows;
};

LossMemory loss_memory(const Context& ctx, const unsigned char* images, Shape s, int channels) {
    const int64_t values = s.positions() * channels;
    const int64_t rows = static_cast<int64_t>(s.count) * s.height;
    unsigned char* device_images = static_cast<unsigned char*>(ctx.images->get(static_cast<size_t>(values)));
    PCNN_CUDA_CHECK(cudaMemcpyAsync(device_images, images, static_cast<size_t>(values), cudaMemcpyHostToDevice,
                                    ctx.stream));
    const int64_t nat_bytes = (values * static_cast<int64_t>(sizeof(float)) + 15) / 16 * 16;
    char* base = static_cast<char*>(ctx.values->get(static_cast<size_t>(nat_bytes + rows * sizeof(double))));
    return LossMemory{device_images, reinterpret_cast<float*>(base), reinterpret_cast<double*>(base + nat_bytes)};
}

void finish_rows(const Context& ctx, const LossMemory& mem, Shape s, int channels, double* row_nll,
                 float* value_nll) {
    const int64_t rows = static_cast<int64_t>(s.count) * s.height;
    PCNN_LAUNCH(row_sums_kernel, rows, ctx.stream, mem.nats, static_cast<int64_t>(s.width) * channels, mem.rows, rows);
    PCNN_CUDA_CHECK(cudaMemcpyAsync(row_nll, mem.rows, static_cast<size_t>(rows) * sizeof(double),
                                    cudaMemcpyDeviceToHost, ctx.stream));
    if (value_nll) {  // the values the rows summed, as they are (positions * channels, in order)
        PCNN_CUDA_CHECK(cudaMemcpyAsync(value_nll, mem.nats,
                                        static_cast<size_t>(s.positions() * channels) * sizeof(float),
                                        cudaMemcpyDeviceToHost, ctx.stream));
    }
    ctx.sync();
}

}  // namespace

void bernoulli_nll(const Context& ctx, const float* logits, const unsigned char* images, Shape s, int channels,
                   double* row_nll, float* dlogits, float grad_scale, float* value_nll) {
    const LossMemory mem = loss_memory(ctx, images, s, channels);
    const int64_t n = s.positions() * channels;
    PCNN_LAUNCH(bernoulli_kernel, n, ctx.stream, logits, mem.images, channels,
                static_cast<int64_t>(s.height) * s.width, mem.nats, dlogits, grad_scale, n);
    finish_rows(ctx, mem, s, channels, row_nll, value_nll);
}

void categorical_nll(const Context& ctx, const float* logits, const unsigned char* images, Shape s, int channels,
                     int levels, double* row_nll, float* dlogits, float grad_scale, float* value_nll) {
    const LossMemory mem = loss_memory(ctx, images, s, channels);
    const int64_t n = s.positions() * channels;
    PCNN_LAUNCH(categorical_kernel, n, ctx.stream, logits, mem.images, channels, levels,
                static_cast<int64_t>(s.height) * s.width, mem.nats, dlogits, grad_scale, n);
    finish_rows(ctx, mem, s, channels, row_nll, value_nll);
}

}  // namespace cuda
}  // namespace pixelcnn
