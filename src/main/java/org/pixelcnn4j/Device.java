package org.pixelcnn4j;

/**
 * Where a model computes. Only the CPU exists in this version; CUDA comes with a later release.
 *
 * <pre>{@code
 * PixelCnn model = PixelCnn.create(config, Device.cpu(4));
 * }</pre>
 */
public final class Device {
    private final int threads;

    private Device(int threads) {
        this.threads = threads;
    }

    /** @return the CPU with all hardware threads */
    public static Device cpu() {
        return new Device(0);
    }

    /**
     * @param threads worker threads, positive (0 = all hardware threads)
     * @return the CPU with that many threads
     * @throws IllegalArgumentException if threads is negative or above 1024
     */
    public static Device cpu(int threads) {
        if (threads < 0 || threads > 1024) {
            throw new IllegalArgumentException(
                    "threads: expected 0 (all hardware threads) or 1..1024, got " + threads);
        }
        return new Device(threads);
    }

    /** @return worker threads; 0 means all hardware threads */
    public int threads() {
        return threads;
    }

    @Override
    public String toString() {
        return threads == 0 ? "cpu" : "cpu(" + threads + " threads)";
    }
}
