package org.pixelcnn4j;

/**
 * Receives the progress of {@link PixelCnn#train} after every step, on the training thread.
 *
 * <pre>{@code
 * model.train(data, training, p -> System.out.printf("step %d: %.3f bits/dim%n",
 *         p.step(), p.bitsPerDim()));
 * }</pre>
 *
 * <p>A listener may call back into the model for reads: {@code config()}, {@code device()},
 * {@code step()}, {@code parameterCount()}, {@code stateDict()}, {@code save(...)} (a checkpoint
 * every few hundred steps, say), {@code isClosed()} and the flop counts. Training, scoring,
 * sampling and {@code close()} from a listener throw {@link IllegalStateException}: they must wait
 * until the running call returns.
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
