// Engine-only timings (no LibTorch) of the reference models fm-binary, fm-256, rgb-32 and fm-gated:
//   train       training step at a batch size
//   sample      cached sampling vs naive sampling vs one forward pass (the limit ratio)
// Used for profiling (perf, callgrind) and on the GPU machine, which has no Java. The
// side-by-side benchmark against LibTorch lives in the Java benchmark.
//
//   bench_engine sample [fm-binary|fm-256|rgb-32|fm-gated] [batch] [reps] [naive_rows]
//   bench_engine train  [fm-binary|fm-256|rgb-32|fm-gated] [batch] [reps]
//   bench_engine likelihood [model] [batch] [reps]
//   bench_engine peak                the roofline's ceilings: FMA peak on 1 and 2 threads (an
//                                    AVX-512 loop of independent FMAs), the sgemm of the efficiency
//                                    figures, and the engine's GEMM on fm-binary's shapes
// PIXELCNN_BENCH_DEVICE=cuda:N runs the model on that GPU (native/tests/gpu/run.sh), else on the
// CPU. Times are medians over reps after one warm-up; naive sampling is timed over naive_rows rows
// (every row costs the same: width x channels full forward passes) and scaled to the image.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <thread>

#include "cpu/gemm.h"
#include "pixelcnn/cpu_features.h"
#include "pixelcnn/pixelcnn.h"

#if defined(PCNN_X86_64)
#include <immintrin.h>
#endif

static double time_once(const std::function<void()>& f) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Stats {
    double median, min, max;
};

static Stats repeat(int reps, const std::function<void()>& f) {
    f();  // warm-up
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) t.push_back(time_once(f));
    std::sort(t.begin(), t.end());
    return {t[t.size() / 2], t.front(), t.back()};
}

#if defined(PCNN_X86_64)
// GFLOP/s of 12 independent FMA chains (more than the FMA latency times the FMA ports needs),
// each starting elsewhere so that the compiler cannot merge them.
PCNN_AVX512_FN static double fma_chains(long iterations) {
    __m512 a[12];
    for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(1.0f + 0.1f * i);
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    const auto t0 = std::chrono::steady_clock::now();
    for (long n = 0; n < iterations; ++n)
        for (int i = 0; i < 12; ++i) a[i] = _mm512_fmadd_ps(a[i], m, c);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    float sink[16];
    __m512 sum = a[0];
    for (int i = 1; i < 12; ++i) sum = _mm512_add_ps(sum, a[i]);
    _mm512_storeu_ps(sink, sum);
    if (sink[0] == 12345.0f) std::printf(" ");  // keeps the chains alive
    return iterations * 12.0 * 32.0 / seconds / 1e9;
}
#endif

static int peak() {
#if defined(PCNN_X86_64)
    if (!pixelcnn::cpu_has_avx512f()) {
        std::printf("no AVX-512F on this CPU\n");
        return 0;
    }
    for (int threads : {1, 2}) {
        std::vector<double> rates(threads);
        std::vector<std::thread> team;
        for (int t = 0; t < threads; ++t) team.emplace_back([&rates, t] { rates[t] = fma_chains(300000000L); });
        for (auto& th : team) th.join();
        double total = 0;
        for (double r : rates) total += r;
        std::printf("FMA peak, %d thread(s): %.1f GFLOP/s\n", threads, total);
    }
#endif
    std::printf("sgemm 2048^3, 2 threads (the efficiency figures' peak): %.1f GFLOP/s\n",
                pixelcnn::measure_sgemm_gflops(2048, 2, 5));
    // The engine's GEMM, one thread, on fm-binary's shapes at batch 32 (one thread's half of the
    // positions): best of 9, after a warm-up.
    const int P = 32 * 784 / 2;
    struct Shape { const char* name; bool ta; int M, N, K; } shapes[] = {
        {"forward 3x3 (P x 320 . 320 x 64)", false, P, 64, 320},
        {"forward 1x1 64 -> 128", false, P, 128, 64},
        {"forward 1x1 128 -> 64", false, P, 64, 128},
        {"weight gradient 3x3 (320 x P . P x 64)", true, 320, 64, P},
    };
    for (const Shape& sh : shapes) {
        std::vector<float> a(static_cast<size_t>(sh.M) * sh.K, 0.5f), b(static_cast<size_t>(sh.K) * sh.N, 0.25f),
            c(static_cast<size_t>(sh.M) * sh.N);
        double best = 1e30;
        for (int r = 0; r < 10; ++r) {
            const auto t0 = std::chrono::steady_clock::now();
            pixelcnn::cpu::sgemm(sh.ta, false, sh.M, sh.N, sh.K, a.data(), sh.ta ? sh.M : sh.K, b.data(), sh.N, 0.0f,
                                 c.data(), sh.N);
            const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (r > 0) best = std::min(best, t);
        }
        std::printf("engine GEMM (%s), 1 thread: %.1f GFLOP/s\n", sh.name, 2.0 * sh.M * sh.N * sh.K / best / 1e9);
    }
    return 0;
}

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "sample";
    if (mode == "peak") return peak();
    const std::string model_name = argc > 2 ? argv[2] : "fm-binary";
    const int batch = argc > 3 ? std::atoi(argv[3]) : 16;
    const int reps = argc > 4 ? std::atoi(argv[4]) : 5;
    const int naive_rows = argc > 5 ? std::atoi(argv[5]) : 1;
    pixelcnn::Config cfg;
    if (model_name == "fm-256") {
        cfg.head = pixelcnn::HEAD_CATEGORICAL;
        cfg.levels = 256;
    } else if (model_name == "rgb-32") {
        cfg.head = pixelcnn::HEAD_CATEGORICAL;
        cfg.levels = 256;
        cfg.channels = 3;
        cfg.height = cfg.width = 32;
        cfg.hidden_channels = cfg.head_channels = 120;
        cfg.residual_channels = 60;
    } else if (model_name == "fm-gated") {
        cfg.arch = pixelcnn::ARCH_GATED;
        cfg.head = pixelcnn::HEAD_CATEGORICAL;
        cfg.levels = 256;
        cfg.hidden_channels = cfg.head_channels = 64;
        cfg.blocks = 8;
    } else if (model_name != "fm-binary") {
        std::fprintf(stderr, "unknown model %s: expected fm-binary, fm-256, rgb-32 or fm-gated\n", model_name.c_str());
        return 2;
    }
    const char* device = std::getenv("PIXELCNN_BENCH_DEVICE");
    if (device && std::strncmp(device, "cuda:", 5) == 0) cfg.cuda_device = std::atoi(device + 5);
    const std::string on = cfg.cuda_device >= 0 ? " on cuda:" + std::to_string(cfg.cuda_device) : "";
    pixelcnn::Model model(cfg);
    const size_t image = static_cast<size_t>(cfg.channels) * cfg.height * cfg.width;
    std::mt19937 gen(1);
    std::vector<unsigned char> images(image * batch);
    for (auto& v : images) v = static_cast<unsigned char>(gen() % cfg.levels);

    if (mode == "train") {
        pixelcnn::AdamConfig adam;
        Stats s = repeat(reps, [&] { model.train_step(images.data(), batch, adam); });
        std::printf("%s%s train batch %d: %.4f s/step median (min %.4f, max %.4f), %.1f images/s\n",
                    model_name.c_str(), on.c_str(), batch, s.median, s.min, s.max, batch / s.median);
        std::printf("RESULT train %s %d %.6f\n", model_name.c_str(), batch, batch / s.median);
        return 0;
    }
    if (mode == "likelihood") {
        std::vector<double> nll(batch);
        Stats s = repeat(reps, [&] { model.log_likelihood(images.data(), batch, nll.data()); });
        std::printf("%s%s likelihood batch %d: %.4f s median (min %.4f, max %.4f), %.1f images/s\n",
                    model_name.c_str(), on.c_str(), batch, s.median, s.min, s.max, batch / s.median);
        std::printf("RESULT likelihood %s %d %.6f\n", model_name.c_str(), batch, batch / s.median);
        return 0;
    }
    if (mode != "sample") {
        std::fprintf(stderr, "unknown mode %s: expected sample, train, likelihood or peak\n", mode.c_str());
        return 2;
    }
    std::vector<float> logits(static_cast<size_t>(batch) * model.logit_channels() * cfg.height * cfg.width);
    Stats forward = repeat(reps, [&] { model.logits(images.data(), batch, logits.data()); });
    std::vector<unsigned char> out(image * batch);
    pixelcnn::CachedSampler sampler(model, batch);
    Stats cached = repeat(reps, [&] {
        std::fill(out.begin(), out.end(), 0);
        sampler.reset();
        for (int y = 0; y < cfg.height; ++y) sampler.sample_row(out.data(), nullptr, y, 1, 0, 1.0f);
    });
    Stats naive_part = repeat(std::max(1, reps / 2), [&] {
        for (int y = 0; y < naive_rows; ++y) model.sample_row_naive(out.data(), nullptr, batch, y, 1, 0, 1.0f);
    });
    const double naive = naive_part.median * cfg.height / naive_rows;
    std::printf("%s%s batch %d: forward %.4f s (min %.4f max %.4f); cached sampling %.3f s (min %.3f max %.3f), "
                "%.1f images/s; naive sampling %.1f s (from %d row(s)); cached/naive speed-up %.0fx; "
                "limit ratio (cached / forward) %.2f\n",
                model_name.c_str(), on.c_str(), batch, forward.median, forward.min, forward.max, cached.median,
                cached.min, cached.max, batch / cached.median, naive, naive_rows, naive / cached.median,
                cached.median / forward.median);
    std::printf("RESULT sample %s %d %.6f %.6f\n", model_name.c_str(), batch, cached.median, naive);
    return 0;
}
