// The graph walks: forward is the node list in order, backward the same list in reverse, and a
// sampler step the list in order at one position. Each walk maps a node to its backend op in
// one switch here; nothing else dispatches ops.
#pragma once

#include "model_impl.h"

namespace pixelcnn {

class SamplerImpl;

namespace exec {

// Every node's activations for `count` images (count <= m.capacity) with their labels (host,
// checked; null for an unconditional model).
void forward(ModelImpl& m, const unsigned char* images, const int* labels, int count);
// The loss node over the current logits: per-row nats into m.row_nll and, with_grad, the
// logits' gradient of grad_scale * total nats; value_nll (nullable, host, positions * C floats)
// gets each value's nats. Returns the total nats.
double loss(ModelImpl& m, const unsigned char* images, int count, bool with_grad, float grad_scale,
            float* value_nll = nullptr);
// Parameter gradients (and the activations' on the way) from the logits' gradient.
void backward(ModelImpl& m, int count);
// Which of a node's output columns one member of a sampling team computes: of the columns
// [first, first + width), a contiguous share in multiples of 16 (a cache line), the same for
// every node of that width, so a ReLU touches only columns its own member wrote.
struct ColumnShare {
    int part = 0;
    int parts = 1;
    void range(int first, int width, int* c0, int* c1) const;
};

// Node n's output at (y, x) for images n0..n1, columns of channel group `group` (the share of
// them that `share` says), from the sampler's caches; col: this member's im2col scratch.
// relu (nullable, with a convolution): the ReLU node after it, stored with its output (see
// sampler_fused_relu); the caller then skips that node.
void step(SamplerImpl& s, const net::Node& n, int n0, int n1, int y, int x, int group, const ColumnShare& share,
          float* col, const net::Node* relu = nullptr);
// The sampler's row as a RowProgram (backend.h), with step's rules.
RowProgram row_program(const SamplerImpl& s);
// The ReLU after node k that the sampler stores with k's output (net::Graph::fused_relu, when
// both caches have the same layout), or -1.
int sampler_fused_relu(const SamplerImpl& s, size_t k);

}  // namespace exec
}  // namespace pixelcnn
