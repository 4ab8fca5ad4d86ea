// The CUDA entry points of an engine built without the CUDA backend (PIXELCNN_CUDA=OFF): no
// devices, and a model asked for one says which build has them.
#if !defined(PIXELCNN_WITH_CUDA)
#include <stdexcept>

#include "backend.h"
#include "core/check.h"
#include "pixelcnn/pixelcnn.h"

namespace pixelcnn {

namespace {
const char* const kNoCuda =
    "this pixelcnn4j engine was built without the CUDA backend; use the linux-x86_64-gpu classifier "
    "(or build with -DPIXELCNN_CUDA=ON)";
}

std::unique_ptr<Backend> make_cuda_backend(int device) {
    PCNN_REQUIRE(false, "cuda:" << device << ": " << kNoCuda);
    return nullptr;
}

bool cuda_built() { return false; }
int cuda_device_count() { return 0; }
std::string cuda_unavailable_reason() { return kNoCuda; }

std::string cuda_device_name(int index) {
    PCNN_REQUIRE(false, "cuda:" << index << ": " << kNoCuda);
    return "";
}

long long cuda_device_memory(int index) {
    PCNN_REQUIRE(false, "cuda:" << index << ": " << kNoCuda);
    return 0;
}

long long cuda_device_free_memory(int index) {
    PCNN_REQUIRE(false, "cuda:" << index << ": " << kNoCuda);
    return 0;
}

int cuda_device_capability(int index) {
    PCNN_REQUIRE(false, "cuda:" << index << ": " << kNoCuda);
    return 0;
}

}  // namespace pixelcnn
#endif
