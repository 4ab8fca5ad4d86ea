// The network as data: a list of nodes over named activation buffers, with the parameter tensors
// they use. One graph is built per architecture (net/residual.cpp: the plain PixelCNN;
// net/gated.cpp: Gated PixelCNN), and
// everything that needs the wiring walks it: forward (in order) and backward (in reverse) in
// execute.cpp, the arena plan below, the tensor table (state_dict names, PyTorch layouts, masks,
// initialisation), the FLOP counts, and the cached sampler. Nothing else names layers.
//
// Buffers hold NHWC float32 activations: positions x channels, for every image of a batch. A
// node reads one buffer and writes one (the loss reads the logits and the images); a node may
// write the buffer it reads (an in-place ReLU) or add into its output (a residual add), which is
// how the residual stream stays one buffer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pixelcnn {
namespace net {

// Which taps of a kernel are live. A kernel of kh x kw has its output pixel at (anchor_y,
// anchor_x); a tap at kernel position (i, j) reads input offset (i - anchor_y, j - anchor_x).
//   A, B: taps strictly before the anchor in raster order see every input channel, taps after
//         it none; at the anchor, input group gq reaches output group go when gq < go (type A)
//         or gq <= go (type B), with channels split into `groups` contiguous groups (R < G < B).
//   Full: every tap and channel pair is live (causality is then the graph's business, as for
//         the vertical stack of Gated PixelCNN, which only ever feeds rows below it).
enum class MaskType { A, B, Full };

struct MaskSpec {
    int kh = 1, kw = 1;
    int anchor_y = 0, anchor_x = 0;
    MaskType type = MaskType::B;
    int groups = 1;

    // The k x k PixelCNN mask, anchored at the centre.
    static MaskSpec square(int k, MaskType type, int groups) {
        return MaskSpec{k, k, k / 2, k / 2, type, groups};
    }
};

// A masked convolution (stride 1, zero padding around the image) with only its live taps
// stored: the weight is packed as (taps * in_channels, out_channels), row t * in_channels + q
// for tap t and input channel q. Taps are in raster order with the anchor (if live for any
// channel pair) last; its channel-group mask is kept by holding the masked entries of that
// last block at zero in the weight and in its gradient.
struct MaskedConv {
    int in_channels = 0;
    int out_channels = 0;
    MaskSpec mask;
    int taps = 0;                    // live spatial taps
    std::vector<int> tap_dy, tap_dx; // input offset of each live tap from the output position
    bool centre_live = false;        // the last tap is the anchor (live for some channel pair)

    int64_t packed_rows() const { return static_cast<int64_t>(taps) * in_channels; }
    int64_t weight_size() const { return packed_rows() * out_channels; }
    // A 1x1 convolution reads its input at the output position only: no im2col needed.
    bool pointwise() const { return taps == 1 && tap_dy[0] == 0 && tap_dx[0] == 0; }
    // At the anchor, input channel q reaches outputs masked_outputs(q) .. out_channels - 1: the
    // channel-group mask masks a leading run of outputs (groups are contiguous), computed, not
    // stored, so that building a graph allocates nothing in proportion to its weights.
    int masked_outputs(int q) const;
    bool centre_pair_live(int q, int o) const { return o >= masked_outputs(q); }
    // Multiply-adds per output position over live taps and live channel pairs.
    double live_macs() const;
    // Sets the masked entries of the anchor block of a packed weight (or its gradient) to +0:
    // the one place the channel-group mask is applied to stored values.
    void zero_masked_centre(float* packed) const;
};

MaskedConv make_masked_conv(int in_channels, int out_channels, const MaskSpec& mask);

// Channel group of channel `ch` among `total` channels split into `groups` contiguous groups.
inline int channel_group(int ch, int total, int groups) { return ch / (total / groups); }

enum class Op {
    EncodeInput,     // images (uint8 NCHW) -> buffer (P, C), value v -> v * input_scale
    MaskedConv,      // k x k masked convolution (im2col over live taps, then GEMM)
    Conv1x1,         // 1 x 1 masked convolution (a GEMM)
    Relu,            // max(x, 0), in place or not
    Gate,            // gated unit, (P, 2F) -> (P, F), per channel group (see gate_width)
    ClassBias,       // in place: row label[n] of a (classes, width) table added to image n
    Add,             // output += input (a residual between two buffers)
    BernoulliNll,    // logits (P, C) vs images: per-row nats and d/dlogits
    CategoricalNll,  // logits (P, C * levels) vs images
};

const char* op_name(Op op);

struct Node {
    Op op = Op::Relu;
    std::string name;        // for messages; for a conv, the state_dict prefix of its tensors ("blocks.0.conv2")
    int input = -1;          // buffer read (-1: the images, for EncodeInput)
    int output = -1;         // buffer written (-1: none, for the losses)
    bool accumulate = false; // output += result instead of output = result
    int conv = -1;           // index into Graph::convs (MaskedConv, Conv1x1)
    int weight = -1, bias = -1;  // tensor indices (ClassBias: weight is its table)
};

// The gated unit's channel layout: the 2F pre-activation channels are C contiguous groups of
// 2F/C (one per image channel, so the channel-group masks of the convolutions apply to them
// unchanged), and each group holds its tanh half, then its sigmoid half. Output channel
// g * w + j (w = F/C) is tanh(in[g * 2w + j]) * sigmoid(in[g * 2w + w + j]). For C = 1 that is
// PyTorch's chunk(2, dim=1).

struct BufferInfo {
    std::string name;
    int channels = 0;
    bool needs_grad = true;  // false for the encoded images: nothing is learnt below them
};

// A named parameter tensor of the state_dict: a slice of the parameter blob.
struct TensorInfo {
    enum Layout { Dense, PackedConvWeight };
    std::string name;
    std::vector<int64_t> shape;  // PyTorch shape, e.g. (out, in, kh, kw)
    Layout layout = Dense;       // PackedConvWeight: stored packed (see MaskedConv), of `conv`
    int conv = -1;
    int64_t offset = 0;          // floats into the blob
    int64_t size = 0;            // floats stored (packed size for a conv weight)
    // Initialisation: U(-bound, bound) from the counter-based generator keyed by (seed,
    // init_stream, index, init_tag), so the same seed gives the same weights everywhere.
    float init_bound = 0.0f;
    uint32_t init_stream = 0;
    uint32_t init_tag = 0;

    int64_t dense_size() const;
};

struct Graph {
    std::vector<BufferInfo> buffers;
    std::vector<Node> nodes;
    std::vector<MaskedConv> convs;
    std::vector<TensorInfo> tensors;
    int64_t param_floats = 0;
    int input_buffer = -1;   // encoded images: what the sampler feeds
    int logits_buffer = -1;  // what the loss and the draws read
    int image_channels = 1;  // C: channel groups of every mask, sub-steps of a colour pixel

    // Builders used by the architecture files.
    int add_buffer(const std::string& name, int channels, bool needs_grad = true);
    void add_encode(int output);
    // A masked convolution in -> out (Conv1x1 when the kernel is 1 x 1), with weight and bias
    // tensors "<name>.weight" (out, in, kh, kw) and "<name>.bias" (out).
    void add_conv(const std::string& name, int input, int output, const MaskSpec& mask,
                  bool accumulate = false);
    void add_relu(int input, int output);
    // Gated unit input (2F) -> output (F), per image channel group.
    void add_gate(int input, int output);
    // A learned per-class bias "<name>.weight" (classes, width), PyTorch's nn.Embedding layout,
    // added in place to `buffer` (initialised to zero: a conditional model starts unconditional).
    void add_class_bias(const std::string& name, int buffer, int classes);
    // output += input (same widths).
    void add_add(int input, int output);
    // A parameter tensor that belongs to no convolution (a class-embedding table, say), dense in
    // PyTorch's layout, initialised U(-bound, bound); returns its index.
    int add_tensor(const std::string& name, const std::vector<int64_t>& shape, float init_bound);
    void add_loss(Op loss, int logits);

    const MaskedConv& conv_of(const Node& n) const { return convs[n.conv]; }
    // Where the next parameter tensor starts: param_floats rounded up to 16 floats, so every
    // tensor is 64-byte aligned (a weight row of rgb-32's 120 channels would otherwise start
    // mid cache line, and every vector load of it would straddle two); the gaps stay zero.
    int64_t next_param_offset();
    // The ReLU a convolution's forward can store with its result: the node right after conv
    // node k, if it is a ReLU of k's output (in place or into another buffer); -1 if none.
    // Backends fuse it (one pass over the output instead of two); the backward pass and the
    // cached sampler still see two nodes.
    int fused_relu(size_t k) const;
    // The ReLU whose gradient a convolution's backward can apply with its input gradient: the
    // node right before conv node k, if it is a ReLU into k's input and k is the only node that
    // reads that buffer (else the ReLU must see the sum of its readers' gradients); -1 if none.
    int relu_before(size_t k) const;
    // Channels per group of a gate's output (F / C): its input group is twice as wide.
    int gate_width(const Node& n) const { return buffers[n.output].channels / image_channels; }
    // Forward FLOPs per image position (live multiply-adds x 2), and per training position
    // (forward, weight gradient, and input gradient of every conv whose input needs one).
    double forward_flops_per_position() const;
    double training_flops_per_position() const;
};

// Where each buffer, gradient and scratch area lives in the activation arena for `count` images
// (offsets in floats, each a multiple of 16 so rows start on 64-byte boundaries). Gradients
// share slots: a gradient lives from its first write to its last read in the backward walk, and
// freed slots of the same width are reused (the residual network needs five or six).
struct ArenaPlan {
    int64_t positions = 0;
    std::vector<int64_t> value;       // per buffer
    std::vector<int64_t> grad_in;     // per node: gradient of its input (-1 if none)
    std::vector<int64_t> grad_out;    // per node: gradient of its output (-1 if none)
    std::vector<bool> grad_in_accumulate;  // per node: add into grad_in (an earlier reader wrote it)
    int64_t col = 0, col_floats = 0;  // im2col scratch of the widest k x k convolution
    int64_t ones = 0;                 // P ones (bias gradients are a GEMV with it)
    int64_t total_floats = 0;
};

ArenaPlan plan_arena(const Graph& g, int64_t positions);

// Floats of im2col scratch a node's convolution needs at `positions` (0 for a 1x1).
int64_t conv_scratch_floats(const MaskedConv& conv, int64_t positions);

}  // namespace net
}  // namespace pixelcnn
