#include "memory.h"

#include <cstdio>
#include <cstdlib>

#include "check.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <unistd.h>
#endif

namespace pixelcnn {

uint64_t physical_memory_bytes() {
#if defined(_WIN32)
    MEMORYSTATUSEX status;
    status.dwLength = sizeof(status);
    return GlobalMemoryStatusEx(&status) ? static_cast<uint64_t>(status.ullTotalPhys) : 0;
#else
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page_size <= 0) return 0;
    return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
#endif
}

void* aligned_allocate(size_t alignment, size_t bytes) {
#if defined(_WIN32)
    return _aligned_malloc(bytes, alignment);
#else
    return std::aligned_alloc(alignment, bytes);
#endif
}

void aligned_free(void* p) {
#if defined(_WIN32)
    _aligned_free(p);
#else
    std::free(p);
#endif
}

std::string format_bytes(double bytes) {
    static const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    char text[64];
    if (bytes < 1024.0) {
        std::snprintf(text, sizeof(text), "%.0f bytes", bytes);
        return text;
    }
    int unit = -1;
    while (bytes >= 1024.0 && unit < 5) {
        bytes /= 1024.0;
        ++unit;
    }
    std::snprintf(text, sizeof(text), bytes >= 1e4 ? "%.3g %s" : "%.1f %s", bytes, units[unit]);
    return text;
}

void require_memory(double bytes, const std::string& what) {
    const uint64_t physical = physical_memory_bytes();
    if (physical == 0) return;  // unknown: leave it to the allocator
    PCNN_REQUIRE(bytes <= static_cast<double>(physical),
                 "memory: " << what << " needs " << format_bytes(bytes) << ", more than the "
                            << format_bytes(static_cast<double>(physical)) << " of memory this machine has");
}

}  // namespace pixelcnn
