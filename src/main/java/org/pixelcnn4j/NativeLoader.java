package org.pixelcnn4j;

import org.bytedeco.javacpp.Loader;

/** Loads the native engine once, turning a missing native jar into a message that says what to add. */
final class NativeLoader {
    private static volatile boolean loaded;
    private static volatile String blasSetup = "kept: disabled by pixelcnn4j.blas.kernels=keep";

    private NativeLoader() {
    }

    static synchronized void load() {
        if (loaded) {
            return;
        }
        try {
            if (!"keep".equals(System.getProperty("pixelcnn4j.blas.kernels"))) {
                blasSetup = org.pixelcnn4j.engine.BlasSetup.prefer_avx512_blas_kernels();
            }
            Loader.load(org.pixelcnn4j.engine.global.pixelcnn.class);
        } catch (UnsatisfiedLinkError e) {
            throw new PixelCnnException("cannot load the pixelcnn4j native engine for platform "
                    + Loader.getPlatform() + ": add the dependency org.pixelcnn4j:pixelcnn4j with classifier "
                    + Loader.getPlatform() + " (" + e.getMessage() + ")", e);
        }
        loaded = true;
    }

    /** @return what was done about OpenBLAS's kernel choice before it loaded */
    static String blasSetup() {
        load();
        return blasSetup;
    }

    /** @return the engine's version string, e.g. "0.1.0 (cpu)" */
    static String engineVersion() {
        load();
        return org.pixelcnn4j.engine.global.pixelcnn.version();
    }
}
