# FindOpenBLASPresets: the OpenBLAS shipped in org.bytedeco:openblas, for the platform being built.
#
# Maven unpacks org/bytedeco/openblas/<platform>/** from the openblas classifier jar into
# target/openblas and passes that platform folder as OPENBLAS_ROOT. The jar's own
# OpenBLASConfig.cmake names files the jar does not ship (lib/libopenblas.so; the library is
# libopenblas.so.0 at the platform root), so this module looks for the files itself, by the names
# each platform's jar uses, under OPENBLAS_ROOT only: a system OpenBLAS must never be picked up,
# or the engine would bind to a different library than the one JavaCPP loads at run time.
# NO_CMAKE_FIND_ROOT_PATH: a cross toolchain's CMAKE_FIND_ROOT_PATH_MODE_* ONLY would otherwise
# re-root OPENBLAS_ROOT under the target's sysroot and find nothing.
#
# No header is needed: cpu/blas.cpp declares the few functions it calls (the jar's
# openblas_config.h does not compile as C++ with GCC 12 for arm64).
#
#   platform        run-time library (IMPORTED_LOCATION)   link-time file
#   linux-*         libopenblas.so.0                       the same
#   macosx-*        libopenblas.0.dylib                    the same
#   windows-x86_64  libopenblas.dll                        lib/openblas.lib (IMPORTED_IMPLIB)
#
# Input:   OPENBLAS_ROOT (cache path or environment variable)
# Output:  OpenBLASPresets_FOUND, OpenBLAS_LIBRARY (the run-time library), OpenBLAS_IMPLIB
#          (Windows), OpenBLAS_LIBRARY_DIR, IMPORTED target OpenBLAS::OpenBLAS

if(NOT OPENBLAS_ROOT AND DEFINED ENV{OPENBLAS_ROOT})
    set(OPENBLAS_ROOT "$ENV{OPENBLAS_ROOT}")
endif()
set(OPENBLAS_ROOT "${OPENBLAS_ROOT}" CACHE PATH
    "pixelcnn: platform folder of the unpacked org.bytedeco:openblas jar")

if(WIN32)
    set(_openblas_runtime_name libopenblas.dll)
elseif(APPLE)
    set(_openblas_runtime_name libopenblas.0.dylib)
else()
    set(_openblas_runtime_name libopenblas.so.0)
endif()

# find_file, not find_library: the names are exact file names, versioned on Linux and macOS.
find_file(OpenBLAS_LIBRARY
    NAMES ${_openblas_runtime_name}
    PATHS "${OPENBLAS_ROOT}"
    PATH_SUFFIXES "" lib bin
    NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
set(_openblas_required OpenBLAS_LIBRARY)
if(WIN32)
    find_file(OpenBLAS_IMPLIB
        NAMES openblas.lib
        PATHS "${OPENBLAS_ROOT}"
        PATH_SUFFIXES lib ""
        NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
    list(APPEND _openblas_required OpenBLAS_IMPLIB)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenBLASPresets
    REQUIRED_VARS ${_openblas_required}
    REASON_FAILURE_MESSAGE
        "set OPENBLAS_ROOT to org/bytedeco/openblas/<platform> unpacked from the openblas jar of the platform being built, holding ${_openblas_runtime_name} (mvn initialize does it)")

if(OpenBLASPresets_FOUND AND NOT TARGET OpenBLAS::OpenBLAS)
    add_library(OpenBLAS::OpenBLAS SHARED IMPORTED)
    get_filename_component(OpenBLAS_LIBRARY_DIR "${OpenBLAS_LIBRARY}" DIRECTORY)
    set_target_properties(OpenBLAS::OpenBLAS PROPERTIES IMPORTED_LOCATION "${OpenBLAS_LIBRARY}")
    if(WIN32)
        set_target_properties(OpenBLAS::OpenBLAS PROPERTIES IMPORTED_IMPLIB "${OpenBLAS_IMPLIB}")
    else()
        set_target_properties(OpenBLAS::OpenBLAS PROPERTIES IMPORTED_SONAME "${_openblas_runtime_name}")
    endif()
endif()

unset(_openblas_runtime_name)
unset(_openblas_required)
mark_as_advanced(OpenBLAS_LIBRARY OpenBLAS_IMPLIB)
