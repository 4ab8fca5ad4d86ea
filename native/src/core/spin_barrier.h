// A barrier for the few threads of a team that meet thousands of times a second (the cached
// sampler's column team meets before every convolution of every pixel): waiting spins, with a
// pause, then yields, so a meeting costs well under a microsecond when all threads run, and a
// descheduled member does not leave the others burning a whole time slice. abort() releases
// every waiter, for a member that failed.
#pragma once

#include <atomic>
#include <thread>

#include "spin.h"

namespace pixelcnn {

class SpinBarrier {
public:
    explicit SpinBarrier(int parties) : parties_(parties) {}

    // False if the barrier was aborted (the caller should stop).
    bool wait() {
        const unsigned generation = generation_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == parties_) {
            arrived_.store(0, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_release);
            return !aborted_.load(std::memory_order_acquire);
        }
        for (int spins = 0; generation_.load(std::memory_order_acquire) == generation; ++spins) {
            if (aborted_.load(std::memory_order_acquire)) return false;
            if (spins < 4096) {
                spin_pause();
            } else {
                std::this_thread::yield();
            }
        }
        return !aborted_.load(std::memory_order_acquire);
    }

    void abort() { aborted_.store(true, std::memory_order_release); }
    bool aborted() const { return aborted_.load(std::memory_order_acquire); }

private:
    const int parties_;
    std::atomic<int> arrived_{0};
    std::atomic<unsigned> generation_{0};
    std::atomic<bool> aborted_{false};
};

}  // namespace pixelcnn
