# Cross build for windows-x86_64 on a Debian machine with MinGW-w64 (g++-mingw-w64-x86-64-posix:
# the posix thread model, which has std::thread and std::mutex), tests run under Wine (wine64):
# ctest starts each test through CMAKE_CROSSCOMPILING_EMULATOR.
#   cmake -S native -B build-windows -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/windows-x86_64-mingw.cmake ...
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Debian installs the 64-bit loader outside PATH.
find_program(PIXELCNN_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(PIXELCNN_WINE)
    set(CMAKE_CROSSCOMPILING_EMULATOR "${PIXELCNN_WINE}")
endif()
