#include "thread_pool.h"

#include <algorithm>

namespace pixelcnn {

int hardware_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(std::min(n, static_cast<unsigned>(kMaxThreads)));
}

ThreadPool::ThreadPool(int threads) : threads_(std::min(std::max(1, threads), kMaxThreads)) {
    // The calling thread is worker 0, so threads_ - 1 background workers.
    for (int w = 1; w < threads_; ++w) workers_.emplace_back([this, w] { worker_loop(w); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
}

static void part_range(int64_t begin, int64_t end, int parts, int part, int64_t* lo, int64_t* hi) {
    int64_t n = end - begin;
    *lo = begin + n * part / parts;
    *hi = begin + n * (part + 1) / parts;
}

void ThreadPool::parallel_for(int64_t begin, int64_t end,
                              const std::function<void(int64_t, int64_t)>& fn, int64_t min_grain) {
    if (end <= begin) return;
    int64_t n = end - begin;
    int parts = static_cast<int>(std::min<int64_t>(threads_, std::max<int64_t>(1, n / std::max<int64_t>(1, min_grain))));
    if (parts <= 1) {
        fn(begin, end);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = &fn;
        job_begin_ = begin;
        job_end_ = end;
        job_parts_ = parts;
        pending_ = parts - 1;
        error_ = nullptr;
        ++generation_;
    }
    wake_.notify_all();
    int64_t lo, hi;
    part_range(begin, end, parts, 0, &lo, &hi);
    std::exception_ptr mine;
    try {
        fn(lo, hi);
    } catch (...) {
        mine = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
}

void ThreadPool::worker_loop(int worker) {
    uint64_t seen = 0;
    for (;;) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        if (worker >= job_parts_) continue;  // this call uses fewer parts than workers
        const auto* fn = job_;
        int64_t lo, hi;
        part_range(job_begin_, job_end_, job_parts_, worker, &lo, &hi);
        lock.unlock();
        std::exception_ptr err;
        try {
            (*fn)(lo, hi);
        } catch (...) {
            err = std::current_exception();
        }
        lock.lock();
        if (err && !error_) error_ = err;
        if (--pending_ == 0) done_.notify_one();
    }
}

}  // namespace pixelcnn
