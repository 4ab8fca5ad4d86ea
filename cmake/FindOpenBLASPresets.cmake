# FindOpenBLASPresets: CBLAS from the OpenBLAS shipped in org.bytedeco:openblas.
#
# Maven unpacks org/bytedeco/openblas/<platform>/** from the openblas classifier jar into
# target/openblas and passes that platform folder as OPENBLAS_ROOT. The jar's own
# OpenBLASConfig.cmake names lib/libopenblas.so, which the jar does not ship (the library is
# libopenblas.so.0 at the platform root), so this module looks for the files itself, under
# OPENBLAS_ROOT only: a system OpenBLAS must never be picked up, or the engine would bind to a
# different library than the one JavaCPP loads at run time.
#
# Input:   OPENBLAS_ROOT (cache path or environment variable)
# Output:  OpenBLASPresets_FOUND, OpenBLAS_INCLUDE_DIR, OpenBLAS_LIBRARY, OpenBLAS_LIBRARY_DIR,
#          IMPORTED target OpenBLAS::OpenBLAS (cblas.h plus the shared library)

if(NOT OPENBLAS_ROOT AND DEFINED ENV{OPENBLAS_ROOT})
    set(OPENBLAS_ROOT "$ENV{OPENBLAS_ROOT}")
endif()
set(OPENBLAS_ROOT "${OPENBLAS_ROOT}" CACHE PATH
    "pixelcnn: platform folder of the unpacked org.bytedeco:openblas jar")

find_path(OpenBLAS_INCLUDE_DIR
    NAMES cblas.h
    PATHS "${OPENBLAS_ROOT}"
    PATH_SUFFIXES include
    NO_DEFAULT_PATH)

# Windows and macOS jars name the library differently; list them so the module stays portable.
find_library(OpenBLAS_LIBRARY
    NAMES libopenblas.so.0 openblas libopenblas.0.dylib libopenblas
    PATHS "${OPENBLAS_ROOT}"
    PATH_SUFFIXES "" lib
    NO_DEFAULT_PATH)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenBLASPresets
    REQUIRED_VARS OpenBLAS_LIBRARY OpenBLAS_INCLUDE_DIR
    REASON_FAILURE_MESSAGE
        "set OPENBLAS_ROOT to org/bytedeco/openblas/<platform> unpacked from the openblas jar (mvn initialize does it)")

if(OpenBLASPresets_FOUND AND NOT TARGET OpenBLAS::OpenBLAS)
    add_library(OpenBLAS::OpenBLAS SHARED IMPORTED)
    get_filename_component(OpenBLAS_LIBRARY_DIR "${OpenBLAS_LIBRARY}" DIRECTORY)
    get_filename_component(_openblas_soname "${OpenBLAS_LIBRARY}" NAME)
    set_target_properties(OpenBLAS::OpenBLAS PROPERTIES
        IMPORTED_LOCATION "${OpenBLAS_LIBRARY}"
        IMPORTED_SONAME "${_openblas_soname}"
        INTERFACE_INCLUDE_DIRECTORIES "${OpenBLAS_INCLUDE_DIR}")
    unset(_openblas_soname)
endif()

mark_as_advanced(OpenBLAS_INCLUDE_DIR OpenBLAS_LIBRARY)
