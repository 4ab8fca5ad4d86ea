package org.pixelcnn4j;

import java.util.SplittableRandom;

/**
 * The input mutation of Ren et al. (2019), "Likelihood Ratios for Out-of-Distribution
 * Detection": each sub-pixel of a training image is replaced, with probability {@code rate}, by
 * a value drawn uniformly from {@code 0..levels-1}. A model trained on mutated images learns the
 * population's background statistics and not its semantics, which is what the likelihood ratio
 * subtracts. The draws are keyed by (seed, step, slot in the batch), so training with
 * {@link TrainingConfig.Builder#optMutationRate} is reproducible and resumes exactly, and a
 * data-parallel trainer that mutates each image where it is computed gets the same batch.
 */
public final class Mutation {
    private Mutation() {
    }

    /**
     * Mutates one image in place.
     *
     * @param images the buffer holding it
     * @param offset where the image starts
     * @param size its sub-pixels (C x H x W)
     * @param levels the values a sub-pixel takes
     * @param rate the probability of replacing each sub-pixel, in [0, 1]
     * @param seed the training's shuffle seed
     * @param step the step the image trains at (the model's step count before it)
     * @param slot the image's place in the step's batch
     */
    public static void apply(byte[] images, int offset, int size, int levels, double rate, long seed, long step,
            int slot) {
        if (rate <= 0) {
            return;
        }
        SplittableRandom random = new SplittableRandom(mix(mix(seed ^ 0x6D75746174696F6EL) + step) + slot);
        for (int k = 0; k < size; k++) {
            if (random.nextDouble() < rate) {
                images[offset + k] = (byte) random.nextInt(levels);
            }
        }
    }

    /** A 64-bit finaliser (splitmix64's), so that nearby seeds, steps and slots give unrelated streams. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
