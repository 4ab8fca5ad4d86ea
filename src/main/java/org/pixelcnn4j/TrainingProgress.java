package org.pixelcnn4j;

/**
 * One training step as reported to a {@link TrainingListener}.
 *
 * @param step the model's total step count after this step (1 for its first step ever)
 * @param stepInRun the step within the current {@code train} call, from 1
 * @param stepsInRun steps the current {@code train} call runs
 * @param lossNats the batch's mean negative log-likelihood per image, in nats (before the update)
 * @param bitsPerDim the same loss in bits per dimension: nats / (C*H*W*ln 2)
 * @param imagesPerSecond training throughput of this step
 */
public record TrainingProgress(long step, int stepInRun, int stepsInRun, double lossNats,
        double bitsPerDim, double imagesPerSecond) {
}
