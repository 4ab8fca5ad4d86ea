# The optional CUDA backend (PIXELCNN_CUDA=ON). Not included at all when the option is off, so a
# CPU build never spends time on CUDA detection.
#
# Facts this relies on: with CMake 3.25 and nvcc 13 the architectures must be set before
# enable_language(CUDA); linking cudart statically keeps libcudart.so out of the run-time
# dependencies, and without a driver cudaGetDeviceCount returns an error instead of crashing.

include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
    message(FATAL_ERROR
        "PIXELCNN_CUDA is ON but no CUDA compiler was found: put nvcc on PATH or set "
        "CMAKE_CUDA_COMPILER, or configure with -DPIXELCNN_CUDA=OFF")
endif()
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "pixelcnn: CUDA architectures to build for")
endif()
enable_language(CUDA)
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
find_package(CUDAToolkit REQUIRED)

# pixelcnn_add_cuda(<target>): adds native/src/cuda/*.cu and *.cpp and the CUDA runtime.
function(pixelcnn_add_cuda target)
    file(GLOB _cuda_sources CONFIGURE_DEPENDS
        "${PROJECT_SOURCE_DIR}/src/cuda/*.cu"
        "${PROJECT_SOURCE_DIR}/src/cuda/*.cpp")
    if(NOT _cuda_sources)
        message(WARNING "PIXELCNN_CUDA is ON but native/src/cuda/ holds no sources")
    endif()
    target_sources(${target} PRIVATE ${_cuda_sources})
    target_compile_definitions(${target} PUBLIC PIXELCNN_WITH_CUDA=1)
    target_link_libraries(${target} PRIVATE CUDA::cudart_static)
    set_target_properties(${target} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF)
endfunction()
