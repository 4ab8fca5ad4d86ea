package org.pixelcnn4j;

/** Native calls with the engine's errors turned into {@link PixelCnnException}. */
final class EngineCalls {

    private EngineCalls() {
    }

    /** A call into the engine. */
    interface Call<T> {
        T call();
    }

    /** Runs a native call; a C++ exception (a RuntimeException from JavaCPP) becomes PixelCnnException. */
    static <T> T run(Call<T> call) {
        try {
            return call.call();
        } catch (PixelCnnException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new PixelCnnException("engine: " + e.getMessage(), e);
        }
    }
}
