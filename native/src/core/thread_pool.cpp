#include "thread_pool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#if defined(__linux__)
#include <sched.h>
#endif

#include "spin.h"

namespace pixelcnn {

namespace {

int spin_micros() {
    static const int micros = [] {
        const char* v = std::getenv("PIXELCNN4J_SPIN_US");
        return v ? std::min(1000000, std::max(0, std::atoi(v))) : ThreadPool::kSpinMicros;  // at most 1 s
    }();
    return micros;
}

// Spins until done() or the spin time has passed; true if done() came true. Every 64 pauses
// it reads the clock (tens of nanoseconds), calls `check` (the worker's placement check), and
// yields: a thread that shares this CPU with us (the one we wait for, perhaps) then runs, and
// where none does the yield returns at once.
template <typename Done, typename Check>
bool spin_until(Done done, Check check) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_micros());
    for (int64_t spins = 1;; ++spins) {
        if (done()) return true;
        spin_pause();
        if (spins % 64 == 0) {
            if (std::chrono::steady_clock::now() > deadline) return done();
            check();
            std::this_thread::yield();
        }
    }
}

void part_range(int64_t begin, int64_t end, int parts, int part, int64_t* lo, int64_t* hi) {
    const int64_t n = end - begin;
    *lo = begin + n * part / parts;
    *hi = begin + n * (part + 1) / parts;
}

int current_cpu() {
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
}

// Moves the calling thread off `cpu` and leaves its affinity as it was: a nudge, not a pin. (A
// change of this thread's affinity by someone else between the two calls would be undone.)
// Why: a worker woken by the caller is often placed on the caller's CPU (the scheduler's
// wake-affine choice), and two threads that take turns on one CPU stay there, because both are
// always cache-hot; the second CPU then idles and a call costs what one thread would (measured:
// batch-1 forward 5.3 ms on one CPU, 2.5 ms on two).
void move_off_cpu(int cpu) {
#if defined(__linux__)
    cpu_set_t allowed;
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return;
    cpu_set_t others = allowed;
    CPU_CLR(cpu, &others);
    if (CPU_COUNT(&others) == 0) return;
    if (sched_setaffinity(0, sizeof(others), &others) == 0) sched_setaffinity(0, sizeof(allowed), &allowed);
#else
    (void)cpu;
#endif
}

}  // namespace

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
        stopping_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
}

void ThreadPool::parallel_for(int64_t begin, int64_t end,
                              const std::function<void(int64_t, int64_t)>& fn, int64_t min_grain) {
    if (end <= begin) return;
    const int64_t n = end - begin;
    const int parts =
        static_cast<int>(std::min<int64_t>(threads_, std::max<int64_t>(1, n / std::max<int64_t>(1, min_grain))));
    if (parts <= 1) {
        fn(begin, end);
        return;
    }
    job_ = &fn;
    job_begin_ = begin;
    job_end_ = end;
    job_parts_ = parts;
    error_ = nullptr;
    caller_cpu_.store(current_cpu(), std::memory_order_relaxed);
    pending_.store(threads_ - 1, std::memory_order_relaxed);
    {
        // Under the mutex, so a worker about to sleep either sees the new generation or is
        // already waiting when notify_all comes.
        std::lock_guard<std::mutex> lock(mutex_);
        generation_.fetch_add(1, std::memory_order_release);
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
    const auto all_done = [this] { return pending_.load(std::memory_order_acquire) == 0; };
    if (!spin_until(all_done, [] {})) {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, all_done);
    }
    job_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
}

void ThreadPool::worker_loop(int worker) {
    uint64_t seen = 0;
    const auto woken = [&] {
        return stopping_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
    };
    const auto keep_off_caller = [this] {
        const int cpu = current_cpu();
        if (cpu >= 0 && cpu == caller_cpu_.load(std::memory_order_relaxed)) move_off_cpu(cpu);
    };
    for (;;) {
        if (!spin_until(woken, keep_off_caller)) {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, woken);
        }
        if (stopping_.load(std::memory_order_acquire)) return;
        seen = generation_.load(std::memory_order_acquire);
        keep_off_caller();
        if (worker < job_parts_) {
            int64_t lo, hi;
            part_range(job_begin_, job_end_, job_parts_, worker, &lo, &hi);
            try {
                (*job_)(lo, hi);
            } catch (...) {
                std::lock_guard<std::mutex> lock(mutex_);
                if (!error_) error_ = std::current_exception();
            }
        }
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            // The last one out: wake the caller if it went to sleep (under the mutex, so the
            // wake cannot fall between its check and its wait).
            std::lock_guard<std::mutex> lock(mutex_);
            done_.notify_one();
        }
    }
}

}  // namespace pixelcnn
