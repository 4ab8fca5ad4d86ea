// Memory bounds checked before the engine allocates: an absurd configuration or batch must end
// in a clear error, not in an allocation that the kernel grants lazily and then kills the
// process for (Linux overcommits, and every buffer is zeroed, so every page gets touched).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace pixelcnn {

/// Physical memory of this machine in bytes (0 if the system does not say).
uint64_t physical_memory_bytes();

/// "1.5 GiB", "64.0 MiB", "3 bytes".
std::string format_bytes(double bytes);

/// Throws std::invalid_argument "memory: <what> needs X, more than the Y of memory this
/// machine has" if `bytes` exceeds physical memory. The "memory:" prefix names the problem the
/// way check_config names a field (Java maps it to IllegalArgumentException at creation).
void require_memory(double bytes, const std::string& what);

/// `bytes` (a multiple of `alignment`, a power of two) aligned to `alignment`, or null; freed
/// with aligned_free. std::aligned_alloc where the C library has it, _aligned_malloc on Windows
/// (whose free cannot release aligned blocks).
void* aligned_allocate(size_t alignment, size_t bytes);
void aligned_free(void* p);

}  // namespace pixelcnn
