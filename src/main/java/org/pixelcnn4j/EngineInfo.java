package org.pixelcnn4j;

import org.pixelcnn4j.engine.global.pixelcnn;

/**
 * Facts about the native engine in this process: version, BLAS kernels and threads, and a
 * reference sgemm speed for efficiency figures.
 *
 * <pre>{@code
 * System.out.println(EngineInfo.version() + ", " + EngineInfo.blas());
 * }</pre>
 */
public final class EngineInfo {
    private EngineInfo() {
    }

    /** @return the engine's version, e.g. "0.1.0 (cpu)" */
    public static String version() {
        return NativeLoader.engineVersion();
    }

    /**
     * @return the GEMM kernel in use and the BLAS the engine was built with, e.g. "pixelcnn AVX-512
     *     kernel (BLAS: OpenBLAS SkylakeX, 1 thread)"; the engine keeps the BLAS single-threaded
     */
    public static String blas() {
        NativeLoader.load();
        return pixelcnn.blas_info();
    }

    /**
     * @return what pixelcnn4j did about OpenBLAS's kernel choice before OpenBLAS loaded, e.g.
     *     "set OPENBLAS_CORETYPE=SkylakeX" or "kept: OpenBLAS already loaded"
     */
    public static String blasSetup() {
        return NativeLoader.blasSetup();
    }

    /**
     * Measures OpenBLAS's own multithreaded sgemm, the practical peak of the CPU (the engine's GEMM
     * split over a pool of {@code threads} when it was built without OpenBLAS).
     *
     * @param size matrix size n of an n x n x n product (2048 is a good choice)
     * @param threads threads for this measurement (OpenBLAS's own, or the engine's pool)
     * @param repetitions timed runs after one warm-up; the median is returned
     * @return GFLOP/s
     */
    public static double sgemmGflops(int size, int threads, int repetitions) {
        NativeLoader.load();
        return pixelcnn.measure_sgemm_gflops(size, threads, repetitions);
    }
}
