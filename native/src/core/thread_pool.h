// A small persistent thread pool: parallel_for splits [begin, end) into one contiguous range per
// worker; the calling thread is worker 0. It is the CPU backend's only source of threads: GEMMs
// are split across it too (cpu/gemm.h), with any BLAS kept single-threaded, so no second set of
// threads ever competes with it. Workers sleep on a condition variable between calls.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pixelcnn {

class ThreadPool {
public:
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threads() const { return threads_; }

    // Calls fn(lo, hi) on disjoint ranges covering [begin, end); returns when all are done.
    // Ranges are at least min_grain long so tiny loops stay on the calling thread.
    // The first exception thrown by fn is rethrown here.
    void parallel_for(int64_t begin, int64_t end, const std::function<void(int64_t, int64_t)>& fn,
                      int64_t min_grain = 1);

private:
    void worker_loop(int worker);

    int threads_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    const std::function<void(int64_t, int64_t)>* job_ = nullptr;
    int64_t job_begin_ = 0, job_end_ = 0;
    int job_parts_ = 0;
    uint64_t generation_ = 0;
    int pending_ = 0;
    bool stopping_ = false;
    std::exception_ptr error_;
};

// The most threads a pool has (the engine's configuration allows no more).
const int kMaxThreads = 1024;

// Hardware threads, at least 1 and at most kMaxThreads.
int hardware_threads();

}  // namespace pixelcnn
