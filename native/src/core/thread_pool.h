// A small persistent thread pool: parallel_for splits [begin, end) into one contiguous range per
// worker; the calling thread is worker 0. It is the CPU backend's only source of threads: GEMMs
// are split across it too (cpu/gemm.h), with any BLAS kept single-threaded, so no second set of
// threads ever competes with it.
//
// Waiting spins first, then sleeps: a forward pass at batch 1 is about fifty calls a few
// microseconds apart, and waking a sleeping thread through the kernel cost 20 to 60 us a call
// here (measured), as much as the work of a call. A worker spins for kSpinMicros after its last
// job, then sleeps on a condition variable, so an idle engine (between API calls, or while
// another library runs) uses no CPU after a tenth of a millisecond. PIXELCNN4J_SPIN_US sets
// that time (0: sleep at once, for machines with more busy threads than CPUs).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
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

    // How long a waiting thread spins before it sleeps (PIXELCNN4J_SPIN_US overrides it).
    static const int kSpinMicros = 100;

private:
    void worker_loop(int worker);

    int threads_;
    std::vector<std::thread> workers_;
    // The job: written by the caller before it bumps generation_ (release), read by workers
    // after they see the bump (acquire), left alone until every worker has counted itself out
    // of pending_, so no worker ever reads a half-written job.
    const std::function<void(int64_t, int64_t)>* job_ = nullptr;
    int64_t job_begin_ = 0, job_end_ = 0;
    int job_parts_ = 0;
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> pending_{0};  // workers not yet done with the current job (all of them take part)
    std::atomic<bool> stopping_{false};
    std::atomic<int> caller_cpu_{-1};  // the CPU the caller published the job from (workers keep off it)
    // Sleeping: workers wait on wake_, the caller on done_, both under mutex_.
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    std::exception_ptr error_;  // the first worker exception of the job, under mutex_
};

// The most threads a pool has (the engine's configuration allows no more).
const int kMaxThreads = 1024;

// Hardware threads, at least 1 and at most kMaxThreads.
int hardware_threads();

}  // namespace pixelcnn
