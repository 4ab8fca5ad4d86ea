package org.pixelcnn4j;

/**
 * Receives sampling progress after every image row, on the sampling thread.
 *
 * <p>A listener may call back into the model for reads: {@code config()}, {@code device()},
 * {@code step()}, {@code parameterCount()}, {@code stateDict()}, {@code save(...)},
 * {@code isClosed()} and the flop counts. Training, scoring,
 * sampling and {@code close()} from a listener throw {@link IllegalStateException}: they must wait
 * until the running call returns.
 */
@FunctionalInterface
public interface SamplingListener {
    /**
     * Called after each row of each batch.
     *
     * @param progress rows and images done so far
     */
    void onRow(SamplingProgress progress);
}
