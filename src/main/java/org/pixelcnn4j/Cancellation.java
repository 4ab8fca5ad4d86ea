package org.pixelcnn4j;

/**
 * A handle to cancel a running {@link PixelCnn#sample(int, SamplingConfig)} or
 * {@link PixelCnn#complete} from another thread. The call notices it after the current row,
 * throws {@link java.util.concurrent.CancellationException} and leaves the model usable.
 * Interrupting the sampling thread has the same effect.
 *
 * <pre>{@code
 * Cancellation cancel = new Cancellation();
 * executor.submit(() -> model.sample(1000, SamplingConfig.builder().optCancellation(cancel).build()));
 * cancel.cancel();
 * }</pre>
 */
public final class Cancellation {
    private volatile boolean cancelled;

    /** Requests cancellation; safe to call from any thread, any number of times. */
    public void cancel() {
        cancelled = true;
    }

    /** @return whether {@link #cancel()} was called */
    public boolean isCancelled() {
        return cancelled;
    }
}
