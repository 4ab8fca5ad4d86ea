// Every op of the CPU backend against the CPU reference (cpu/reference.h), forward and
// backward, and every backward of the reference against central finite differences in double;
// the GEMM kernels (AVX-512 where the CPU has it, the portable fallback, the BLAS when built
// with one) against the reference on ragged shapes, both transposes, beta 0 and 1.
//
// Tolerances are written abs + |ref| * eps, per check, with how they were chosen.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cpu/blas.h"
#include "cpu/gemm.h"
#include "cpu/ops.h"
#include "cpu/reference.h"
#include "expect.h"
#include "same_sums.h"
#include "net/graph.h"
#include "pixelcnn/cpu_features.h"

using pixelcnn::Shape;
using pixelcnn::net::MaskedConv;
using pixelcnn::net::MaskSpec;
using pixelcnn::net::MaskType;
namespace cpu = pixelcnn::cpu;
namespace ref = pixelcnn::ref;
using Floats = std::vector<float>;
using Doubles = std::vector<double>;

static std::mt19937 rng(2024);

static Floats uniform(size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    Floats v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

static Doubles widen(const Floats& v) { return Doubles(v.begin(), v.end()); }

// Worst violation of |got - want| <= abs + |want| * eps, as a ratio (<= 1 passes).
template <class A, class B>
static double worst_ratio(const A& got, const B& want, double abs, double eps) {
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        const double err = std::fabs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
        // An exact match is within any tolerance, a zero one too (0 / 0 would be NaN).
        if (err == 0) continue;
        keep_worst(worst, err / (abs + std::fabs(static_cast<double>(want[i])) * eps));
    }
    return worst;
}

// EXPECT_CLOSE(got, want, abs, eps, "what %d", args...): every element within tolerance.
#define EXPECT_CLOSE(got, want, abs, eps, fmt, ...)                                        \
    do {                                                                                   \
        const double ratio_ = worst_ratio(got, want, abs, eps);                            \
        EXPECT(ratio_ <= 1.0, "error %.3g x tolerance: " fmt, ratio_, __VA_ARGS__);        \
        keep_worst(worst_seen, ratio_);                                                    \
    } while (0)

static double worst_seen = 0;  // largest error/tolerance ratio over the run, printed at the end

// Under a BLAS (same_sums.h) the paths compared here agree to rounding: sums of at most 1152
// products of size at most 1 reordered, at most 1152 x 2^-24 = 7e-5 apart.
#define EXPECT_SAME_SUMS(got, want, fmt, ...)                        \
    do {                                                             \
        if (sums_fixed()) {                                          \
            EXPECT((got) == (want), fmt, __VA_ARGS__);               \
        } else {                                                     \
            EXPECT_CLOSE(got, want, 1e-4, 1e-5, fmt, __VA_ARGS__);   \
        }                                                            \
    } while (0)

// Central differences of f with respect to every entry of x, in double (x is restored).
template <class F>
static Doubles central_differences(Doubles& x, double h, F f) {
    Doubles g(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const double orig = x[i];
        x[i] = orig + h;
        const double up = f();
        x[i] = orig - h;
        const double down = f();
        x[i] = orig;
        g[i] = (up - down) / (2 * h);
    }
    return g;
}

// ------------------------------------------------------------------------------------ GEMM

using GemmFn = void (*)(bool, bool, int, int, int, const float*, int, const float*, int, float, float*, int);

static void check_gemm_kernel(const char* name, GemmFn gemm) {
    int cases = 0;
    for (int M : {1, 7, 13, 50})
        for (int N : {1, 15, 33, 64, 70, 130})
            for (int K : {1, 9, 300, 513})
                for (int ta = 0; ta < 2; ++ta)
                    for (int tb = 0; tb < 2; ++tb)
                        for (float beta : {0.0f, 1.0f}) {
                            // Leading dimensions wider than the matrices, to catch stride mistakes.
                            const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
                            const Floats A = uniform(static_cast<size_t>(ta ? K : M) * lda, 0.5f, 1.5f);
                            const Floats B = uniform(static_cast<size_t>(tb ? N : K) * ldb, 0.5f, 1.5f);
                            Floats C = uniform(static_cast<size_t>(M) * ldc, 0.5f, 1.5f);
                            Doubles want = widen(C);
                            gemm(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
                            const Doubles Ad = widen(A), Bd = widen(B);
                            ref::gemm<double>(ta, tb, M, N, K, Ad.data(), lda, Bd.data(), ldb, beta, want.data(), ldc);
                            // Positive inputs, so no cancellation: float sums of K <= 513 products of
                            // values near 1 carry a relative error of a few 1e-7 when summed in blocks
                            // (measured worst 1.1e-6 with OpenBLAS, the kernels ours less); 1e-5 leaves
                            // room and still catches a single wrong product (>= 1/513 = 2e-3).
                            // The padding columns of C are compared too: they must stay untouched.
                            EXPECT_CLOSE(C, want, 1e-6, 1e-5, "%s gemm M=%d N=%d K=%d ta=%d tb=%d beta=%g", name, M, N, K,
                                         ta, tb, beta);
                            ++cases;
                        }
    std::printf("gemm %s: %d shapes against the double reference\n", name, cases);
}

// Edges: K = 0 (C = beta * C), beta other than 0 and 1 (not for the AVX-512 kernel, which the
// dispatch never gives one), and beta 0 over a C full of NaN (C must be overwritten, not scaled).
static void check_gemm_edges(const char* name, GemmFn gemm, bool any_beta) {
    const int M = 9, N = 70, K = 33;
    const Floats A = uniform(static_cast<size_t>(M) * K, 0.5f, 1.5f), B = uniform(static_cast<size_t>(K) * N, 0.5f, 1.5f);
    const Doubles Ad = widen(A), Bd = widen(B);
    std::vector<float> betas = {0.0f, 1.0f};
    if (any_beta) betas.push_back(0.5f);
    for (float beta : betas) {
        Floats C = uniform(static_cast<size_t>(M) * N, 0.5f, 1.5f);
        Doubles want = widen(C);
        gemm(false, false, M, N, 0, A.data(), K, B.data(), N, beta, C.data(), N);
        ref::gemm<double>(false, false, M, N, 0, Ad.data(), K, Bd.data(), N, beta, want.data(), N);
        EXPECT_CLOSE(C, want, 0.0, 1e-7, "%s gemm K=0 beta=%g", name, beta);  // beta * C: exact or one rounding
        C = uniform(static_cast<size_t>(M) * N, 0.5f, 1.5f);
        want = widen(C);
        gemm(false, false, M, N, K, A.data(), K, B.data(), N, beta, C.data(), N);
        ref::gemm<double>(false, false, M, N, K, Ad.data(), K, Bd.data(), N, beta, want.data(), N);
        EXPECT_CLOSE(C, want, 1e-6, 1e-5, "%s gemm beta=%g", name, beta);  // as check_gemm_kernel
    }
    Floats C(static_cast<size_t>(M) * N, NAN);
    Doubles want(C.size(), 0.0);
    gemm(false, false, M, N, K, A.data(), K, B.data(), N, 0.0f, C.data(), N);
    ref::gemm<double>(false, false, M, N, K, Ad.data(), K, Bd.data(), N, 0.0, want.data(), N);
    EXPECT_CLOSE(C, want, 1e-6, 1e-5, "%s gemm beta=0 over NaN", name);
}

// A row of C must not depend on how many rows are multiplied with it (cached sampling
// multiplies one position where the forward pass multiplies a whole batch).
static void check_gemm_row_independence(const char* name, GemmFn gemm) {
    for (int N : {9, 40, 64, 100}) {
        const int M = 37, K = 301;
        const Floats A = uniform(static_cast<size_t>(M) * K, -1, 1), B = uniform(static_cast<size_t>(K) * N, -1, 1);
        Floats whole(static_cast<size_t>(M) * N, 0.0f), rows(whole.size(), 0.0f);
        gemm(false, false, M, N, K, A.data(), K, B.data(), N, 0.0f, whole.data(), N);
        for (int i = 0; i < M; ++i) gemm(false, false, 1, N, K, A.data() + i * K, K, B.data(), N, 0.0f, rows.data() + i * N, N);
        EXPECT(whole == rows, "%s gemm: rows differ when multiplied one at a time (N=%d)", name, N);
    }
}

static void check_gemm() {
    check_gemm_kernel("fallback", cpu::sgemm_fallback);
    check_gemm_edges("fallback", cpu::sgemm_fallback, true);
    check_gemm_row_independence("fallback", cpu::sgemm_fallback);
    if (cpu::gemm_available(cpu::GemmKernel::Avx512)) {
        check_gemm_kernel("avx512", cpu::sgemm_avx512);
        check_gemm_edges("avx512", cpu::sgemm_avx512, false);
        check_gemm_row_independence("avx512", cpu::sgemm_avx512);
    } else {
        std::printf("gemm avx512: this CPU has no AVX-512F; the kernel is not reachable here\n");
    }
    if (cpu::gemm_available(cpu::GemmKernel::Blas)) {
        check_gemm_kernel("blas", cpu::blas_sgemm);
        check_gemm_edges("blas", cpu::blas_sgemm, true);
    }
    // The dispatch with a beta the AVX-512 kernel does not take.
    check_gemm_edges("dispatch", cpu::sgemm, true);
    // The bias fused into the GEMM (the convolutions' forward) gives the bits of writing the bias
    // first and accumulating onto it, with and without a residual in C, split over threads or not.
    pixelcnn::ThreadPool bias_pool(2);
    const cpu::Context bias_ctx{&bias_pool};
    for (int M : {1, 7, 61})
        for (int N : {5, 40, 64, 130})
            for (int accumulate = 0; accumulate < 2; ++accumulate) {
                const int K = 300;
                const Floats A = uniform(static_cast<size_t>(M) * K, -1, 1), B = uniform(static_cast<size_t>(K) * N, -1, 1);
                const Floats bias = uniform(N, -1, 1), start = uniform(static_cast<size_t>(M) * N, -1, 1);
                Floats two_steps(start), fused(start);
                for (int i = 0; i < M; ++i)
                    for (int j = 0; j < N; ++j) {
                        float& c = two_steps[static_cast<size_t>(i) * N + j];
                        c = accumulate ? c + bias[j] : bias[j];
                    }
                cpu::parallel_sgemm(bias_ctx, false, false, M, N, K, A.data(), K, B.data(), N, 1.0f, two_steps.data(), N);
                cpu::parallel_sgemm_bias(bias_ctx, false, false, M, N, K, A.data(), K, B.data(), N, bias.data(), accumulate,
                                         fused.data(), N, nullptr);
                EXPECT_SAME_SUMS(fused, two_steps, "fused bias GEMM differs (M=%d N=%d accumulate %d)", M, N, accumulate);
                // The ReLU fused into the last K block's store (K = 300: two blocks), beside C
                // and in place of it, gives the bits of a ReLU pass after the GEMM.
                Floats relu_pass(two_steps.size()), beside(start), relu_beside(start.size(), 7.0f), in_place(start);
                for (size_t i = 0; i < two_steps.size(); ++i) relu_pass[i] = two_steps[i] > 0.0f ? two_steps[i] : 0.0f;
                cpu::parallel_sgemm_bias(bias_ctx, false, false, M, N, K, A.data(), K, B.data(), N, bias.data(), accumulate,
                                         beside.data(), N, relu_beside.data());
                cpu::parallel_sgemm_bias(bias_ctx, false, false, M, N, K, A.data(), K, B.data(), N, bias.data(), accumulate,
                                         in_place.data(), N, in_place.data());
                EXPECT_SAME_SUMS(beside, two_steps, "GEMM beside a fused ReLU differs (M=%d N=%d accumulate %d)", M, N,
                                 accumulate);
                EXPECT_SAME_SUMS(relu_beside, relu_pass, "fused ReLU GEMM differs (M=%d N=%d accumulate %d)", M, N,
                                 accumulate);
                EXPECT_SAME_SUMS(in_place, relu_pass, "in-place fused ReLU GEMM differs (M=%d N=%d accumulate %d)", M, N,
                                 accumulate);
            }
    // A weight gradient with A^T's rows from a source (row by row, as a masked convolution
    // gathers them) gives the bits of the stored A^T, on the active kernel and split over threads.
    struct StoredRows final : cpu::TransposedRows {
        const float* a;
        int m;
        const float* row(int64_t k, int i0, int i1, float* scratch) const override {
            std::copy(a + k * m + i0, a + k * m + i1, scratch);  // through scratch, as a gather writes
            return scratch;
        }
    };
    for (int M : {3, 40, 130})
        for (int N : {20, 64, 70}) {
            const int K = 300;
            const Floats A = uniform(static_cast<size_t>(K) * M, -1, 1), B = uniform(static_cast<size_t>(K) * N, -1, 1);
            Floats stored(static_cast<size_t>(M) * N), from_rows(stored.size(), 5.0f), scratch(static_cast<size_t>(K) * M);
            StoredRows rows;
            rows.a = A.data();
            rows.m = M;
            cpu::parallel_sgemm(bias_ctx, true, false, M, N, K, A.data(), M, B.data(), N, 0.0f, stored.data(), N);
            cpu::parallel_sgemm_rows_tn(bias_ctx, M, N, K, rows, B.data(), N, from_rows.data(), N, scratch.data());
            EXPECT_SAME_SUMS(from_rows, stored, "GEMM from A^T rows differs from the stored A^T (M=%d N=%d)", M, N);
        }
    std::printf("active gemm: %s\n", cpu::gemm_description().c_str());
    // The threaded split (rows, or columns when M is small) gives the single call's result.
    pixelcnn::ThreadPool pool(3);
    cpu::Context ctx{&pool};
    for (int M : {5, 200})
        for (int ta = 0; ta < 2; ++ta) {
            const int N = 70, K = 90;
            const Floats A = uniform(static_cast<size_t>(M) * K, -1, 1), B = uniform(static_cast<size_t>(K) * N, -1, 1);
            Floats one(static_cast<size_t>(M) * N), split(one.size());
            cpu::sgemm(ta, false, M, N, K, A.data(), ta ? M : K, B.data(), N, 0.0f, one.data(), N);
            cpu::parallel_sgemm(ctx, ta, false, M, N, K, A.data(), ta ? M : K, B.data(), N, 0.0f, split.data(), N);
            EXPECT_SAME_SUMS(split, one, "parallel_sgemm differs from sgemm (M=%d ta=%d)", M, ta);
        }
}

// ------------------------------------------------------------------------- convolutions

struct ConvCase {
    const char* name;
    int in, out;
    MaskSpec mask;
};

static std::vector<ConvCase> conv_cases() {
    return {
        {"3x3 B", 4, 5, MaskSpec::square(3, MaskType::B, 1)},
        {"5x5 A", 2, 6, MaskSpec::square(5, MaskType::A, 1)},
        {"7x7 A colour", 3, 6, MaskSpec::square(7, MaskType::A, 3)},
        {"3x3 B colour", 6, 9, MaskSpec::square(3, MaskType::B, 3)},
        {"1x1 B", 5, 7, MaskSpec::square(1, MaskType::B, 1)},
        {"1x1 B colour", 6, 12, MaskSpec::square(1, MaskType::B, 3)},
        // Gated PixelCNN's stacks: a 2 x 3 vertical kernel over the rows above (anchor below
        // it, every tap live), and a 1 x 2 horizontal kernel ending at the pixel.
        {"2x3 vertical", 4, 4, MaskSpec{2, 3, 2, 1, MaskType::Full, 1}},
        {"1x2 horizontal A colour", 3, 6, MaskSpec{1, 2, 0, 1, MaskType::A, 3}},
        {"1x2 horizontal B", 4, 4, MaskSpec{1, 2, 0, 1, MaskType::B, 1}},
    };
}

// Random packed weight with its masked centre entries at zero (the engine's invariant).
static Floats conv_weight(const MaskedConv& conv) {
    Floats w = uniform(static_cast<size_t>(conv.weight_size()), -0.5f, 0.5f);
    conv.zero_masked_centre(w.data());
    return w;
}

// The fast op of the conv's kind.
static void fast_forward(const cpu::Context& ctx, const MaskedConv& conv, const Floats& w, const Floats& b,
                         const Floats& in, Floats& out, Shape s, bool accumulate) {
    Floats col(static_cast<size_t>(pixelcnn::net::conv_scratch_floats(conv, s.positions())) + 1);
    if (conv.pointwise()) {
        cpu::conv1x1_forward(ctx, conv, w.data(), b.data(), in.data(), out.data(), s, accumulate, nullptr);
    } else {
        cpu::masked_conv_forward(ctx, conv, w.data(), b.data(), in.data(), out.data(), s, accumulate, col.data(),
                                 nullptr);
    }
}

static void fast_backward(const cpu::Context& ctx, const MaskedConv& conv, const Floats& w, const Floats& in,
                          const Floats& dout, Floats& din, bool din_accumulate, Floats& dw, Floats& db, Shape s) {
    Floats col(static_cast<size_t>(pixelcnn::net::conv_scratch_floats(conv, s.positions())) + 1);
    Floats ones(static_cast<size_t>(s.positions()), 1.0f);
    if (conv.pointwise()) {
        cpu::conv1x1_backward(ctx, conv, w.data(), in.data(), dout.data(), din.data(), din_accumulate, false,
                              dw.data(), db.data(), s, ones.data());
    } else {
        cpu::masked_conv_backward(ctx, conv, w.data(), in.data(), dout.data(), din.data(), din_accumulate, dw.data(),
                                  db.data(), s, col.data(), ones.data());
    }
}

static void check_conv_against_reference(const cpu::Context& ctx, const ConvCase& cc) {
    const MaskedConv conv = pixelcnn::net::make_masked_conv(cc.in, cc.out, cc.mask);
    const Shape s{2, 6, 5};
    const size_t P = static_cast<size_t>(s.positions());
    const Floats w = conv_weight(conv), b = uniform(conv.out_channels, -0.5f, 0.5f);
    const Floats in = uniform(P * cc.in, -1, 1), dout = uniform(P * cc.out, -1, 1);
    const Doubles wd = widen(w), bd = widen(b), ind = widen(in), doutd = widen(dout);
    for (int accumulate = 0; accumulate < 2; ++accumulate) {
        const Floats start = uniform(P * cc.out, -1, 1);
        Floats out(start);
        Doubles want = widen(start);
        fast_forward(ctx, conv, w, b, in, out, s, accumulate);
        ref::masked_conv_forward<double>(conv, wd.data(), bd.data(), ind.data(), want.data(), s, accumulate);
        // Sums of at most 7*7*3 = 147 float products of magnitude <= 0.5: float rounding stays
        // below 1e-6 absolute (measured 2.4e-7); 1e-5 + 1e-5 relative is ten times that.
        EXPECT_CLOSE(out, want, 1e-5, 1e-5, "%s forward (accumulate %d)", cc.name, accumulate);
    }
    for (int accumulate = 0; accumulate < 2; ++accumulate) {
        const Floats din_start = uniform(P * cc.in, -1, 1);
        Floats din(din_start), dw(static_cast<size_t>(conv.weight_size())), db(cc.out);
        Doubles din_want = widen(din_start), dw_want(dw.size()), db_want(db.size());
        fast_backward(ctx, conv, w, in, dout, din, accumulate, dw, db, s);
        ref::masked_conv_backward<double>(conv, wd.data(), ind.data(), doutd.data(), din_want.data(), accumulate,
                                          dw_want.data(), db_want.data(), s);
        // Weight and bias gradients sum over all 60 positions (products <= 1), input gradients
        // over taps x outputs: float rounding measured below 1e-6; tolerance 1e-5 + 1e-5 relative.
        EXPECT_CLOSE(dw, dw_want, 1e-5, 1e-5, "%s dweight", cc.name);
        EXPECT_CLOSE(db, db_want, 1e-5, 1e-5, "%s dbias", cc.name);
        EXPECT_CLOSE(din, din_want, 1e-5, 1e-5, "%s dinput (accumulate %d)", cc.name, accumulate);
    }
    // Masked centre entries of the weight gradient are exactly zero.
    if (conv.centre_live) {
        Floats din(P * cc.in), dw(static_cast<size_t>(conv.weight_size())), db(cc.out);
        fast_backward(ctx, conv, w, in, dout, din, false, dw, db, s);
        const size_t centre = static_cast<size_t>(conv.taps - 1) * cc.in * cc.out;
        for (int q = 0; q < cc.in; ++q)
            for (int o = 0; o < cc.out; ++o)
                if (!conv.centre_pair_live(q, o))
                    EXPECT(dw[centre + static_cast<size_t>(q) * cc.out + o] == 0.0f,
                           "%s: masked gradient (%d, %d) nonzero", cc.name, q, o);
    }
}

// L = sum(out * R) for fixed random R; its gradients are the backward op's with dout = R. The
// convolution is linear in every argument, so central differences are exact but for rounding:
// error ~ 1e-16 * |L| / h with |L| <~ 100 and h = 1e-4, about 1e-10; tolerance 1e-8 + 1e-8
// relative.
static void check_conv_finite_differences(const ConvCase& cc) {
    const MaskedConv conv = pixelcnn::net::make_masked_conv(cc.in, cc.out, cc.mask);
    const Shape s{2, 4, 5};
    const size_t P = static_cast<size_t>(s.positions());
    Doubles w = widen(conv_weight(conv)), b = widen(uniform(cc.out, -0.5f, 0.5f)), in = widen(uniform(P * cc.in, -1, 1));
    const Doubles R = widen(uniform(P * cc.out, -1, 1));
    auto loss = [&] {
        Doubles out(P * cc.out);
        ref::masked_conv_forward<double>(conv, w.data(), b.data(), in.data(), out.data(), s, false);
        double L = 0;
        for (size_t i = 0; i < out.size(); ++i) L += out[i] * R[i];
        return L;
    };
    Doubles din(in.size()), dw(w.size()), db(b.size());
    ref::masked_conv_backward<double>(conv, w.data(), in.data(), R.data(), din.data(), false, dw.data(), db.data(), s);
    auto numeric = [&](Doubles& x) { return central_differences(x, 1e-4, loss); };
    // Masked centre weights: the reference skips them, so their numeric gradient is 0 too.
    EXPECT_CLOSE(dw, numeric(w), 1e-8, 1e-8, "%s dweight vs finite differences", cc.name);
    EXPECT_CLOSE(db, numeric(b), 1e-8, 1e-8, "%s dbias vs finite differences", cc.name);
    EXPECT_CLOSE(din, numeric(in), 1e-8, 1e-8, "%s dinput vs finite differences", cc.name);
}

// The cached sampler's ops at one position: gather the live taps from a ring of rows, multiply
// the columns of one channel group, and compare with the reference's full output there.
static void check_conv_at(const ConvCase& cc) {
    const MaskedConv conv = pixelcnn::net::make_masked_conv(cc.in, cc.out, cc.mask);
    if (cc.mask.type == MaskType::Full) return;  // reads later columns: not a per-position op
    const Shape s{3, 5, 6};
    const size_t P = static_cast<size_t>(s.positions());
    const Floats w = conv_weight(conv), b = uniform(cc.out, -0.5f, 0.5f), in = uniform(P * cc.in, -1, 1);
    Doubles want(P * cc.out);
    const Doubles wd = widen(w), bd = widen(b), ind = widen(in);
    ref::masked_conv_forward<double>(conv, wd.data(), bd.data(), ind.data(), want.data(), s, false);
    // The whole image as the "ring" (rows = height): every row it needs is there.
    pixelcnn::CacheView view{const_cast<float*>(in.data()), s.height, s.width, cc.in};
    const int64_t col_stride = conv.packed_rows();
    Floats col(static_cast<size_t>(s.count) * col_stride), out(static_cast<size_t>(s.count) * cc.out);
    Doubles got_all, want_all;
    for (int y = 0; y < s.height; ++y)
        for (int x = 0; x < s.width; ++x)
            for (int g = 0; g < cc.mask.groups; ++g) {
                const float* a;
                int64_t lda;
                if (conv.pointwise()) {
                    a = view.at(0, y, x);
                    lda = view.image_stride();
                } else {
                    cpu::masked_conv_gather_at(conv, view, 0, s.count, y, x, col.data(), col_stride);
                    a = col.data();
                    lda = col_stride;
                }
                const int width = cc.out / cc.mask.groups;
                cpu::conv_at(conv, w.data(), b.data(), a, lda, out.data(), cc.out, s.count, g * width,
                             (g + 1) * width, false, nullptr);
                // The same columns in two pieces (a sampling team's split) give the same bits.
                Floats halves(out.size(), 0.0f);
                const int mid = g * width + width / 2;
                cpu::conv_at(conv, w.data(), b.data(), a, lda, halves.data(), cc.out, s.count, g * width, mid, false,
                             nullptr);
                cpu::conv_at(conv, w.data(), b.data(), a, lda, halves.data(), cc.out, s.count, mid, (g + 1) * width,
                             false, nullptr);
                for (int n = 0; n < s.count; ++n)
                    for (int o = g * width; o < (g + 1) * width; ++o)
                        EXPECT(halves[static_cast<size_t>(n) * cc.out + o] == out[static_cast<size_t>(n) * cc.out + o],
                               "%s conv_at split at column %d differs at (%d, %d)", cc.name, mid, n, o);
                for (int n = 0; n < s.count; ++n)
                    for (int o = g * width; o < (g + 1) * width; ++o) {
                        got_all.push_back(out[static_cast<size_t>(n) * cc.out + o]);
                        want_all.push_back(want[((static_cast<size_t>(n) * s.height + y) * s.width + x) * cc.out + o]);
                    }
            }
    // Same sums as the forward check: tolerance 1e-5 + 1e-5 relative.
    EXPECT_CLOSE(got_all, want_all, 1e-5, 1e-5, "%s conv_at", cc.name);
}

// ------------------------------------------------------------------- the other ops

// The masked convolution's forward, which reads its taps from the input in place (Im2col) where
// the AVX-512 kernel runs, gives the bits of an im2col written out and multiplied: 3x3 and 7x7
// kernels, channels enough for the implicit path, rows of several blocks, with the bias, the
// residual and the fused ReLU.
static void check_implicit_im2col(const cpu::Context& ctx) {
    for (const MaskSpec& mask : {MaskSpec::square(3, MaskType::B, 1), MaskSpec::square(7, MaskType::A, 3)}) {
        const MaskedConv conv = pixelcnn::net::make_masked_conv(48, 72, mask);
        const Shape s{2, 13, 17};
        const int64_t P = s.positions();
        const int k_total = static_cast<int>(conv.packed_rows());
        const Floats w = conv_weight(conv), b = uniform(72, -0.5f, 0.5f), in = uniform(static_cast<size_t>(P) * 48, -1, 1);
        Floats col(static_cast<size_t>(P) * k_total, 0.0f);
        for (int64_t p = 0; p < P; ++p) {
            const int64_t n = p / (s.height * s.width);
            const int y = static_cast<int>(p / s.width % s.height), x = static_cast<int>(p % s.width);
            for (int t = 0; t < conv.taps; ++t) {
                const int sy = y + conv.tap_dy[t], sx = x + conv.tap_dx[t];
                if (sy < 0 || sy >= s.height || sx < 0 || sx >= s.width) continue;
                for (int c = 0; c < 48; ++c)
                    col[static_cast<size_t>(p) * k_total + t * 48 + c] = in[((n * s.height + sy) * s.width + sx) * 48 + c];
            }
        }
        for (int accumulate = 0; accumulate < 2; ++accumulate) {
            const Floats start = uniform(static_cast<size_t>(P) * 72, -1, 1);
            Floats written(start), relu_written(start.size()), fast(start), relu_fast(start.size());
            cpu::sgemm_bias(false, false, static_cast<int>(P), 72, k_total, col.data(), k_total, w.data(), 72, b.data(),
                            accumulate, written.data(), 72, relu_written.data());
            Floats scratch(static_cast<size_t>(pixelcnn::net::conv_scratch_floats(conv, P)) + 1);
            cpu::masked_conv_forward(ctx, conv, w.data(), b.data(), in.data(), fast.data(), s, accumulate, scratch.data(),
                                     relu_fast.data());
            EXPECT_SAME_SUMS(fast, written, "masked conv forward (taps %d) differs from the written im2col (accumulate %d)",
                             conv.taps, accumulate);
            EXPECT_SAME_SUMS(relu_fast, relu_written, "fused ReLU of the masked conv (taps %d) differs (accumulate %d)",
                             conv.taps, accumulate);
        }
    }
}

// A 1 x 1 convolution's input gradient through the ReLU that made its input (the backward walk
// fuses the two) gives the bits of the two ops one after the other, on the rows of several
// blocks, written and added.
static void check_conv1x1_through_relu(const cpu::Context& ctx) {
    const MaskedConv conv = pixelcnn::net::make_masked_conv(40, 24, MaskSpec::square(1, MaskType::B, 1));
    const Shape s{3, 10, 13};
    const size_t P = static_cast<size_t>(s.positions());
    const Floats w = conv_weight(conv), pre = uniform(P * 40, -1, 1), dout = uniform(P * 24, -1, 1);
    Floats in(pre.size());
    cpu::relu_forward(ctx, pre.data(), in.data(), static_cast<int64_t>(in.size()));
    const Floats ones(P, 1.0f);
    for (int accumulate = 0; accumulate < 2; ++accumulate) {
        const Floats start = uniform(P * 40, -1, 1);
        Floats dw(static_cast<size_t>(conv.weight_size())), db(24), dw2(dw.size()), db2(24);
        Floats d_relu_out(P * 40), two_ops(start), fused(start);
        cpu::conv1x1_backward(ctx, conv, w.data(), in.data(), dout.data(), d_relu_out.data(), false, false, dw.data(),
                              db.data(), s, ones.data());
        cpu::relu_backward(ctx, in.data(), d_relu_out.data(), two_ops.data(), static_cast<int64_t>(P * 40), accumulate);
        cpu::conv1x1_backward(ctx, conv, w.data(), in.data(), dout.data(), fused.data(), accumulate, true, dw2.data(),
                              db2.data(), s, ones.data());
        EXPECT_SAME_SUMS(fused, two_ops, "1x1 input gradient through the ReLU differs (accumulate %d)", accumulate);
        EXPECT(dw2 == dw && db2 == db, "1x1 weight gradients differ between the two calls (accumulate %d)", accumulate);
    }
}

// The gated unit tanh(a) * sigmoid(b): the kernel against the double reference (float rounding
// of two transcendentals and a product: measured below 2e-7; tolerance 1e-6 + 1e-6 relative),
// the reference's backward against central differences, the same bits on one thread or two,
// and finite answers for large pre-activations.
// The gate's own tanh (cpu/gate_math.h) over a dense sweep and special values, through the gate
// with its sigmoid input at 40 (sigmoid exactly 1): within 2e-7 of tanh in double, relative
// 1e-6 below 0.25 (where tanh(x) ~ x may be tiny), odd, NaN kept. 37 channels: full vectors and
// a masked tail.
static void check_gate_tanh(const cpu::Context& ctx) {
    const int F = 37;
    Floats xs;
    for (int i = -(1 << 15); i <= (1 << 15); ++i) xs.push_back(12.0f * i / (1 << 15));
    for (float v : {0.0f, -0.0f, 1e-30f, -1e-8f, 1e-40f, 0.2499999f, 0.25f, 8.999f, 9.0f, 30.0f, -1e30f,
                    INFINITY, -INFINITY})
        xs.push_back(v);
    while (xs.size() % F != 0) xs.push_back(0.5f);
    const int64_t P = static_cast<int64_t>(xs.size()) / F;
    Floats in(P * 2 * F, 40.0f), out(P * F);
    for (int64_t p = 0; p < P; ++p)
        for (int j = 0; j < F; ++j) in[p * 2 * F + j] = xs[p * F + j];
    cpu::gate_forward(ctx, in.data(), out.data(), P, F);
    double worst_abs = 0, worst_rel_small = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
        const double want = std::tanh(static_cast<double>(xs[i]));
        const double err = std::fabs(out[i] - want);
        keep_worst(worst_abs, err);
        if (std::fabs(xs[i]) < 0.25 && want != 0) keep_worst(worst_rel_small, err / std::fabs(want));
        EXPECT(std::signbit(out[i]) == std::signbit(xs[i]), "tanh(%g) = %g has the wrong sign", xs[i], out[i]);
    }
    std::printf("gate tanh over %zu values: worst absolute error %.2e, worst relative below 0.25 %.2e\n", xs.size(),
                worst_abs, worst_rel_small);
    EXPECT(worst_abs <= 2e-7 && worst_rel_small <= 1e-6, "gate tanh: absolute %g, relative %g", worst_abs,
           worst_rel_small);
    Floats nan_in(2 * F, 40.0f), nan_out(F);
    nan_in[3] = NAN;
    cpu::gate_forward(ctx, nan_in.data(), nan_out.data(), 1, F);
    EXPECT(std::isnan(nan_out[3]) && !std::isnan(nan_out[4]), "gate tanh: NaN not kept");
}

static void check_gate(const cpu::Context& ctx) {
    const int F = 6;
    const int64_t P = 301;
    Floats in = uniform(P * 2 * F, -3, 3);
    in[0] = 60.0f;    // tanh saturates
    in[F] = -120.0f;  // sigmoid underflows towards 0
    in[F + 1] = 120.0f;
    const Floats dout = uniform(P * F, -1, 1), start = uniform(P * 2 * F, -1, 1);
    Floats out(P * F);
    cpu::gate_forward(ctx, in.data(), out.data(), P, F);
    const Doubles in_d = widen(in), dout_d = widen(dout);
    Doubles want(P * F);
    ref::gate_forward<double>(in_d.data(), want.data(), P, F);
    EXPECT_CLOSE(widen(out), want, 1e-6, 1e-6, "gate forward (F=%d)", F);
    for (int accumulate = 0; accumulate < 2; ++accumulate) {
        Floats din(start);
        cpu::gate_backward(ctx, in.data(), dout.data(), din.data(), P, F, accumulate);
        Doubles din_want = widen(start);
        ref::gate_backward<double>(in_d.data(), dout_d.data(), din_want.data(), P, F, accumulate);
        EXPECT_CLOSE(widen(din), din_want, 1e-6, 1e-6, "gate backward (accumulate %d)", accumulate);
        for (float v : din) EXPECT(std::isfinite(v), "gate backward not finite (accumulate %d)", accumulate);
    }
    pixelcnn::ThreadPool one(1);
    const cpu::Context single{&one};
    Floats out_one(P * F);
    cpu::gate_forward(single, in.data(), out_one.data(), P, F);
    EXPECT(out_one == out, "gate forward depends on the thread count");
    // d/d(in) of sum(out * dout), in double.
    Doubles x = widen(uniform(7 * 2 * F, -2, 2)), y(7 * F), dx(7 * 2 * F);
    const Doubles dy = widen(uniform(7 * F, -1, 1));
    ref::gate_backward<double>(x.data(), dy.data(), dx.data(), 7, F, false);
    auto loss = [&] {
        ref::gate_forward<double>(x.data(), y.data(), 7, F);
        double total = 0;
        for (size_t i = 0; i < y.size(); ++i) total += y[i] * dy[i];
        return total;
    };
    EXPECT_CLOSE(dx, central_differences(x, 1e-5, loss), 1e-8, 1e-6, "gate reference backward vs differences (F=%d)", F);
    check_gate_tanh(ctx);
}

static void check_relu(const cpu::Context& ctx) {
    const int64_t n = 10007;
    const Floats in = uniform(n, -1, 1), dout = uniform(n, -1, 1), start = uniform(n, -1, 1);
    Floats out(n), want(n);
    cpu::relu_forward(ctx, in.data(), out.data(), n);
    ref::relu_forward<float>(in.data(), want.data(), n);
    EXPECT(out == want, "relu forward differs from the reference");  // exact: one comparison each
    for (int accumulate = 0; accumulate < 2; ++accumulate) {
        Floats din(start), din_want(start);
        cpu::relu_backward(ctx, out.data(), dout.data(), din.data(), n, accumulate);
        ref::relu_backward<float>(out.data(), dout.data(), din_want.data(), n, accumulate);
        EXPECT(din == din_want, "relu backward differs from the reference (accumulate %d)", accumulate);
    }
    // In place, as the graph runs it.
    Floats inplace(in);
    cpu::relu_forward(ctx, inplace.data(), inplace.data(), n);
    EXPECT(inplace == want, "in-place relu differs");
    // relu_at: columns 3..7 of 4 rows with different strides.
    Floats src = uniform(4 * 11, -1, 1), dst(4 * 9, 5.0f);
    cpu::relu_at(src.data(), 11, dst.data(), 9, 4, 3, 5);
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 9; ++c) {
            const float expected = c >= 3 && c < 8 ? std::max(src[r * 11 + c], 0.0f) : 5.0f;
            EXPECT(dst[r * 9 + c] == expected, "relu_at (%d, %d)", r, c);
        }
    // Finite differences of the reference away from the kink: d relu(x)/dx = [x > 0].
    const Doubles x = widen(uniform(100, -1, 1));
    Doubles y(100), dy(100, 1.0), dx(100);
    ref::relu_forward<double>(x.data(), y.data(), 100);
    ref::relu_backward<double>(y.data(), dy.data(), dx.data(), 100, false);
    for (int i = 0; i < 100; ++i) {
        if (std::fabs(x[i]) < 1e-3) continue;
        const double h = 1e-6, up = std::max(x[i] + h, 0.0), down = std::max(x[i] - h, 0.0);
        EXPECT(std::fabs((up - down) / (2 * h) - dx[i]) <= 1e-9, "relu gradient at %g", x[i]);
    }
}

static std::vector<unsigned char> random_images(Shape s, int channels, int levels) {
    std::vector<unsigned char> img(static_cast<size_t>(s.positions()) * channels);
    for (auto& v : img) v = static_cast<unsigned char>(rng() % levels);
    return img;
}

static void check_encode(const cpu::Context& ctx) {
    const Shape s{3, 4, 5};
    const auto img = random_images(s, 3, 256);
    Floats x(img.size()), want(img.size());
    cpu::encode_input(ctx, img.data(), x.data(), s, 3, 1.0f / 255);
    ref::encode_input<float>(img.data(), want.data(), s, 3, 1.0f / 255);
    EXPECT(x == want, "encode_input differs from the reference");  // one product each: exact
}

static void check_losses(const cpu::Context& ctx) {
    const Shape s{2, 3, 4};
    // Logits within 4 of 0, and within 60 (where most of a softmax's exp terms underflow).
    for (float spread : {4.0f, 60.0f})
    for (int channels : {1, 3})
        for (int levels : {2, 5, 256}) {
            const bool bernoulli = levels == 2;
            const int out = bernoulli ? channels : channels * levels;
            const auto img = random_images(s, channels, levels);
            const Floats logits = uniform(static_cast<size_t>(s.positions()) * out, -spread, spread);
            const float scale = 0.25f;
            Doubles rows(static_cast<size_t>(s.count) * s.height), rows_want(rows.size());
            Floats d(logits.size());
            Doubles d_want(logits.size()), ld = widen(logits);
            if (bernoulli) {
                cpu::bernoulli_nll(ctx, logits.data(), img.data(), s, channels, rows.data(), d.data(), scale);
                ref::bernoulli_nll<double>(ld.data(), img.data(), s, channels, rows_want.data(), d_want.data(), scale);
            } else {
                cpu::categorical_nll(ctx, logits.data(), img.data(), s, channels, levels, rows.data(), d.data(), scale);
                ref::categorical_nll<double>(ld.data(), img.data(), s, channels, levels, rows_want.data(), d_want.data(),
                                             scale);
            }
            // The fast ops compute each term in float (a 256-way log-sum-exp of logits up to 60):
            // relative error measured below 1e-6 per row of 4 to 12 terms; tolerance 1e-5 + 1e-5
            // relative. Gradients are probabilities times 0.25: 1e-6 + 1e-4 relative.
            EXPECT_CLOSE(rows, rows_want, 1e-5, 1e-5, "nll rows C=%d levels=%d", channels, levels);
            EXPECT_CLOSE(d, d_want, 1e-6, 1e-4, "dlogits C=%d levels=%d", channels, levels);
            // The reference gradient against central differences of its total nats (smooth:
            // error ~ h^2 |f'''| ~ 1e-10 for h = 1e-5; tolerance 1e-8 + 1e-6 relative).
            auto total = [&] {
                Doubles r(rows.size());
                if (bernoulli) {
                    ref::bernoulli_nll<double>(ld.data(), img.data(), s, channels, r.data(), nullptr, 1.0);
                } else {
                    ref::categorical_nll<double>(ld.data(), img.data(), s, channels, levels, r.data(), nullptr, 1.0);
                }
                double t = 0;
                for (double v : r) t += v;
                return t;
            };
            if (spread > 4.0f) continue;  // the finite-difference check of the reference needs one spread
            Doubles numeric = central_differences(ld, 1e-5, total);
            for (double& g : numeric) g *= scale;
            EXPECT_CLOSE(d_want, numeric, 1e-8, 1e-6, "reference dlogits vs finite differences C=%d levels=%d",
                         channels, levels);
        }
}

static void check_adam(const cpu::Context& ctx) {
    const int64_t n = 5000;
    for (long long step : {1LL, 2LL, 50LL})
        for (float clip : {1.0f, 0.3f}) {
            pixelcnn::AdamStep a;
            a.learning_rate = 1e-3;
            a.step = step;
            a.grad_scale = clip;
            const Floats grad = uniform(n, -1, 1);
            Floats p = uniform(n, -1, 1), m = uniform(n, -0.1f, 0.1f), v = uniform(n, 0.0f, 0.01f);
            Floats p2(p), m2(m), v2(v);
            cpu::adam_update(ctx, p.data(), grad.data(), m.data(), v.data(), n, a);
            ref::adam_update(p2.data(), grad.data(), m2.data(), v2.data(), n, a);
            // float against double arithmetic of the same formula. The first moment adds two
            // terms of up to 0.1 that may cancel, so its float rounding is absolute: 0.1 * 2^-24
            // = 6e-9 per term (measured worst 1e-8); tolerance 5e-8 + 1e-6 relative. The second
            // adds positive terms (1e-9 + 1e-6 relative); parameters round p - update with
            // |p| <= 1 (6e-8 absolute; tolerance 2e-7 + 1e-6 relative).
            EXPECT_CLOSE(m, m2, 5e-8, 1e-6, "adam first moment, step %lld", step);
            EXPECT_CLOSE(v, v2, 1e-9, 1e-6, "adam second moment, step %lld", step);
            EXPECT_CLOSE(p, p2, 2e-7, 1e-6, "adam parameters, step %lld", step);
        }
    const Floats x = uniform(100003, -1, 1);
    const double got = cpu::sum_squares(ctx, x.data(), static_cast<int64_t>(x.size()));
    const double want = ref::sum_squares(x.data(), static_cast<int64_t>(x.size()));
    // Double sums of 1e5 terms in two orders: 1e-12 relative is far above their rounding.
    EXPECT(std::fabs(got - want) <= 1e-12 * want, "sum_squares %.17g vs %.17g", got, want);
}

static void check_masks() {
    // The 7x7 type A mask keeps the 24 taps before the centre; type B also the centre.
    const MaskedConv a = pixelcnn::net::make_masked_conv(1, 4, MaskSpec::square(7, MaskType::A, 1));
    const MaskedConv b = pixelcnn::net::make_masked_conv(1, 4, MaskSpec::square(3, MaskType::B, 1));
    EXPECT(a.taps == 24 && !a.centre_live, "7x7 A: %d taps, centre %d", a.taps, a.centre_live);
    EXPECT(b.taps == 5 && b.centre_live, "3x3 B: %d taps, centre %d", b.taps, b.centre_live);
    // Colour: at the centre, R -> G -> B for type A (3 of 9 group pairs), plus the diagonal for B.
    const MaskedConv ca = pixelcnn::net::make_masked_conv(3, 3, MaskSpec::square(1, MaskType::A, 3));
    const MaskedConv cb = pixelcnn::net::make_masked_conv(3, 3, MaskSpec::square(1, MaskType::B, 3));
    double live_a = 0, live_b = 0;
    for (int q = 0; q < 3; ++q)
        for (int o = 0; o < 3; ++o) {
            EXPECT(ca.centre_pair_live(q, o) == (q < o), "colour A centre pair (%d, %d)", q, o);
            EXPECT(cb.centre_pair_live(q, o) == (q <= o), "colour B centre pair (%d, %d)", q, o);
            live_a += ca.centre_pair_live(q, o);
            live_b += cb.centre_pair_live(q, o);
        }
    EXPECT(live_a == 3 && live_b == 6, "colour centre masks: %g and %g live pairs", live_a, live_b);
    EXPECT(ca.live_macs() == 3 && cb.live_macs() == 6, "colour 1x1 live MACs %g, %g", ca.live_macs(), cb.live_macs());
    // Wider groups (6 inputs in groups of 2, 9 outputs in groups of 3): input q is in group q / 2,
    // output o in group o / 3.
    const MaskedConv wa = pixelcnn::net::make_masked_conv(6, 9, MaskSpec::square(3, MaskType::A, 3));
    double wide_live = 0;
    for (int q = 0; q < 6; ++q)
        for (int o = 0; o < 9; ++o) {
            EXPECT(wa.centre_pair_live(q, o) == (q / 2 < o / 3), "6->9 A centre pair (%d, %d)", q, o);
            wide_live += wa.centre_pair_live(q, o);
        }
    EXPECT(wa.live_macs() == 4 * 6 * 9 + wide_live, "6->9 A live MACs %g", wa.live_macs());
    // The vertical stack kernel: every tap above, none in the pixel's row.
    const MaskedConv v = pixelcnn::net::make_masked_conv(2, 2, MaskSpec{2, 3, 2, 1, MaskType::Full, 1});
    bool above = true;
    for (int t = 0; t < v.taps; ++t) above = above && v.tap_dy[t] < 0;
    EXPECT(v.taps == 6 && above && !v.centre_live, "2x3 vertical: %d taps", v.taps);
}

// The engine's own CPUID reading (the one MSVC builds use too) against the compiler's.
static void check_cpu_features() {
    const pixelcnn::CpuFeatures& f = pixelcnn::cpu_features();
    std::printf("cpu features: avx512f %d, dq %d, bw %d, vl %d\n", f.avx512f, f.avx512dq, f.avx512bw, f.avx512vl);
#if defined(PCNN_X86_64) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    EXPECT(f.avx512f == (__builtin_cpu_supports("avx512f") != 0), "avx512f");
    EXPECT(f.avx512dq == (__builtin_cpu_supports("avx512dq") != 0), "avx512dq");
    EXPECT(f.avx512bw == (__builtin_cpu_supports("avx512bw") != 0), "avx512bw");
    EXPECT(f.avx512vl == (__builtin_cpu_supports("avx512vl") != 0), "avx512vl");
#elif !defined(PCNN_X86_64)
    EXPECT(!f.avx512f && !f.avx512dq && !f.avx512bw && !f.avx512vl, "AVX-512 reported off x86-64");
#endif
}

int main() {
    check_cpu_features();
    pixelcnn::ThreadPool pool(2);
    const cpu::Context ctx{&pool};
    check_masks();
    check_gemm();
    for (const ConvCase& cc : conv_cases()) {
        check_conv_against_reference(ctx, cc);
        check_conv_finite_differences(cc);
        check_conv_at(cc);
    }
    std::printf("convolutions: %zu kernels against the reference and finite differences\n", conv_cases().size());
    check_relu(ctx);
    check_gate(ctx);
    check_conv1x1_through_relu(ctx);
    check_implicit_im2col(ctx);
    check_encode(ctx);
    check_losses(ctx);
    check_adam(ctx);
    std::printf("worst error over all checks: %.3g of its tolerance\n", worst_seen);
    return test_exit_code("test_ops");
}
