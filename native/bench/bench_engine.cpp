// Quick engine-only timing (no LibTorch): training step, likelihood and naive sampling of the
// fm-binary / fm-256 reference models. The side-by-side benchmark against LibTorch is separate;
// this one exists for profiling (perf, callgrind) and for the GPU machine, which has no Java.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "pixelcnn/pixelcnn.h"

static double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int main(int argc, char** argv) {
    const bool categorical = argc > 1 && std::strcmp(argv[1], "fm-256") == 0;
    const int batch = argc > 2 ? std::atoi(argv[2]) : 32;
    const int reps = argc > 3 ? std::atoi(argv[3]) : 5;
    pixelcnn::Config cfg;
    if (categorical) {
        cfg.head = pixelcnn::HEAD_CATEGORICAL;
        cfg.levels = 256;
    }
    pixelcnn::Model model(cfg);
    std::mt19937 gen(1);
    std::vector<unsigned char> images(static_cast<size_t>(batch) * 28 * 28);
    for (auto& v : images) v = static_cast<unsigned char>(gen() % cfg.levels);
    pixelcnn::AdamConfig adam;
    model.train_step(images.data(), batch, adam);  // warm-up: sizes the buffers
    std::vector<double> times;
    for (int r = 0; r < reps; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        model.train_step(images.data(), batch, adam);
        times.push_back(seconds_since(t0));
    }
    std::sort(times.begin(), times.end());
    std::printf("%s train batch %d: median %.3f s/step (%.1f images/s), min %.3f max %.3f\n",
                categorical ? "fm-256" : "fm-binary", batch, times[reps / 2],
                batch / times[reps / 2], times.front(), times.back());
    std::vector<double> nll(batch);
    times.clear();
    for (int r = 0; r < reps; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        model.log_likelihood(images.data(), batch, nll.data());
        times.push_back(seconds_since(t0));
    }
    std::sort(times.begin(), times.end());
    std::printf("likelihood batch %d: median %.4f s (%.1f images/s)\n", batch, times[reps / 2],
                batch / times[reps / 2]);
    return 0;
}
