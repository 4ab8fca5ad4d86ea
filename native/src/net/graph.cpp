#include "graph.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "../core/check.h"

namespace pixelcnn {
namespace net {

MaskedConv make_masked_conv(int in_channels, int out_channels, const MaskSpec& mask) {
    PCNN_ASSERT(mask.kh >= 1 && mask.kw >= 1);
    PCNN_ASSERT(mask.anchor_y >= 0 && mask.anchor_x >= 0 && mask.anchor_x < mask.kw);
    PCNN_ASSERT(mask.groups >= 1 && in_channels % mask.groups == 0 && out_channels % mask.groups == 0);
    MaskedConv conv;
    conv.in_channels = in_channels;
    conv.out_channels = out_channels;
    conv.mask = mask;
    const bool anchor_in_kernel = mask.anchor_y < mask.kh;
    // Every tap but the anchor, in raster order: all of them for a full mask, those before the
    // anchor for types A and B.
    for (int i = 0; i < mask.kh; ++i) {
        for (int j = 0; j < mask.kw; ++j) {
            const int dy = i - mask.anchor_y, dx = j - mask.anchor_x;
            if (dy == 0 && dx == 0) continue;
            const bool before = dy < 0 || (dy == 0 && dx < 0);
            if (mask.type == MaskType::Full || before) {
                conv.tap_dy.push_back(dy);
                conv.tap_dx.push_back(dx);
            }
        }
    }
    // The anchor: every pair for a full mask, else earlier channel groups (type A) or earlier
    // and its own group (type B); live if any input channel reaches an output.
    if (anchor_in_kernel) {
        bool any_live = false;
        for (int q = 0; q < in_channels && !any_live; ++q) any_live = conv.masked_outputs(q) < out_channels;
        if (any_live) {
            conv.centre_live = true;
            conv.tap_dy.push_back(0);
            conv.tap_dx.push_back(0);
        }
    }
    conv.taps = static_cast<int>(conv.tap_dy.size());
    return conv;
}

int MaskedConv::masked_outputs(int q) const {
    if (mask.type == MaskType::Full) return 0;
    const int group = channel_group(q, in_channels, mask.groups);
    const int outputs_per_group = out_channels / mask.groups;
    return (mask.type == MaskType::A ? group + 1 : group) * outputs_per_group;
}

double MaskedConv::live_macs() const {
    double macs = static_cast<double>(taps - (centre_live ? 1 : 0)) * in_channels * out_channels;
    if (centre_live)
        for (int q = 0; q < in_channels; ++q) macs += out_channels - masked_outputs(q);
    return macs;
}

void MaskedConv::zero_masked_centre(float* packed) const {
    if (!centre_live) return;
    float* centre = packed + static_cast<int64_t>(taps - 1) * in_channels * out_channels;
    for (int q = 0; q < in_channels; ++q) {
        float* row = centre + static_cast<int64_t>(q) * out_channels;
        for (int o = 0, end = masked_outputs(q); o < end; ++o) row[o] = 0.0f;
    }
}

int64_t TensorInfo::dense_size() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

const char* op_name(Op op) {
    switch (op) {
        case Op::EncodeInput: return "encode_input";
        case Op::MaskedConv: return "masked_conv";
        case Op::Conv1x1: return "conv1x1";
        case Op::Relu: return "relu";
        case Op::Gate: return "gate";
        case Op::ClassBias: return "class_bias";
        case Op::Add: return "add";
        case Op::BernoulliNll: return "bernoulli_nll";
        case Op::CategoricalNll: return "categorical_nll";
    }
    return "?";
}

int Graph::add_buffer(const std::string& name, int channels, bool needs_grad) {
    PCNN_ASSERT(channels > 0);
    buffers.push_back({name, channels, needs_grad});
    return static_cast<int>(buffers.size()) - 1;
}

void Graph::add_encode(int output) {
    Node n;
    n.op = Op::EncodeInput;
    n.name = "encode";
    n.output = output;
    nodes.push_back(n);
    input_buffer = output;
}

void Graph::add_conv(const std::string& name, int input, int output, const MaskSpec& mask,
                     bool accumulate) {
    // The backward pass reads the input while it writes the input's gradient: they must differ.
    PCNN_ASSERT(input != output);
    MaskedConv conv = make_masked_conv(buffers[input].channels, buffers[output].channels, mask);
    // PyTorch's default init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, with
    // fan_in counted over live taps; the conv's index is its generator stream.
    const float bound = 1.0f / std::sqrt(static_cast<float>(conv.packed_rows()));
    const uint32_t stream = static_cast<uint32_t>(convs.size());
    Node n;
    n.op = conv.pointwise() ? Op::Conv1x1 : Op::MaskedConv;
    n.name = name;
    n.input = input;
    n.output = output;
    n.accumulate = accumulate;
    n.conv = static_cast<int>(convs.size());
    TensorInfo w;
    w.name = name + ".weight";
    w.shape = {conv.out_channels, conv.in_channels, mask.kh, mask.kw};
    w.layout = TensorInfo::PackedConvWeight;
    w.conv = n.conv;
    w.offset = next_param_offset();
    w.size = conv.weight_size();
    w.init_bound = bound;
    w.init_stream = stream;
    w.init_tag = 0x57u;
    param_floats += w.size;
    TensorInfo b;
    b.name = name + ".bias";
    b.shape = {conv.out_channels};
    b.offset = next_param_offset();
    b.size = conv.out_channels;
    b.init_bound = bound;
    b.init_stream = stream;
    b.init_tag = 0xB1u;
    param_floats += b.size;
    n.weight = static_cast<int>(tensors.size());
    tensors.push_back(w);
    n.bias = static_cast<int>(tensors.size());
    tensors.push_back(b);
    convs.push_back(std::move(conv));
    nodes.push_back(n);
}

int Graph::add_tensor(const std::string& name, const std::vector<int64_t>& shape, float init_bound) {
    TensorInfo t;
    t.name = name;
    t.shape = shape;
    t.offset = next_param_offset();
    t.size = t.dense_size();
    t.init_bound = init_bound;
    // Streams above every conv's: a dense tensor's draws never coincide with a weight's.
    t.init_stream = 0x10000u + static_cast<uint32_t>(tensors.size());
    t.init_tag = 0xE3u;
    param_floats += t.size;
    tensors.push_back(t);
    return static_cast<int>(tensors.size()) - 1;
}

void Graph::add_relu(int input, int output) {
    PCNN_ASSERT(buffers[input].channels == buffers[output].channels);
    Node n;
    n.op = Op::Relu;
    n.name = "relu -> " + buffers[output].name;
    n.input = input;
    n.output = output;
    nodes.push_back(n);
}

void Graph::add_gate(int input, int output) {
    PCNN_ASSERT(buffers[input].channels == 2 * buffers[output].channels);
    PCNN_ASSERT(buffers[output].channels % image_channels == 0);
    Node n;
    n.op = Op::Gate;
    n.name = "gate -> " + buffers[output].name;
    n.input = input;
    n.output = output;
    nodes.push_back(n);
}

void Graph::add_class_bias(const std::string& name, int buffer, int classes) {
    Node n;
    n.op = Op::ClassBias;
    n.name = name;
    n.input = buffer;
    n.output = buffer;
    n.accumulate = true;
    n.weight = add_tensor(name + ".weight", {classes, buffers[buffer].channels}, 0.0f);
    nodes.push_back(n);
}

void Graph::add_add(int input, int output) {
    PCNN_ASSERT(input != output && buffers[input].channels == buffers[output].channels);
    Node n;
    n.op = Op::Add;
    n.name = "add -> " + buffers[output].name;
    n.input = input;
    n.output = output;
    n.accumulate = true;
    nodes.push_back(n);
}

void Graph::add_loss(Op loss, int logits) {
    PCNN_ASSERT(loss == Op::BernoulliNll || loss == Op::CategoricalNll);
    Node n;
    n.op = loss;
    n.name = op_name(loss);
    n.input = logits;
    nodes.push_back(n);
    logits_buffer = logits;
}

int64_t Graph::next_param_offset() {
    param_floats = (param_floats + 15) / 16 * 16;
    return param_floats;
}

int Graph::fused_relu(size_t k) const {
    if (k + 1 >= nodes.size() || nodes[k].conv < 0) return -1;
    const Node& next = nodes[k + 1];
    // Not into the convolution's own input: the fused store would overwrite it while other
    // tiles still read it.
    return next.op == Op::Relu && next.input == nodes[k].output && next.output != nodes[k].input
               ? static_cast<int>(k + 1)
               : -1;
}

int Graph::relu_before(size_t k) const {
    if (k == 0 || k >= nodes.size() || nodes[k].conv < 0) return -1;
    const Node& relu = nodes[k - 1];
    if (relu.op != Op::Relu || relu.output != nodes[k].input) return -1;
    for (size_t j = k + 1; j < nodes.size(); ++j)
        if (nodes[j].input == relu.output) return -1;
    return static_cast<int>(k - 1);
}

double Graph::forward_flops_per_position() const {
    double macs = 0;
    for (const Node& n : nodes)
        if (n.conv >= 0) macs += convs[n.conv].live_macs();
    return 2.0 * macs;
}

double Graph::training_flops_per_position() const {
    double macs = 0;
    for (const Node& n : nodes)
        if (n.conv >= 0) macs += convs[n.conv].live_macs() * (buffers[n.input].needs_grad ? 3 : 2);
    return 2.0 * macs;
}

int64_t conv_scratch_floats(const MaskedConv& conv, int64_t positions) {
    return conv.pointwise() ? 0 : positions * conv.packed_rows();
}

namespace {

int64_t round16(int64_t floats) { return (floats + 15) / 16 * 16; }

// Gradient slots by width, reused once freed: the backward walk's liveness, simulated.
class GradSlots {
public:
    GradSlots(const Graph& g, int64_t positions, int64_t* cursor)
        : g_(g), positions_(positions), cursor_(cursor), live_(g.buffers.size(), -1) {}

    int64_t live(int buffer) const { return live_[buffer]; }
    // The gradient of `buffer` starts: take a free slot of its width, or a new one.
    int64_t start(int buffer) {
        const int width = g_.buffers[buffer].channels;
        std::vector<int64_t>& free = free_[width];
        int64_t slot;
        if (!free.empty()) {
            slot = free.back();
            free.pop_back();
        } else {
            slot = *cursor_;
            *cursor_ += round16(positions_ * width);
        }
        live_[buffer] = slot;
        return slot;
    }
    // The gradient of `buffer` is consumed: its slot is free for the next one of that width.
    void end(int buffer) {
        free_[g_.buffers[buffer].channels].push_back(live_[buffer]);
        live_[buffer] = -1;
    }

private:
    const Graph& g_;
    int64_t positions_;
    int64_t* cursor_;
    std::vector<int64_t> live_;
    std::map<int, std::vector<int64_t>> free_;
};

}  // namespace

ArenaPlan plan_arena(const Graph& g, int64_t positions) {
    ArenaPlan plan;
    plan.positions = positions;
    int64_t cursor = 0;
    // Every activation is kept for the backward pass.
    for (const BufferInfo& b : g.buffers) {
        plan.value.push_back(cursor);
        cursor += round16(positions * b.channels);
    }
    // Gradients: walk the nodes in reverse as execute.cpp's backward does. The loss starts the
    // logits' gradient; a node reading the gradient of its output writes that of its input
    // (adding to it if an earlier reader, later in the walk, already started it); a node that
    // overwrote its output ends that gradient, one that added to it (a residual) passes it on.
    const size_t N = g.nodes.size();
    plan.grad_in.assign(N, -1);
    plan.grad_out.assign(N, -1);
    plan.grad_in_accumulate.assign(N, false);
    GradSlots slots(g, positions, &cursor);
    for (size_t k = N; k-- > 0;) {
        const Node& n = g.nodes[k];
        switch (n.op) {
            case Op::BernoulliNll:
            case Op::CategoricalNll:
                plan.grad_in[k] = slots.start(n.input);
                break;
            case Op::EncodeInput:
                break;
            case Op::MaskedConv:
            case Op::Conv1x1:
            case Op::Relu:
            case Op::Gate:
            case Op::ClassBias:
            case Op::Add: {
                PCNN_ASSERT(slots.live(n.output) >= 0);  // the output feeds the loss
                plan.grad_out[k] = slots.live(n.output);
                const bool in_place = n.input == n.output;
                if (!in_place && g.buffers[n.input].needs_grad) {
                    plan.grad_in_accumulate[k] = slots.live(n.input) >= 0;
                    plan.grad_in[k] = plan.grad_in_accumulate[k] ? slots.live(n.input) : slots.start(n.input);
                } else if (in_place) {
                    plan.grad_in[k] = plan.grad_out[k];
                }
                if (!in_place && !n.accumulate) slots.end(n.output);
                break;
            }
        }
    }
    int64_t scratch = 0;
    for (const MaskedConv& conv : g.convs) scratch = std::max(scratch, conv_scratch_floats(conv, positions));
    plan.col = cursor;
    plan.col_floats = scratch;
    cursor += round16(scratch);
    plan.ones = cursor;
    cursor += round16(positions);
    plan.total_floats = cursor;
    return plan;
}

}  // namespace net
}  // namespace pixelcnn
