// The model's internals, shared by the API (model.cpp), the graph walks (execute.cpp) and the
// cached sampler (sampler.cpp): the graph of its architecture, the backend that computes it,
// and the memory that backend owns for it.
//
// Invariants: parameters, gradients and both Adam moments are four blobs with the same layout
// (net::TensorInfo::offset); activations and gradients live in one arena laid out by
// net::plan_arena for `capacity` images, grown only when a larger batch arrives, so
// steady-state steps allocate nothing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend.h"
#include "net/graph.h"
#include "pixelcnn/pixelcnn.h"

namespace pixelcnn {

class ModelImpl {
public:
    explicit ModelImpl(const Config& config);

    Config cfg;
    net::Graph graph;
    std::unique_ptr<Backend> backend;
    Buffer params, grads, adam_m, adam_v;  // (graph.param_floats) each
    long long adam_steps = 0;

    // ---- activations for `capacity` images ----
    int capacity = 0;
    net::ArenaPlan plan;
    Buffer arena;
    std::vector<double> row_nll;  // (capacity * height) nats per image row
    Buffer labels;                // (capacity) ints, a conditional model's batch labels

    void ensure_capacity(int count);
    Shape shape(int count) const { return Shape{count, cfg.height, cfg.width}; }
    float* value(int buffer) const { return arena.f() + plan.value[buffer]; }
    float* at(int64_t offset) const { return offset < 0 ? nullptr : arena.f() + offset; }
    float* weight(const net::Node& n) const { return params.f() + graph.tensors[n.weight].offset; }
    float* bias(const net::Node& n) const { return params.f() + graph.tensors[n.bias].offset; }
    float* dweight(const net::Node& n) const { return grads.f() + graph.tensors[n.weight].offset; }
    float* dbias(const net::Node& n) const { return grads.f() + graph.tensors[n.bias].offset; }
    float* tensor(int index) const { return params.f() + graph.tensors[index].offset; }
    float* dtensor(int index) const { return grads.f() + graph.tensors[index].offset; }
    int logit_channels() const { return graph.buffers[graph.logits_buffer].channels; }
    // Network input of a pixel value: v for Bernoulli, v / (levels - 1) for categorical.
    float input_scale() const { return cfg.head == HEAD_BERNOULLI ? 1.0f : 1.0f / (cfg.levels - 1); }

    void check_images(const unsigned char* images, int count, const char* what) const;
    // Labels must come for a conditional model (one per image, in [0, classes)) and only then.
    void check_labels(const int* labels, int count, const char* what) const;
    void check_sampling_args(const unsigned char* images, int count, int row, long long first_index,
                             float temperature, const char* what) const;
    void init_weights();

    // A tensor's packed storage <-> its full PyTorch layout (masked taps as zeros).
    void unpack(const net::TensorInfo& t, const float* packed, float* dense) const;
    void pack(const net::TensorInfo& t, const float* dense, float* packed) const;
    Buffer& blob(int kind);
};

}  // namespace pixelcnn
