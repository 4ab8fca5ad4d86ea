// The CUDA backend: device memory, one stream per model, and the ops of cuda/ops.h. The model's
// parameters, gradients, Adam moments, activation arena and the sampler's caches are all device
// memory (Buffer); host data crosses only where backend.h says "host": the caller's images (copied
// up by the ops that read them), the per-row losses and the sampled images (a row at a time).
#include <cstdlib>
#include <sstream>
#include <string>

#include "../backend.h"
#include "../core/check.h"
#include "../core/memory.h"
#include "ops.h"
#include "pixelcnn/pixelcnn.h"

namespace pixelcnn {

namespace {

// Why no CUDA device can be used, or "" when one can (the driver is asked once per call: cheap,
// and a later call sees a device that appeared, as after a driver install).
std::string unavailable_reason() {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        std::ostringstream os;
        int runtime = 0;
        cudaRuntimeGetVersion(&runtime);
        os << "no usable CUDA driver (" << cudaGetErrorName(e) << ": " << cudaGetErrorString(e)
           << "); this engine needs an NVIDIA driver for CUDA " << runtime / 1000 << "." << runtime % 1000 / 10
           << " or newer";
        return os.str();
    }
    if (count == 0) return "the CUDA driver reports no GPU";
    return "";
}

void require_device(int index) {
    const std::string why = unavailable_reason();
    PCNN_REQUIRE(why.empty(), "cuda:" << index << ": " << why);
    int count = 0;
    PCNN_CUDA_CHECK(cudaGetDeviceCount(&count));
    PCNN_REQUIRE(index >= 0 && index < count, "cuda:" << index << ": no such device; this machine has " << count
                                                      << (count == 1 ? " CUDA device (cuda:0)" : " CUDA devices")
                                                      << (count > 1 ? " (cuda:0 .. cuda:" + std::to_string(count - 1) + ")" : ""));
}

class CudaBackend final : public Backend {
public:
    explicit CudaBackend(int device) : device_(device) {
        require_device(device);
        PCNN_CUDA_CHECK(cudaSetDevice(device_));
        cudaDeviceProp prop;
        PCNN_CUDA_CHECK(cudaGetDeviceProperties(&prop, device_));
        std::ostringstream os;
        os << "cuda:" << device_ << ", " << prop.name << ", " << format_bytes(static_cast<double>(prop.totalGlobalMem))
           << ", compute capability " << prop.major << "." << prop.minor << ", pixelcnn kernels";
        description_ = os.str();
        PCNN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
        ctx_.stream = stream_;
        ctx_.partials = &partials_;
        ctx_.images = &images_;
        ctx_.values = &values_;
        ctx_.temp = &temp_;
    }
    ~CudaBackend() override {
        // Nothing may throw here: errors of queued work were reported by the call that synchronised.
        cudaSetDevice(device_);
        cudaStreamSynchronize(stream_);
        cudaStreamDestroy(stream_);
    }

    std::string name() const override { return "cuda:" + std::to_string(device_); }
    std::string description() const override { return description_; }
    bool supports(const net::Graph& g, const net::Node& n, std::string* why) const override {
        if (n.conv >= 0 && g.convs[n.conv].taps > cuda::TapTable::kMax) {
            if (why) *why = "more than " + std::to_string(cuda::TapTable::kMax) + " live taps";
            return false;
        }
        return true;
    }
    void set_threads(int) override {}  // the host threads only queue work
    void prepare() override { PCNN_CUDA_CHECK(cudaSetDevice(device_)); }

    void* allocate(size_t bytes) override {
        PCNN_CUDA_CHECK(cudaSetDevice(device_));
        void* p = nullptr;
        const cudaError_t e = cudaMalloc(&p, bytes);
        if (e != cudaSuccess) {
            size_t free_bytes = 0, total = 0;
            cudaMemGetInfo(&free_bytes, &total);
            std::ostringstream os;
            os << "memory: allocating " << format_bytes(static_cast<double>(bytes)) << " on " << name() << " failed ("
               << cudaGetErrorString(e) << "; " << format_bytes(static_cast<double>(free_bytes)) << " free of "
               << format_bytes(static_cast<double>(total)) << ")";
            throw std::runtime_error(os.str());
        }
        const cudaError_t zeroed = cudaMemsetAsync(p, 0, bytes, stream_);
        if (zeroed != cudaSuccess) {
            cudaFree(p);
            PCNN_CUDA_CHECK(zeroed);
        }
        return p;
    }
    void release(void* p) override {
        // The stream may still use it: cudaFree waits for the device. Errors cannot be thrown
        // from a destructor's path and leave nothing to undo.
        cudaSetDevice(device_);
        cudaFree(p);
    }
    void upload(void* dst, const void* src, size_t bytes) override {
        PCNN_CUDA_CHECK(cudaSetDevice(device_));
        PCNN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
        // The caller may reuse its memory at once: pageable copies are staged before returning,
        // but the caller's memory may be pinned, so wait.
        ctx_.sync();
    }
    void download(void* dst, const void* src, size_t bytes) override {
        PCNN_CUDA_CHECK(cudaSetDevice(device_));
        PCNN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
        ctx_.sync();
    }
    void fill(float* dst, int64_t n, float value) override { cuda::fill(ctx_, dst, n, value); }

    void encode_input(const unsigned char* images, float* x, Shape s, int channels, float scale) override {
        cuda::encode_input(ctx_, images, x, s, channels, scale);
    }
    void masked_conv_forward(const net::MaskedConv& conv, const float* w, const float* b, const float* in,
                             float* out, Shape s, bool accumulate, float* col, float* relu_out) override {
        cuda::masked_conv_forward(ctx_, conv, w, b, in, out, s, accumulate, col, relu_out);
    }
    void masked_conv_backward(const net::MaskedConv& conv, const float* w, const float* in, const float* dout,
                              float* din, bool din_accumulate, float* dw, float* db, Shape s, float* col,
                              const float* ones) override {
        cuda::masked_conv_backward(ctx_, conv, w, in, dout, din, din_accumulate, dw, db, s, col, ones);
    }
    void conv1x1_forward(const net::MaskedConv& conv, const float* w, const float* b, const float* in, float* out,
                         Shape s, bool accumulate, float* relu_out) override {
        cuda::conv1x1_forward(ctx_, conv, w, b, in, out, s, accumulate, relu_out);
    }
    void conv1x1_backward(const net::MaskedConv& conv, const float* w, const float* in, const float* dout,
                          float* din, bool din_accumulate, bool din_through_relu, float* dw, float* db, Shape s,
                          const float* ones) override {
        cuda::conv1x1_backward(ctx_, conv, w, in, dout, din, din_accumulate, din_through_relu, dw, db, s, ones);
    }
    void relu_forward(const float* in, float* out, int64_t n) override { cuda::relu_forward(ctx_, in, out, n); }
    void relu_backward(const float* out, const float* dout, float* din, int64_t n, bool accumulate) override {
        cuda::relu_backward(ctx_, out, dout, din, n, accumulate);
    }
    void gate_forward(const float* in, float* out, int64_t rows, int width) override {
        cuda::gate_forward(ctx_, in, out, rows, width);
    }
    void gate_backward(const float* in, const float* dout, float* din, int64_t rows, int width,
                       bool accumulate) override {
        cuda::gate_backward(ctx_, in, dout, din, rows, width, accumulate);
    }
    void class_bias_forward(const float* table, const int* labels, float* out, Shape s, int width) override {
        cuda::class_bias_forward(ctx_, table, labels, out, s, width);
    }
    void class_bias_backward(const float* dout, const int* labels, float* dtable, Shape s, int width,
                             int classes) override {
        cuda::class_bias_backward(ctx_, dout, labels, dtable, s, width, classes);
    }
    void add(const float* src, float* dst, int64_t n, bool accumulate) override {
        cuda::add(ctx_, src, dst, n, accumulate);
    }
    void bernoulli_nll(const float* logits, const unsigned char* images, Shape s, int channels, double* row_nll,
                       float* dlogits, float grad_scale, float* value_nll) override {
        cuda::bernoulli_nll(ctx_, logits, images, s, channels, row_nll, dlogits, grad_scale, value_nll);
    }
    void categorical_nll(const float* logits, const unsigned char* images, Shape s, int channels, int levels,
                         double* row_nll, float* dlogits, float grad_scale, float* value_nll) override {
        cuda::categorical_nll(ctx_, logits, images, s, channels, levels, row_nll, dlogits, grad_scale, value_nll);
    }

    void adam_update(float* param, const float* grad, float* m, float* v, int64_t n, const AdamStep& step) override {
        cuda::adam_update(ctx_, param, grad, m, v, n, step);
    }
    double sum_squares(const float* x, int64_t n) override { return cuda::sum_squares(ctx_, x, n); }
    bool adam_stays_finite(const float* param, const float* grad, const float* m, const float* v, int64_t n,
                           const AdamStep& step) override {
        return cuda::adam_stays_finite(ctx_, param, grad, m, v, n, step);
    }

    // The device takes every image at once: one share, no team.
    void for_each_image_share(int count, int64_t, const std::function<void(int, int)>& fn) override { fn(0, count); }
    int team_size() const override { return 1; }
    void run_team(const std::function<void(TeamMember&)>& fn) override {
        struct Alone final : TeamMember {
            int part() const override { return 0; }
            int parts() const override { return 1; }
            void sync() override {}
        } alone;
        fn(alone);
    }

    void begin_sampled_row(const DrawSpec& spec, int count, int row) override {
        const size_t image_bytes = static_cast<size_t>(count) * spec.channels * spec.height * spec.width;
        device_images_ = static_cast<unsigned char*>(sampled_images_.get(image_bytes));
        device_known_ = spec.known ? static_cast<unsigned char*>(sampled_known_.get(image_bytes)) : nullptr;
        copy_row(device_images_, spec.images, spec, count, row, cudaMemcpyHostToDevice);
        if (spec.known) copy_row(device_known_, spec.known, spec, count, row, cudaMemcpyHostToDevice);
    }
    void end_sampled_row(const DrawSpec& spec, int count, int row) override {
        copy_row(spec.images, device_images_, spec, count, row, cudaMemcpyDeviceToHost);
        ctx_.sync();
    }

    // One launch a row (row_sampler.cu), unless PIXELCNN4J_CUDA_SAMPLER=ops asks for a launch per
    // op and position (the baseline it is measured against, and tested equal to).
    bool sample_row_at_once(const RowProgram& program, const DrawSpec& spec, int count, int row) override {
        const char* path = std::getenv("PIXELCNN4J_CUDA_SAMPLER");
        if (path != nullptr && std::string(path) == "ops") return false;
        PCNN_ASSERT(device_images_ != nullptr);  // begin_sampled_row came first
        row_sampler_.run(ctx_, program, spec, device_images_, device_known_, count, row);
        return true;
    }

    void masked_conv_gather_at(const net::MaskedConv& conv, const CacheView& in, int n0, int n1, int y, int x,
                               float* col, int64_t col_stride) override {
        cuda::masked_conv_gather_at(ctx_, conv, in, n0, n1, y, x, col, col_stride);
    }
    void conv_at(const net::MaskedConv& conv, const float* w, const float* b, const float* a, int64_t lda,
                 float* out, int64_t out_stride, int rows, int o0, int o1, bool accumulate, float* relu_out) override {
        cuda::conv_at(ctx_, conv, w, b, a, lda, out, out_stride, rows, o0, o1, accumulate, relu_out);
    }
    void relu_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
                 int width) override {
        cuda::relu_at(ctx_, in, in_stride, out, out_stride, rows, c0, width);
    }
    void gate_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0, int c1,
                 int width) override {
        cuda::gate_at(ctx_, in, in_stride, out, out_stride, rows, c0, c1, width);
    }
    void class_bias_at(const float* table, int table_width, const int* labels, float* out, int64_t out_stride,
                       int rows, int c0, int c1) override {
        cuda::class_bias_at(ctx_, table, table_width, labels, out, out_stride, rows, c0, c1);
    }
    void add_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
                int c1) override {
        cuda::add_at(ctx_, in, in_stride, out, out_stride, rows, c0, c1);
    }
    void draw_at(const DrawSpec& spec, const CacheView& logits, const CacheView& input, int n0, int n1, int y,
                 int x, int channel) override {
        PCNN_ASSERT(device_images_ != nullptr);  // begin_sampled_row came first
        cuda::draw_at(ctx_, spec, device_images_, device_known_, logits, input, n0, n1, y, x, channel);
    }

private:
    // Row `row` of every image plane (count * channels planes of height x width bytes).
    void copy_row(void* dst, const void* src, const DrawSpec& spec, int count, int row, cudaMemcpyKind kind) {
        const size_t plane = static_cast<size_t>(spec.height) * spec.width;
        const size_t offset = static_cast<size_t>(row) * spec.width;
        PCNN_CUDA_CHECK(cudaMemcpy2DAsync(static_cast<char*>(dst) + offset, plane,
                                          static_cast<const char*>(src) + offset, plane, spec.width,
                                          static_cast<size_t>(count) * spec.channels, kind, stream_));
    }

    int device_;
    std::string description_;
    cudaStream_t stream_ = nullptr;
    cuda::Workspace partials_, images_, values_, temp_, sampled_images_, sampled_known_;
    cuda::Context ctx_;
    cuda::RowSampler row_sampler_;
    unsigned char* device_images_ = nullptr;
    unsigned char* device_known_ = nullptr;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(int device) { return std::unique_ptr<Backend>(new CudaBackend(device)); }

// ---- the public device listing (pixelcnn.h) ----

int cuda_device_count() {
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

std::string cuda_unavailable_reason() { return unavailable_reason(); }

static cudaDeviceProp properties_of(int index) {
    require_device(index);
    cudaDeviceProp prop;
    PCNN_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
    return prop;
}

std::string cuda_device_name(int index) { return properties_of(index).name; }

long long cuda_device_memory(int index) { return static_cast<long long>(properties_of(index).totalGlobalMem); }

int cuda_device_capability(int index) {
    const cudaDeviceProp prop = properties_of(index);
    return prop.major * 10 + prop.minor;
}

long long cuda_device_free_memory(int index) {
    require_device(index);
    int current = 0;
    PCNN_CUDA_CHECK(cudaGetDevice(&current));
    PCNN_CUDA_CHECK(cudaSetDevice(index));
    size_t free_bytes = 0, total = 0;
    const cudaError_t e = cudaMemGetInfo(&free_bytes, &total);
    cudaSetDevice(current);
    PCNN_CUDA_CHECK(e);
    return static_cast<long long>(free_bytes);
}

bool cuda_built() { return true; }

}  // namespace pixelcnn
