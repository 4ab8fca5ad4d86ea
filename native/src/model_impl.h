// The model's internals, shared by the model (model.cpp) and the cached sampler (sampler.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers.h"
#include "pixelcnn/pixelcnn.h"
#include "thread_pool.h"

namespace pixelcnn {

// A named tensor of the state_dict: the weight or the bias of one convolution.
struct TensorEntry {
    std::string name;
    int conv = 0;
    bool is_bias = false;
};

// A view of part of the activation arena.
struct Span {
    float* ptr = nullptr;
    size_t size = 0;
    float* data() const { return ptr; }
};

class ModelImpl {
public:
    explicit ModelImpl(const Config& config);

    Config cfg;
    int out_channels = 0;
    std::unique_ptr<ThreadPool> pool;

    // Layers in execution order: input, then conv1/conv2/conv3 per block, then head1, head2.
    std::vector<MaskedConv> convs;
    std::vector<TensorEntry> tensors;
    std::vector<float> params, grads, adam_m, adam_v;
    long long adam_steps = 0;

    int input_conv() const { return 0; }
    int block_conv(int block, int which) const { return 1 + 3 * block + which; }
    int head_conv(int which) const { return 1 + 3 * cfg.blocks + which; }

    // ---- activations, for `capacity` images: one arena carved into named spans ----
    int capacity = 0;
    std::vector<float> arena;
    Span x;                  // (P, C) encoded input
    Span h;                  // (P, hidden) residual stream, updated in place
    Span r1, r2, r3;         // per block: relu(h) (P, hidden), relu(conv1), relu(conv2) (P, residual)
    Span rh1, rh2;           // head: relu(h) (P, hidden), relu(head1) (P, head)
    Span logit_buf;          // (P, out)
    Span dh, dhidden, dres_a, dres_b, dhead, dlogits;  // gradients of the same shapes
    Span col;                // im2col scratch of the widest convolution
    Span ones;               // (P) ones: the bias gradient is a GEMV with it
    std::vector<double> row_nll;     // (count * height)
    std::vector<double> norm_partial;

    void ensure_capacity(int count);
    Shape shape(int count) const { return Shape{count, cfg.height, cfg.width}; }
    int64_t positions(int count) const { return static_cast<int64_t>(count) * cfg.height * cfg.width; }
    float* w(int conv) { return params.data() + convs[conv].weight_offset; }
    float* b(int conv) { return params.data() + convs[conv].bias_offset; }

    void check_images(const unsigned char* images, int count, const char* what) const;
    void check_sampling_args(const unsigned char* images, int count, int row, long long first_index,
                             float temperature, const char* what) const;
    // Network input of a pixel value: v for Bernoulli, v / (levels - 1) for categorical.
    float input_scale() const { return cfg.head == HEAD_BERNOULLI ? 1.0f : 1.0f / (cfg.levels - 1); }
    // Draws channel `channel` of one pixel from its logits (all logit channels of the position),
    // with the uniform number keyed by (seed, image, position, channel).
    unsigned char draw(const float* logits_at, int channel, float temperature, long long seed,
                       long long image, int64_t position) const;
    void forward(const unsigned char* images, int count);
    // NLL of the images under the current logits; fills dlogits when requested. Returns total nats.
    double nll(const unsigned char* images, int count, bool with_grad, float grad_scale);
    void backward(int count);
    void init_weights();

    // Full PyTorch layout <-> packed storage of one tensor of a blob.
    void unpack(const TensorEntry& t, const float* blob, float* out) const;
    void pack(const TensorEntry& t, const float* in, float* blob) const;
};

}  // namespace pixelcnn
