package org.pixelcnn4j.engine;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Namespace;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.StdString;

/**
 * Runs before OpenBLAS loads and picks its fastest kernels for this CPU (see
 * native/include/pixelcnn/blas_setup.h). Its JNI library does not depend on OpenBLAS. Internal:
 * {@code org.pixelcnn4j.NativeLoader} calls it once, unless the system property
 * {@code pixelcnn4j.blas.kernels} is {@code keep}.
 */
@Platform(include = "pixelcnn/blas_setup.h", compiler = "cpp17")
@Namespace("pixelcnn")
public final class BlasSetup {
    static {
        Loader.load();
    }

    private BlasSetup() {
    }

    /** @return what was done, e.g. "set OPENBLAS_CORETYPE=SkylakeX" */
    public static native @StdString String prefer_avx512_blas_kernels();
}
