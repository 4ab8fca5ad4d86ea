# What differs between the platforms the engine is built for (Linux, macOS and Windows; x86-64 and
# arm64; GCC, Clang, MinGW-w64 and MSVC), in one place. Cross builds: cmake/toolchains/.
#
#   pixelcnn_library_options(<target>)  the engine's shared library: its name and how it finds its
#                                       neighbours once installed beside the JNI library
#   pixelcnn_program_options(<target>)  a test, benchmark or fuzz program: how it finds the engine
#                                       and OpenBLAS in the build tree without any search path set

include(CheckCXXSourceCompiles)

# The engine's threads are std::thread and std::mutex. GCC 12's MinGW-w64 build with the win32
# thread model (Debian's plain x86_64-w64-mingw32-g++) has neither: say so here, not halfway
# through the build.
check_cxx_source_compiles("
#include <mutex>
#include <thread>
int main() { std::mutex m; std::lock_guard<std::mutex> hold(m); std::thread t([] {}); t.join(); }
" PIXELCNN_HAS_STD_THREADS)
if(NOT PIXELCNN_HAS_STD_THREADS)
    message(FATAL_ERROR "pixelcnn needs std::thread and std::mutex, which ${CMAKE_CXX_COMPILER} lacks. "
        "With MinGW-w64 use its posix thread model (x86_64-w64-mingw32-g++-posix, as "
        "cmake/toolchains/windows-x86_64-mingw.cmake does).")
endif()

# Windows has no RPATH: a program finds DLLs in its own folder, so every DLL and program of the
# build goes to one (and OpenBLAS is copied there, pixelcnn_library_options).
if(WIN32 AND NOT CMAKE_RUNTIME_OUTPUT_DIRECTORY)
    set(CMAKE_RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bin")
endif()

# MinGW-w64: GCC's runtime (libstdc++, libgcc, winpthread) goes inside each DLL and program. A
# Windows machine has none of those DLLs, and a jar's library must load with system DLLs only.
function(pixelcnn_static_runtime target)
    if(MINGW)
        target_link_options(${target} PRIVATE -static)
    endif()
endfunction()

function(pixelcnn_library_options target)
    if(WIN32)
        # JavaCPP's Loader looks for pixelcnn.dll (no lib prefix on Windows). MSVC exports nothing
        # unless told (MinGW exports every symbol of a DLL without dllexport on its own); the C++
        # tests call internal functions too, so everything is exported.
        set_target_properties(${target} PROPERTIES PREFIX "" IMPORT_PREFIX "" WINDOWS_EXPORT_ALL_SYMBOLS ON)
        if(MINGW)
            # Every symbol but those of the static runtime: exported, libgcc's unwinder would clash
            # with each program's own copy.
            target_link_options(${target} PRIVATE -Wl,--exclude-libs,ALL)
        endif()
        if(TARGET OpenBLAS::OpenBLAS)
            add_custom_command(TARGET ${target} POST_BUILD
                COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${OpenBLAS_LIBRARY}" "$<TARGET_FILE_DIR:${target}>"
                VERBATIM)
        endif()
    elseif(APPLE)
        set_target_properties(${target} PROPERTIES INSTALL_RPATH "@loader_path")
    else()
        set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN")
    endif()
    pixelcnn_static_runtime(${target})
endfunction()

function(pixelcnn_program_options target)
    if(NOT WIN32)
        set_target_properties(${target} PROPERTIES BUILD_RPATH "$<TARGET_FILE_DIR:pixelcnn>;${OpenBLAS_LIBRARY_DIR}")
    endif()
    pixelcnn_static_runtime(${target})
endfunction()
