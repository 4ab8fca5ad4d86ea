package org.pixelcnn4j;

/** Receives sampling progress after every image row, on the sampling thread. */
@FunctionalInterface
public interface SamplingListener {
    /**
     * Called after each row of each batch.
     *
     * @param progress rows and images done so far
     */
    void onRow(SamplingProgress progress);
}
