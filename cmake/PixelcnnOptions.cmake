# Compiler settings shared by every pixelcnn target: the library, its tests and benchmarks.
#
# Floating point stays IEEE: no -ffast-math, because the tests compare the engine bitwise-ish
# against LibTorch. -march=native stays off by default, because the jar must run on any x86-64;
# kernels that want AVX2/FMA select them at run time (function attributes), not through global
# flags.

set(PIXELCNN_SANITIZE_VALUES OFF address undefined "address,undefined" thread)
set_property(CACHE PIXELCNN_SANITIZE PROPERTY STRINGS ${PIXELCNN_SANITIZE_VALUES})
if(NOT PIXELCNN_SANITIZE IN_LIST PIXELCNN_SANITIZE_VALUES)
    message(FATAL_ERROR
        "PIXELCNN_SANITIZE is '${PIXELCNN_SANITIZE}'; expected one of: ${PIXELCNN_SANITIZE_VALUES}")
endif()

# pixelcnn_target_options(<target>): warnings, math flags, architecture and sanitizers.
function(pixelcnn_target_options target)
    target_compile_features(${target} PRIVATE cxx_std_17)
    set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
    if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
        # -ffp-contract=off: no fused multiply-adds where the source has none. GCC in ISO C++ mode
        # already does this; Clang (Apple's too) fuses by default, which would change the bits the
        # tests hold equal across GEMM paths.
        target_compile_options(${target} PRIVATE
            $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -fno-math-errno -ffp-contract=off>)
        if(PIXELCNN_NATIVE_ARCH)
            target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
        endif()
        if(NOT PIXELCNN_SANITIZE STREQUAL "OFF")
            target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:
                -fsanitize=${PIXELCNN_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all>)
            target_link_options(${target} PRIVATE -fsanitize=${PIXELCNN_SANITIZE})
        endif()
        # Coverage for libFuzzer in every object the fuzz targets run through.
        if(PIXELCNN_FUZZ)
            if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
                message(FATAL_ERROR "PIXELCNN_FUZZ needs clang (CXX=clang++), not ${CMAKE_CXX_COMPILER_ID}")
            endif()
            target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link>)
        endif()
    elseif(MSVC)
        target_compile_options(${target} PRIVATE /W4 /permissive-)
    endif()
endfunction()
