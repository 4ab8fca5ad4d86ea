// pixelcnn4j engine: the public C++ API.
//
// This header is what JavaCPP parses to generate the JNI bindings, so it stays binding friendly:
// plain structs, one Model class, raw pointers plus counts for bulk data, std::string for names,
// exceptions (pixelcnn::Error) for every failure. No templates or STL containers cross it.
//
// A model is a network of masked convolutions chosen by Config::arch. ARCH_PIXELCNN is the plain
// PixelCNN of van den Oord et al. (2016): a k x k type A convolution, residual blocks (ReLU,
// 1x1, ReLU, k x k type B, ReLU, 1x1, add) and a head of two 1x1 convolutions, wired in one
// place, native/src/net/residual.cpp. ARCH_GATED is Gated PixelCNN (van den Oord et al. 2016b):
// vertical and horizontal stacks of gated layers, skip connections into the same head, and with
// Config::classes > 0 a learnt class bias in every layer (every call then takes one label per
// image), wired in native/src/net/gated.cpp. The logits have C channels (Bernoulli: one logit per
// channel) or C*levels (categorical: logits of channel c at c*levels .. c*levels+levels-1).
// For C = 3 every convolution, 1x1 included, carries the channel-group mask of PixelRNN:
// channels split into C contiguous groups and group g sees groups < g (type A) or <= g
// (type B) at the centre tap.
//
// Images cross the API as uint8, N x C x H x W (the PyTorch layout), values in [0, levels-1]
// (Bernoulli: 0 or 1). Inside, activations are float32 NHWC.
//
// Usage (C++):
//   pixelcnn::Config cfg;                        // fm-binary defaults
//   pixelcnn::Model model(cfg);
//   pixelcnn::AdamConfig adam;
//   float nats = model.train_step(images, 32, adam);   // mean NLL per image, nats
//   model.log_likelihood(images, 32, nll);            // per-image NLL, nats
#pragma once

#include <string>

namespace pixelcnn {

/// Output head: Bernoulli (binary images, binary cross-entropy) or categorical (softmax).
enum HeadKind { HEAD_BERNOULLI = 0, HEAD_CATEGORICAL = 1 };

/// Network architecture: the plain PixelCNN, or Gated PixelCNN (van den Oord et al. 2016,
/// "Conditional Image Generation with PixelCNN Decoders": vertical and horizontal stacks of gated
/// units, no blind spot, optionally class-conditional), wired in native/src/net/gated.cpp.
enum Architecture { ARCH_PIXELCNN = 0, ARCH_GATED = 1 };

/// Which of a model's tensor sets read_tensor / write_tensor address.
enum TensorKind { TENSOR_PARAM = 0, TENSOR_GRAD = 1, TENSOR_ADAM_M = 2, TENSOR_ADAM_V = 3 };

/// Architecture and shape of a model. Defaults are the fm-binary reference model.
struct Config {
    int arch = ARCH_PIXELCNN;    // Architecture
    int channels = 1;            // C: 1 (grayscale) or 3 (colour, channel-group masks)
    int height = 28;             // H
    int width = 28;              // W
    int head = HEAD_BERNOULLI;   // HeadKind
    int levels = 2;              // L: values per channel; 2 for Bernoulli, 2..256 categorical
    int hidden_channels = 128;   // residual stream width; gated: F, each stack's width (divisible by C)
    int residual_channels = 64;  // width inside a residual block (divisible by C); gated: unused
    int head_channels = 128;     // width of the head's hidden 1x1 layer (divisible by C)
    int blocks = 6;              // residual blocks, >= 0; gated: gated layers, >= 1
    int input_kernel = 7;        // odd kernel size of the type A input convolution (gated: layer 0's)
    int block_kernel = 3;        // odd kernel size of the type B convolution in each block (gated: later layers')
    int classes = 0;             // gated: class labels the model is conditioned on, 0 = unconditional
    int skip = 1;                // gated: 1 = every layer's skip connection summed into the head, 0 = the last layer only
    long long seed = 1;          // weight initialisation seed
    int threads = 0;             // worker threads, 0 = all hardware threads
    int cuda_device = -1;        // -1: compute on the CPU; k >= 0: on CUDA device k (see cuda_device_count)
};

/// Adam (PyTorch semantics) with optional L2 weight decay and gradient-norm clipping.
/// Hyperparameters are doubles, as in PyTorch: 1 - beta2 for beta2 = 0.999 differs by 1e-5
/// between float and double, which shows in the second moment.
struct AdamConfig {
    double learning_rate = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double clip_norm = 0.0;      // clip the global gradient L2 norm to this; 0 = off
    double weight_decay = 0.0;   // L2 penalty: weight_decay * w added to the (clipped) gradient, as
                                 // torch.optim.Adam's weight_decay (not AdamW's decoupled decay)
};

class ModelImpl;
class SamplerImpl;

/// A PixelCNN with its parameters, gradients, Adam state and working memory.
/// Not thread safe: one thread uses a model at a time.
class Model {
public:
    explicit Model(const Config& config);
    ~Model();

    const Config& config() const;
    /// Output channels of the logits: C (Bernoulli) or C * levels (categorical).
    int logit_channels() const;
    long long parameter_count() const;
    /// Floating-point operations of one image's forward pass, counting only live (unmasked)
    /// multiply-adds as 2 operations: what the engine computes. Biases and ReLUs not counted.
    double forward_flops_per_image() const;
    /// The same for one training step per image: forward, plus the weight gradient of every
    /// layer and the input gradient of every layer but the first (2 more GEMMs of the same size).
    double training_flops_per_image() const;

    // ---- tensors: parameters, gradients and Adam moments, PyTorch state_dict layout ----
    /// Number of named tensors (weights and biases, in a fixed order).
    int tensor_count() const;
    /// state_dict name of tensor i, e.g. "blocks.0.conv2.weight".
    std::string tensor_name(int index) const;
    int tensor_rank(int index) const;
    long long tensor_dim(int index, int axis) const;
    long long tensor_size(int index) const;
    /// Copies tensor i of the given TensorKind into out (tensor_size floats). Weights come in
    /// PyTorch layout (out, in, kh, kw) with masked taps as zeros.
    void read_tensor(int kind, int index, float* out) const;
    /// Sets tensor i of the given TensorKind from in (tensor_size floats); masked taps are
    /// ignored and kept at zero. Throws if a value is not finite.
    void write_tensor(int kind, int index, const float* in);
    /// The {0,1} mask of tensor i in the same layout (all ones for biases).
    void read_mask(int index, float* out) const;

    /// All tensors of one TensorKind as one flat vector in the engine's own packed layout (live
    /// taps only, the tensors in order): packed_size() floats. What a worker and a coordinator
    /// exchange every step of data-parallel training (weights out, gradients back): cheaper than
    /// read_tensor per tensor, and exact, with no layout conversion.
    long long packed_size() const;
    void read_packed(int kind, float* out) const;
    /// Sets every tensor of one kind from packed_size() floats; throws, changing nothing, if a
    /// value is not finite (or, for the second moment, negative).
    void write_packed(int kind, const float* in);

    long long adam_step_count() const;
    void set_adam_step_count(long long steps);

    // ---- training ----
    /// Forward and backward over a batch: fills the gradients (TENSOR_GRAD), returns the mean
    /// negative log-likelihood per image in nats. The gradient is that of the mean NLL per
    /// dimension (nats / (C*H*W)), PyTorch's default 'mean' reduction.
    float forward_backward(const unsigned char* images, int count);
    /// The same for a class-conditional model (Config::classes > 0): labels[count], one class in
    /// [0, classes) per image. Every call below that takes images has this form too; a
    /// conditional model needs labels, an unconditional one refuses them (null is none).
    float forward_backward(const unsigned char* images, const int* labels, int count);
    /// One share of a global batch, for data-parallel training: forward and backward over
    /// `count` images that are part of a batch of `global_count` images split among workers.
    /// Fills the gradients with this share's part of the batch's gradient (that of the sum of
    /// the share's NLLs divided by C*H*W*global_count), so that the shares' gradients summed
    /// equal forward_backward over the whole batch, within float rounding. Returns the sum of
    /// the share's per-image NLLs in nats. count may be 0 (the gradients become zeros).
    double forward_backward_share(const unsigned char* images, const int* labels, int count, int global_count);
    /// One Adam update from the current gradients.
    void adam_step(const AdamConfig& adam);
    /// forward_backward then adam_step; returns the batch's mean NLL per image in nats
    /// (before the update).
    float train_step(const unsigned char* images, int count, const AdamConfig& adam);
    float train_step(const unsigned char* images, const int* labels, int count, const AdamConfig& adam);

    // ---- evaluation ----
    /// Per-image negative log-likelihood in nats into nll_out[count].
    void log_likelihood(const unsigned char* images, int count, double* nll_out);
    /// -log p(x | y) per image, y = labels[i].
    void log_likelihood(const unsigned char* images, const int* labels, int count, double* nll_out);
    /// Per-value negative log-likelihood maps, from the same forward pass and loss as
    /// log_likelihood: map_out[count * C * H * W] (NCHW, the images' layout) gets the nats of each
    /// sub-pixel given everything before it, -log p(x_{n,c,y,x} | x_<), in float as the engine
    /// computes them; nll_out[count] (nullable) the per-image totals, which are log_likelihood's,
    /// bit for bit (each is the sum over its rows of each row's values summed in double, x then c).
    void log_likelihood_map(const unsigned char* images, const int* labels, int count, double* nll_out,
                            float* map_out);
    /// Logits in NCHW layout: out[count * logit_channels() * H * W].
    void logits(const unsigned char* images, int count, float* out);
    void logits(const unsigned char* images, const int* labels, int count, float* out);

    // ---- sampling ----
    /// Naive sampling of one row: for each pixel of the row (and each channel, R then G then B)
    /// runs a full forward pass over the images and draws the value with the counter-based
    /// generator keyed by (seed, first_index + image, position, channel). Rows before `row`
    /// must already hold samples (or known pixels). known (nullable, same layout as images):
    /// nonzero marks a known value, which is kept instead of drawn. temperature > 0 divides the
    /// logits.
    void sample_row_naive(unsigned char* images, const unsigned char* known, int count, int row,
                          long long seed, long long first_index, float temperature);
    void sample_row_naive(unsigned char* images, const unsigned char* known, const int* labels, int count, int row,
                          long long seed, long long first_index, float temperature);

    /// Changes the number of worker threads (0 = all hardware threads).
    void set_threads(int threads);

private:
    friend class CachedSampler;
    Model(const Model&);
    Model& operator=(const Model&);
    ModelImpl* impl_;
};

/// Cached sampling (the idea of Fast PixelCNN++): each layer keeps the rows of its input that
/// later positions need (a ring buffer of k/2 + 1 rows for a k x k kernel, one position for
/// 1x1), and each position computes only its own outputs, layer by layer, so a whole image
/// costs about one forward pass of arithmetic instead of one per pixel. Colour images take C
/// sub-steps per pixel; sub-step c computes only channel group c of every layer (groups below
/// it are final, groups above are masked), so the total is still one forward pass. Draws use
/// the same generator as sample_row_naive, so both give the same images.
///
/// Rows are sampled in order 0, 1, ..., height-1 by successive calls (so a caller can report
/// progress and cancel between rows); the sampler holds its caches between calls. It reads the
/// model's weights as they are at each call and must not outlive the model.
class CachedSampler {
public:
    /// A sampler for `count` images (all its memory is allocated here).
    CachedSampler(Model& model, int count);
    ~CachedSampler();

    int count() const;
    /// The row the next sample_row call must be given (0 after construction or reset).
    int next_row() const;
    /// Starts over at row 0.
    void reset();
    /// Samples one row of the `count` images, as Model::sample_row_naive does.
    void sample_row(unsigned char* images, const unsigned char* known, int row, long long seed,
                    long long first_index, float temperature);
    /// For a conditional model: labels[count], the same at every row of the images.
    void sample_row(unsigned char* images, const unsigned char* known, const int* labels, int row, long long seed,
                    long long first_index, float temperature);

private:
    CachedSampler(const CachedSampler&);
    CachedSampler& operator=(const CachedSampler&);
    SamplerImpl* impl_;
};

/// Throws std::invalid_argument naming the first field of `config` that is out of range, and
/// what was expected; returns normally for a valid configuration. The one definition of the
/// configuration rules: Model's constructor and the Java PixelCnnConfig builder both call it.
void check_config(const Config& config);

/// Parameters of a model of `config` (what Model::parameter_count would say), without building
/// one: a loader compares it with the values a checkpoint holds before allocating anything.
/// Throws as check_config does.
long long parameter_count(const Config& config);

// ---- CUDA devices ----
/// Whether this engine was built with the CUDA backend (the -gpu classifier).
bool cuda_built();
/// CUDA devices the engine can compute on: 0 without the CUDA backend, a driver or a GPU.
int cuda_device_count();
/// Why no CUDA device can be used (no CUDA backend in this build, no driver, no GPU), or ""
/// when one can.
std::string cuda_unavailable_reason();
/// Name, memory in bytes and compute capability (major * 10 + minor) of device `index`;
/// throw, saying why, for an index that is not a device.
std::string cuda_device_name(int index);
long long cuda_device_memory(int index);
int cuda_device_capability(int index);
/// Device memory not in use now, in bytes (what a model and its batches can still take).
long long cuda_device_free_memory(int index);

/// Version string of the engine, e.g. "0.1.0 (cpu)" or "0.1.0 (cpu, cuda)".
std::string version();

/// The GEMM in use and the BLAS the engine was built with, e.g.
/// "pixelcnn AVX-512 kernel (BLAS: OpenBLAS SkylakeX, 1 thread)". The engine runs any BLAS
/// single-threaded and parallelises around it (see native/src/cpu/gemm.h).
std::string blas_info();

/// GFLOP/s of an n x n x n sgemm on `threads` threads (the practical peak of the CPU, for
/// efficiency figures): median of `reps` runs after a warm-up. With OpenBLAS this is its own
/// threading (set back to one thread afterwards), without it the engine's GEMM on a pool.
double measure_sgemm_gflops(int n, int threads, int reps);

}  // namespace pixelcnn
