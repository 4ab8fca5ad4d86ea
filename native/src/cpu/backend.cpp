// The CPU backend: host memory, a thread pool, and the ops of cpu/ops.h.
#include <cstdlib>
#include <stdexcept>
#include <cstring>
#include <new>

#include "../backend.h"
#include "../core/check.h"
#include "../core/memory.h"
#include "../core/spin_barrier.h"
#include "blas.h"
#include "gemm.h"
#include "ops.h"

namespace pixelcnn {

namespace {

class CpuBackend final : public Backend {
public:
    explicit CpuBackend(int threads) { set_threads(threads); }

    std::string name() const override { return "cpu"; }
    std::string description() const override {
        return "cpu, " + std::to_string(pool_->threads()) + (pool_->threads() == 1 ? " thread, " : " threads, ") +
               cpu::gemm_description();
    }
    bool supports(const net::Graph&, const net::Node&, std::string*) const override {
        return true;  // the CPU backend is the reference: it runs every op the graph has
    }
    void set_threads(int threads) override {
        pool_.reset(new ThreadPool(threads > 0 ? threads : hardware_threads()));
        ctx_.pool = pool_.get();
        // The pool does the threading: a multi-threaded BLAS would spin against it (a quarter of
        // a training step in a profile).
        cpu::blas_use_one_thread();
    }

    void* allocate(size_t bytes) override {
        const size_t rounded = (bytes + 63) / 64 * 64;
        void* p = aligned_allocate(64, rounded);
        if (p == nullptr) throw std::runtime_error("memory: allocating " + format_bytes(static_cast<double>(rounded)) + " failed");
        std::memset(p, 0, rounded);
        return p;
    }
    void release(void* p) override { aligned_free(p); }
    void upload(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
    void download(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
    void fill(float* dst, int64_t n, float value) override {
        for (int64_t i = 0; i < n; ++i) dst[i] = value;
    }

    void prepare() override { cpu::blas_use_one_thread(); }

    void encode_input(const unsigned char* images, float* x, Shape s, int channels, float scale) override {
        cpu::encode_input(ctx_, images, x, s, channels, scale);
    }
    void masked_conv_forward(const net::MaskedConv& conv, const float* w, const float* b, const float* in,
                             float* out, Shape s, bool accumulate, float* col, float* relu_out) override {
        cpu::masked_conv_forward(ctx_, conv, w, b, in, out, s, accumulate, col, relu_out);
    }
    void masked_conv_backward(const net::MaskedConv& conv, const float* w, const float* in, const float* dout,
                              float* din, bool din_accumulate, float* dw, float* db, Shape s, float* col,
                              const float* ones) override {
        cpu::masked_conv_backward(ctx_, conv, w, in, dout, din, din_accumulate, dw, db, s, col, ones);
    }
    void conv1x1_forward(const net::MaskedConv& conv, const float* w, const float* b, const float* in, float* out,
                         Shape s, bool accumulate, float* relu_out) override {
        cpu::conv1x1_forward(ctx_, conv, w, b, in, out, s, accumulate, relu_out);
    }
    void conv1x1_backward(const net::MaskedConv& conv, const float* w, const float* in, const float* dout,
                          float* din, bool din_accumulate, bool din_through_relu, float* dw, float* db, Shape s,
                          const float* ones) override {
        cpu::conv1x1_backward(ctx_, conv, w, in, dout, din, din_accumulate, din_through_relu, dw, db, s, ones);
    }
    void relu_forward(const float* in, float* out, int64_t n) override { cpu::relu_forward(ctx_, in, out, n); }
    void relu_backward(const float* out, const float* dout, float* din, int64_t n, bool accumulate) override {
        cpu::relu_backward(ctx_, out, dout, din, n, accumulate);
    }
    void bernoulli_nll(const float* logits, const unsigned char* images, Shape s, int channels, double* row_nll,
                       float* dlogits, float grad_scale, float* value_nll) override {
        cpu::bernoulli_nll(ctx_, logits, images, s, channels, row_nll, dlogits, grad_scale, value_nll);
    }
    void categorical_nll(const float* logits, const unsigned char* images, Shape s, int channels, int levels,
                         double* row_nll, float* dlogits, float grad_scale, float* value_nll) override {
        cpu::categorical_nll(ctx_, logits, images, s, channels, levels, row_nll, dlogits, grad_scale, value_nll);
    }

    void gate_forward(const float* in, float* out, int64_t rows, int width) override {
        cpu::gate_forward(ctx_, in, out, rows, width);
    }
    void gate_backward(const float* in, const float* dout, float* din, int64_t rows, int width,
                       bool accumulate) override {
        cpu::gate_backward(ctx_, in, dout, din, rows, width, accumulate);
    }
    void class_bias_forward(const float* table, const int* labels, float* out, Shape s, int width) override {
        cpu::class_bias_forward(ctx_, table, labels, out, s, width);
    }
    void class_bias_backward(const float* dout, const int* labels, float* dtable, Shape s, int width,
                             int classes) override {
        cpu::class_bias_backward(ctx_, dout, labels, dtable, s, width, classes);
    }
    void add(const float* src, float* dst, int64_t n, bool accumulate) override {
        cpu::add(ctx_, src, dst, n, accumulate);
    }
    void adam_update(float* param, const float* grad, float* m, float* v, int64_t n, const AdamStep& step) override {
        cpu::adam_update(ctx_, param, grad, m, v, n, step);
    }
    double sum_squares(const float* x, int64_t n) override { return cpu::sum_squares(ctx_, x, n); }
    bool adam_stays_finite(const float* param, const float* grad, const float* m, const float* v, int64_t n,
                           const AdamStep& step) override {
        return cpu::adam_stays_finite(ctx_, param, grad, m, v, n, step);
    }

    void for_each_image_share(int count, int64_t min_share, const std::function<void(int, int)>& fn) override {
        pool_->parallel_for(0, count, [&](int64_t lo, int64_t hi) { fn(static_cast<int>(lo), static_cast<int>(hi)); },
                            min_share);
    }
    int team_size() const override { return pool_->threads(); }

    void run_team(const std::function<void(TeamMember&)>& fn) override {
        const int parts = pool_->threads();
        SpinBarrier barrier(parts);
        struct Member final : TeamMember {
            int index, count;
            SpinBarrier* meeting;
            int part() const override { return index; }
            int parts() const override { return count; }
            void sync() override {
                if (!meeting->wait()) throw std::runtime_error("a member of the sampling team failed");
            }
        };
        // One index per pool thread, all at once (min_grain 1 with as many indices as threads):
        // members wait for each other, so two of them on one thread would never return.
        pool_->parallel_for(0, parts, [&](int64_t lo, int64_t hi) {
            PCNN_ASSERT(hi == lo + 1);
            Member member;
            member.index = static_cast<int>(lo);
            member.count = parts;
            member.meeting = &barrier;
            try {
                fn(member);
            } catch (...) {
                barrier.abort();
                throw;
            }
        }, 1);
    }

    void masked_conv_gather_at(const net::MaskedConv& conv, const CacheView& in, int n0, int n1, int y, int x,
                               float* col, int64_t col_stride) override {
        cpu::masked_conv_gather_at(conv, in, n0, n1, y, x, col, col_stride);
    }
    void conv_at(const net::MaskedConv& conv, const float* w, const float* b, const float* a, int64_t lda,
                 float* out, int64_t out_stride, int rows, int o0, int o1, bool accumulate, float* relu_out) override {
        cpu::conv_at(conv, w, b, a, lda, out, out_stride, rows, o0, o1, accumulate, relu_out);
    }
    void relu_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
                 int width) override {
        cpu::relu_at(in, in_stride, out, out_stride, rows, c0, width);
    }
    void gate_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0, int c1,
                 int width) override {
        cpu::gate_at(in, in_stride, out, out_stride, rows, c0, c1, width);
    }
    void class_bias_at(const float* table, int table_width, const int* labels, float* out, int64_t out_stride,
                       int rows, int c0, int c1) override {
        cpu::class_bias_at(table, table_width, labels, out, out_stride, rows, c0, c1);
    }
    void add_at(const float* in, int64_t in_stride, float* out, int64_t out_stride, int rows, int c0,
                int c1) override {
        cpu::add_at(in, in_stride, out, out_stride, rows, c0, c1);
    }
    void draw_at(const DrawSpec& spec, const CacheView& logits, const CacheView& input, int n0, int n1, int y,
                 int x, int channel) override {
        cpu::draw_at(spec, logits, input, n0, n1, y, x, channel);
    }

private:
    std::unique_ptr<ThreadPool> pool_;
    cpu::Context ctx_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads) { return std::unique_ptr<Backend>(new CpuBackend(threads)); }

}  // namespace pixelcnn
