package org.pixelcnn4j;

/**
 * Receives the progress of {@link PixelCnn#train} after every step, on the training thread.
 *
 * <pre>{@code
 * model.train(data, training, p -> System.out.printf("step %d: %.3f bits/dim%n",
 *         p.step(), p.bitsPerDim()));
 * }</pre>
 */
@FunctionalInterface
public interface TrainingListener {
    /**
     * Called after each optimiser step.
     *
     * @param progress the step just taken
     */
    void onStep(TrainingProgress progress);
}
