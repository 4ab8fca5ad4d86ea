// The C++ tests' one check macro: EXPECT(cond, printf-style message) records a failure and goes
// on, so one run reports every broken check; test_exit_code() turns the count into the exit code
// CTest reads.
#pragma once

#include <cstdio>

static int failures = 0;

#define EXPECT(cond, ...)                                                        \
    do {                                                                         \
        if (!(cond)) {                                                           \
            ++failures;                                                          \
            std::fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            std::fprintf(stderr, __VA_ARGS__);                                   \
            std::fprintf(stderr, "\n");                                          \
        }                                                                        \
    } while (0)

// worst = the larger of worst and e, a NaN sticking: an error that is NaN must fail the check it
// feeds (std::fmax would drop it). Also what aarch64 GCC 12 compiles: its vectoriser crashes on
// an fmax reduction over floats widened to double at -O3.
inline void keep_worst(double& worst, double e) {
    if (worst == worst && !(e <= worst)) worst = e;
}

// 0 when every check passed, else 1 after saying how many failed.
inline int test_exit_code(const char* test) {
    if (failures) {
        std::fprintf(stderr, "%s: %d check(s) failed\n", test, failures);
        return 1;
    }
    std::printf("%s: all checks passed\n", test);
    return 0;
}
