// The backend seam: every op the graph uses, behind one interface, and the memory those ops work
// on. execute.cpp is the one place that maps graph nodes to these calls; a backend says up front
// what it cannot run (supports), so a model fails at creation, not halfway through a step.
//
// The CPU backend (cpu/backend.cpp) forwards each call to the op of the same name in cpu/ops.h;
// a CUDA backend will be the same list over cuda/. Pointers passed to ops point into memory the
// backend allocated (host memory for the CPU, device memory for a GPU), except where a comment
// says "host": the caller's images, and the sampler's output images.
//
// Conventions: activations are NHWC float32 (rows = positions, columns = channels); an op
// overwrites its outputs unless its accumulate flag says +=; parameter gradients are
// overwritten (each conv runs once per step).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/host_device.h"
#include "net/graph.h"

namespace pixelcnn {

// `count` images of height x width positions.
struct Shape {
    int count = 0;
    int height = 0;
    int width = 0;
    int64_t positions() const { return static_cast<int64_t>(count) * height * width; }
};

// The sampler's cache of one buffer, in backend memory: `rows` image rows per image in a ring
// (row y in slot y % rows), or, with rows == 0, one position per image (the current one).
struct CacheView {
    float* data = nullptr;
    int rows = 0;
    int width = 0;
    int channels = 0;
    PCNN_HD int64_t image_stride() const { return rows == 0 ? channels : static_cast<int64_t>(rows) * width * channels; }
    PCNN_HD float* at(int n, int y, int x) const {
        const int64_t slot = rows == 0 ? 0 : (static_cast<int64_t>(y % rows) * width + x) * channels;
        return data + n * image_stride() + slot;
    }
};

// Adam's scalars for one step (PyTorch's formulation), formed in double by the caller.
struct AdamStep {
    double learning_rate = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    long long step = 1;        // counts from 1
    float grad_scale = 1.0f;   // gradient-norm clipping factor
    double weight_decay = 0.0; // L2: g = grad * grad_scale + weight_decay * param
};

// Where drawn values go and how they are drawn, for one pixel channel of images n0..n1.
struct DrawSpec {
    unsigned char* images = nullptr;        // host, NCHW, the sampler's whole batch
    const unsigned char* known = nullptr;   // host, nullable: nonzero keeps the image's value
    int channels = 1, height = 0, width = 0;
    bool bernoulli = true;
    int levels = 2;
    float temperature = 1.0f;
    long long seed = 0;
    long long first_index = 0;              // generator index of image 0
    float input_scale = 1.0f;               // network input of value v: v * input_scale
};

// The cached sampler's row as data, for a backend that runs a whole row in one go (a GPU: one
// launch a row instead of one per op and position). exec::row_program builds it from the graph
// with exec::step's rules, in the order the sampler would call the *_at ops: the once-per-row
// steps over every position of the row first, then, for each pixel and channel, the others and
// the draw.
enum class RowOp { Conv, Relu, Gate, ClassBias, Add };

struct RowStep {
    RowOp op = RowOp::Conv;
    bool once_per_row = false;             // SamplerImpl::row_node
    CacheView in, out;                     // in unused by ClassBias
    CacheView relu;                        // Conv: the fused ReLU's cache (relu.data == out.data: in
                                           // place), or data null
    const net::MaskedConv* conv = nullptr; // Conv
    const float* weight = nullptr;         // Conv: its weight; ClassBias: the table
    const float* bias = nullptr;           // Conv
    bool accumulate = false;               // Conv
    int width = 0;                         // output columns of one channel group
};

struct RowProgram {
    long long id = 0;                      // unique to this program (a backend may keep a copy)
    std::vector<RowStep> steps;
    const int* labels = nullptr;           // backend memory, one per image, or null
    float* col = nullptr;                  // gather scratch: col_stride floats per image
    int64_t col_stride = 0;
    CacheView logits, input;               // where the draw reads and writes
};

// One of the threads of a team (Backend::run_team): all members work on the same images, each
// on its part of every node's output columns, and meet at sync().
class TeamMember {
public:
    virtual ~TeamMember() = default;
    virtual int part() const = 0;
    virtual int parts() const = 0;
    // Returns when every member has called it as often as this one.
    virtual void sync() = 0;
};

class Backend {
public:
    virtual ~Backend() = default;

    // "cpu" or "cuda:0", and a line on what computes (threads, GEMM kernel).
    virtual std::string name() const = 0;
    virtual std::string description() const = 0;
    // Whether node n of g can run here; if not, why names what is missing.
    virtual bool supports(const net::Graph& g, const net::Node& n, std::string* why) const = 0;
    virtual void set_threads(int threads) = 0;
    // Called before each pass over the graph (forward, cached-sampler row): the CPU backend
    // makes sure the BLAS is still single-threaded (another user in the process may have raised it).
    virtual void prepare() = 0;

    // ---- memory ----
    virtual void* allocate(size_t bytes) = 0;  // zero-filled, 64-byte aligned; throws on failure
    virtual void release(void* p) = 0;
    virtual void upload(void* dst, const void* host_src, size_t bytes) = 0;
    virtual void download(void* host_dst, const void* src, size_t bytes) = 0;
    virtual void fill(float* dst, int64_t n, float value) = 0;

    // ---- graph ops ----
    // x (P, C) from host images (count, C, H, W): value v -> v * input_scale.
    virtual void encode_input(const unsigned char* images, float* x, Shape s, int channels,
                              float input_scale) = 0;
    // out (P, OC) = conv(in (P, IC)) + bias, or out += that when accumulate. col: scratch of
    // net::conv_scratch_floats floats. relu_out (nullable, P x OC): the ReLU that follows in the
    // graph (net::Graph::fused_relu), max(out, 0), stored there too (relu_out == out: instead).
    virtual void masked_conv_forward(const net::MaskedConv& conv, const float* weight, const float* bias,
                                     const float* in, float* out, Shape s, bool accumulate, float* col,
                                     float* relu_out) = 0;
    // dweight (taps*IC, OC) and dbias (OC) overwritten; din (P, IC) overwritten or, with
    // din_accumulate, added to; skipped when null. ones: P floats equal to 1.
    virtual void masked_conv_backward(const net::MaskedConv& conv, const float* weight, const float* in,
                                      const float* dout, float* din, bool din_accumulate, float* dweight,
                                      float* dbias, Shape s, float* col, const float* ones) = 0;
    virtual void conv1x1_forward(const net::MaskedConv& conv, const float* weight, const float* bias,
                                 const float* in, float* out, Shape s, bool accumulate, float* relu_out) = 0;
    // din_through_relu: `in` is the output of a ReLU (net::Graph::relu_before) and din is the
    // gradient of that ReLU's input: the input gradient times (in > 0), added or written.
    virtual void conv1x1_backward(const net::MaskedConv& conv, const float* weight, const float* in,
                                  const float* dout, float* din, bool din_accumulate, bool din_through_relu,
                                  float* dweight, float* dbias, Shape s, const float* ones) = 0;
    // out = max(in, 0) (in may equal out); din = dout * (out > 0), or += with accumulate.
    virtual void relu_forward(const float* in, float* out, int64_t n) = 0;
    virtual void relu_backward(const float* out, const float* dout, float* din, int64_t n, bool accumulate) = 0;
    // Gated unit over `rows` rows of 2w inputs -> w outputs (the caller passes P * C rows of
    // w = F / C: net::Graph::gate_width): out = tanh(a) * sigmoid(b), a and b the row's halves.
    virtual void gate_forward(const float* in, float* out, int64_t rows, int width) = 0;
    // din (rows, 2w) = or += d(out)/d(in) * dout, recomputed from in.
    virtual void gate_backward(const float* in, const float* dout, float* din, int64_t rows, int width,
                               bool accumulate) = 0;
    // out (P, width) of image n += table[labels[n]] (labels: s.count ints, backend memory).
    virtual void class_bias_forward(const float* table, const int* labels, float* out, Shape s, int width) = 0;
    // dtable (classes, width) overwritten: row c = sum of dout over the positions of images labelled c.
    virtual void class_bias_backward(const float* dout, const int* labels, float* dtable, Shape s, int width,
                                     int classes) = 0;
    // dst = src, or dst += src with accumulate.
    virtual void add(const float* src, float* dst, int64_t n, bool accumulate) = 0;
    // Per image row nats into row_nll (count * height doubles, host); dlogits (nullable) gets
    // d(grad_scale * total nats)/d(logits). Images are host (count, C, H, W). value_nll (nullable,
    // host) gets every value's nats, in float as the rows sum them, at position * C + channel.
    virtual void bernoulli_nll(const float* logits, const unsigned char* images, Shape s, int channels,
                               double* row_nll, float* dlogits, float grad_scale, float* value_nll) = 0;
    virtual void categorical_nll(const float* logits, const unsigned char* images, Shape s, int channels,
                                 int levels, double* row_nll, float* dlogits, float grad_scale,
                                 float* value_nll) = 0;

    // ---- optimiser ----
    virtual void adam_update(float* param, const float* grad, float* m, float* v, int64_t n,
                             const AdamStep& step) = 0;
    virtual double sum_squares(const float* x, int64_t n) = 0;
    // Whether adam_update would leave every parameter and moment finite; nothing is written.
    virtual bool adam_stays_finite(const float* param, const float* grad, const float* m, const float* v,
                                   int64_t n, const AdamStep& step) = 0;

    // ---- cached sampling: one position (y, x) of images n0..n1 ----
    // Runs fn over shares of [0, count) images that may proceed independently (CPU: one share
    // per thread; the ops below then run single-threaded inside a share).
    virtual void for_each_image_share(int count, int64_t min_share,
                                      const std::function<void(int, int)>& fn) = 0;
    // Members a team has (1: a team brings nothing here), and a run of fn on each member at
    // once; returns when all are done, rethrowing the first error. For few images, where shares
    // of images would leave threads idle and each thread stream every weight.
    virtual int team_size() const = 0;
    virtual void run_team(const std::function<void(TeamMember&)>& fn) = 0;
    // col[n * col_stride ...] for n in n0..n1: the input at each live tap of (y, x), zero
    // outside the image.
    virtual void masked_conv_gather_at(const net::MaskedConv& conv, const CacheView& in, int n0, int n1,
                                       int y, int x, float* col, int64_t col_stride) = 0;
    // Output columns o0..o1 for `rows` images: out[r * out_stride + o] (=|+=) bias[o] +
    // sum_k a[r * lda + k] * weight[k * OC + o]; relu_out (nullable, stride out_stride): the
    // ReLU that follows, max(out, 0), stored there too (relu_out == out: instead).
    virtual void conv_at(const net::MaskedConv& conv, const float* weight, const float* bias, const float* a,
                         int64_t lda, float* out, int64_t out_stride, int rows, int o0, int o1, bool accumulate,
                         float* relu_out) = 0;
    // out[r * out_stride + c] = max(in[r * in_stride + c], 0) for c in c0..c0+width.
    virtual void relu_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows,
                         int c0, int width) = 0;
    // The gate at one position: out[r * out_stride + c] for c in c0..c1 (output columns, groups
    // of `width`) from in[r * in_stride ...] (2 * width input columns a group).
    virtual void gate_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
                         int c1, int width) = 0;
    // out[r * out_stride + c] += table[labels[r] * table_width + c] for c in c0..c1 (labels
    // backend memory, of the rows' images).
    virtual void class_bias_at(const float* table, int table_width, const int* labels, float* out,
                               int64_t out_stride, int rows, int c0, int c1) = 0;
    // out[r * out_stride + c] += in[r * in_stride + c] for c in c0..c1.
    virtual void add_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
                        int c1) = 0;
    // The whole of row `row` for `count` images (between begin_sampled_row and end_sampled_row),
    // as the per-op calls below would compute it, bit for bit; false: not offered here, the
    // sampler makes the per-op calls.
    virtual bool sample_row_at_once(const RowProgram& program, const DrawSpec& spec, int count, int row) {
        (void)program, (void)spec, (void)count, (void)row;
        return false;
    }
    // Around each row the cached sampler draws (every image, after any shares): the CPU draws
    // into the caller's images directly; a GPU copies row `row` of spec.images (and of
    // spec.known) to the device before and the drawn row back after.
    virtual void begin_sampled_row(const DrawSpec& spec, int count, int row) {
        (void)spec, (void)count, (void)row;
    }
    virtual void end_sampled_row(const DrawSpec& spec, int count, int row) { (void)spec, (void)count, (void)row; }
    // Draws image channel `channel` at (y, x) for images n0..n1 from the logits cache (unless
    // known), writes it to the images and its network input to the input cache.
    virtual void draw_at(const DrawSpec& spec, const CacheView& logits, const CacheView& input, int n0,
                         int n1, int y, int x, int channel) = 0;
};

// A backend's memory, freed with it (parameters, gradients, Adam moments, the arena, caches).
class Buffer {
public:
    Buffer() = default;
    Buffer(Backend& backend, size_t bytes) : backend_(&backend), bytes_(bytes) {
        ptr_ = bytes > 0 ? backend.allocate(bytes) : nullptr;
    }
    ~Buffer() { reset(); }
    Buffer(Buffer&& o) noexcept : backend_(o.backend_), ptr_(o.ptr_), bytes_(o.bytes_) {
        o.ptr_ = nullptr;
        o.bytes_ = 0;
    }
    Buffer& operator=(Buffer&& o) noexcept {
        if (this != &o) {
            reset();
            backend_ = o.backend_;
            ptr_ = o.ptr_;
            bytes_ = o.bytes_;
            o.ptr_ = nullptr;
            o.bytes_ = 0;
        }
        return *this;
    }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    static Buffer floats(Backend& backend, int64_t n) { return Buffer(backend, static_cast<size_t>(n) * sizeof(float)); }
    float* f() const { return static_cast<float*>(ptr_); }
    double* d() const { return static_cast<double*>(ptr_); }
    int* i() const { return static_cast<int*>(ptr_); }
    size_t bytes() const { return bytes_; }
    int64_t float_count() const { return static_cast<int64_t>(bytes_ / sizeof(float)); }
    void reset() {
        if (ptr_) backend_->release(ptr_);
        ptr_ = nullptr;
        bytes_ = 0;
    }

private:
    Backend* backend_ = nullptr;
    void* ptr_ = nullptr;
    size_t bytes_ = 0;
};

// The CPU backend on `threads` worker threads (0 = all hardware threads).
std::unique_ptr<Backend> make_cpu_backend(int threads);
// The CUDA backend on device `device` (cuda/backend.cpp); throws, saying why, when the engine
// was built without CUDA or there is no driver or no such device.
std::unique_ptr<Backend> make_cuda_backend(int device);

}  // namespace pixelcnn
