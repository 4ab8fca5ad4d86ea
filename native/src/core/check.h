// Error checks that become C++ exceptions (JavaCPP hands them to Java as RuntimeException with
// the same message). The engine never calls exit() or abort() on bad input.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace pixelcnn {

// Thrown for bad arguments: the message names the argument, the value and what was expected.
[[noreturn]] inline void fail_argument(const std::string& message) {
    throw std::invalid_argument(message);
}

// Thrown for broken internal invariants; carries the expression and its location.
[[noreturn]] inline void fail_internal(const char* expr, const char* func, const char* file,
                                       int line) {
    std::ostringstream os;
    os << "pixelcnn internal error: " << expr << " failed in " << func << " (" << file << ":"
       << line << ")";
    throw std::logic_error(os.str());
}

}  // namespace pixelcnn

// PCNN_REQUIRE(cond, "message " << value): argument validation with a streamed message.
#define PCNN_REQUIRE(cond, msg)                                  \
    do {                                                         \
        if (!(cond)) {                                           \
            std::ostringstream pcnn_os_;                         \
            pcnn_os_ << msg;                                     \
            ::pixelcnn::fail_argument(pcnn_os_.str());           \
        }                                                        \
    } while (0)

// PCNN_ASSERT(cond): internal invariant, kept in release builds (cheap, and a throw beats a crash).
#define PCNN_ASSERT(cond)                                                              \
    do {                                                                               \
        if (!(cond)) ::pixelcnn::fail_internal(#cond, __func__, __FILE__, __LINE__);   \
    } while (0)
