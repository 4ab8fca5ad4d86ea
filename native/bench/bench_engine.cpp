// Engine-only timings (no LibTorch) of the reference models fm-binary, fm-256 and rgb-32:
//   train       training step at a batch size
//   sample      cached sampling vs naive sampling vs one forward pass (the limit ratio)
// Used for profiling (perf, callgrind) and on the GPU machine, which has no Java. The
// side-by-side benchmark against LibTorch lives in the Java benchmark.
//
//   bench_engine sample [fm-binary|fm-256|rgb-32] [batch] [reps] [naive_rows]
//   bench_engine train  [fm-binary|fm-256|rgb-32] [batch] [reps]
// Times are medians over reps after one warm-up; naive sampling is timed over naive_rows rows
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

#include "pixelcnn/pixelcnn.h"

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

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "sample";
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
    } else if (model_name != "fm-binary") {
        std::fprintf(stderr, "unknown model %s: expected fm-binary, fm-256 or rgb-32\n", model_name.c_str());
        return 2;
    }
    pixelcnn::Model model(cfg);
    const size_t image = static_cast<size_t>(cfg.channels) * cfg.height * cfg.width;
    std::mt19937 gen(1);
    std::vector<unsigned char> images(image * batch);
    for (auto& v : images) v = static_cast<unsigned char>(gen() % cfg.levels);

    if (mode == "train") {
        pixelcnn::AdamConfig adam;
        Stats s = repeat(reps, [&] { model.train_step(images.data(), batch, adam); });
        std::printf("%s train batch %d: %.4f s/step median (min %.4f, max %.4f), %.1f images/s\n",
                    model_name.c_str(), batch, s.median, s.min, s.max, batch / s.median);
        return 0;
    }
    if (mode != "sample") {
        std::fprintf(stderr, "unknown mode %s: expected sample or train\n", mode.c_str());
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
    std::printf("%s batch %d: forward %.4f s (min %.4f max %.4f); cached sampling %.3f s (min %.3f max %.3f), "
                "%.1f images/s; naive sampling %.1f s (from %d row(s)); cached/naive speed-up %.0fx; "
                "limit ratio (cached / forward) %.2f\n",
                model_name.c_str(), batch, forward.median, forward.min, forward.max, cached.median,
                cached.min, cached.max, batch / cached.median, naive, naive_rows, naive / cached.median,
                cached.median / forward.median);
    return 0;
}
