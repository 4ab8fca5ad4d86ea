# PIXELCNN_BLAS=cblas: any CBLAS on the system (Debian's libblas-dev, OpenBLAS, MKL, ...), found
# by CMake's FindBLAS plus a cblas.h. The engine then calls only cblas_sgemm and cblas_sgemv
# (cpu/blas.cpp): no OpenBLAS thread control, so a multi-threaded BLAS must be told to use one
# thread by its own environment variable.
#
# Output: IMPORTED target Pixelcnn::CBLAS, CBLAS_LIBRARIES, CBLAS_INCLUDE_DIR

find_package(BLAS REQUIRED)
find_path(CBLAS_INCLUDE_DIR NAMES cblas.h PATH_SUFFIXES openblas blis)
if(NOT CBLAS_INCLUDE_DIR)
    message(FATAL_ERROR "PIXELCNN_BLAS=cblas: found a BLAS (${BLAS_LIBRARIES}) but no cblas.h; "
        "install the CBLAS headers (Debian: libblas-dev) or set CBLAS_INCLUDE_DIR")
endif()
# Some BLAS packages put the C interface in a library of its own.
find_library(CBLAS_EXTRA_LIBRARY NAMES cblas)
set(CBLAS_LIBRARIES ${BLAS_LIBRARIES})
if(CBLAS_EXTRA_LIBRARY)
    list(APPEND CBLAS_LIBRARIES ${CBLAS_EXTRA_LIBRARY})
endif()
add_library(Pixelcnn::CBLAS INTERFACE IMPORTED)
set_target_properties(Pixelcnn::CBLAS PROPERTIES
    INTERFACE_LINK_LIBRARIES "${CBLAS_LIBRARIES}"
    INTERFACE_INCLUDE_DIRECTORIES "${CBLAS_INCLUDE_DIR}")
mark_as_advanced(CBLAS_INCLUDE_DIR CBLAS_EXTRA_LIBRARY)
