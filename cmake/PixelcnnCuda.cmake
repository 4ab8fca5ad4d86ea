# The optional CUDA backend: PIXELCNN_CUDA=ON compiles native/src/cuda/ with nvcc; with
# PIXELCNN_CUDA_EMULATE=ON the same sources are compiled as C++ against a host emulation of the
# CUDA runtime (src/cuda/emulate.h), for testing the backend on machines without a GPU. Not
# included at all when both are off, so a CPU build never spends time on CUDA detection.
#
# Facts this relies on: with CMake 3.25 and nvcc 13 the architectures must be set before
# enable_language(CUDA); linking cudart statically keeps libcudart.so out of the run-time
# dependencies, and without a driver cudaGetDeviceCount returns an error instead of crashing.

if(PIXELCNN_CUDA AND PIXELCNN_CUDA_EMULATE)
    message(FATAL_ERROR "PIXELCNN_CUDA and PIXELCNN_CUDA_EMULATE exclude each other: build them in two folders")
endif()

if(PIXELCNN_CUDA)
    include(CheckLanguage)
    check_language(CUDA)
    if(NOT CMAKE_CUDA_COMPILER)
        message(FATAL_ERROR
            "PIXELCNN_CUDA is ON but no CUDA compiler was found: put nvcc on PATH or set "
            "CMAKE_CUDA_COMPILER, or configure with -DPIXELCNN_CUDA=OFF")
    endif()
    # Ampere (A100, sm_80), Ada (sm_89) and Hopper (H100/H200, sm_90) as machine code, and PTX
    # for sm_90 so that newer GPUs compile it at load time.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
        set(CMAKE_CUDA_ARCHITECTURES "80-real;89-real;90" CACHE STRING "pixelcnn: CUDA architectures to build for")
    endif()
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
endif()

# pixelcnn_add_cuda(<target>): adds native/src/cuda/*.cu and *.cpp and the CUDA runtime (or
# its emulation).
function(pixelcnn_add_cuda target)
    file(GLOB _cuda_kernels CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/src/cuda/*.cu")
    file(GLOB _cuda_host CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/src/cuda/*.cpp")
    if(NOT _cuda_kernels)
        message(FATAL_ERROR "native/src/cuda/ holds no kernels")
    endif()
    target_sources(${target} PRIVATE ${_cuda_kernels} ${_cuda_host})
    target_compile_definitions(${target} PUBLIC PIXELCNN_WITH_CUDA=1)
    if(PIXELCNN_CUDA_EMULATE)
        target_compile_definitions(${target} PUBLIC PIXELCNN_CUDA_EMULATE=1)
        # The kernels as C++ (gcc would take a .cu file for linker input without -x).
        set_source_files_properties(${_cuda_kernels} PROPERTIES LANGUAGE CXX COMPILE_OPTIONS "-xc++")
        return()
    endif()
    # --fmad=false: no multiply-add is fused unless written (the GEMMs' fmaf), so the gate's tanh
    # and Adam's update round as the CPU's do.
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--fmad=false -Xcompiler=-fPIC>)
    target_link_libraries(${target} PRIVATE CUDA::cudart_static)
    set_target_properties(${target} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF)
endfunction()
