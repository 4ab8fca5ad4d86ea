package org.pixelcnn4j;

import java.util.SplittableRandom;

/**
 * Which images train at each step, as indices into the data set: batch {@code s} is slice
 * {@code s % stepsPerEpoch} of a permutation seeded by (shuffle seed, epoch
 * {@code s / stepsPerEpoch}). A pure function of the step count, so a resumed run sees exactly
 * the batches the uninterrupted run would, and a data-parallel trainer (pixelcnn4j-spark) that
 * asks it for step {@code s} trains on the batch {@link PixelCnn#train} would have used.
 *
 * <pre>{@code
 * BatchSchedule schedule = new BatchSchedule(60_000, 32, training.shuffleSeed());
 * int[] batch = schedule.indices(model.step());
 * }</pre>
 */
public final class BatchSchedule {
    private final int count;
    private final int batchSize;
    private final long seed;
    private final int stepsPerEpoch;
    private final int[] order;
    private long epoch = -1;

    /**
     * @param count images in the data set, positive
     * @param batchSize images per step, 1 to {@code count}
     * @param seed the shuffle seed ({@link TrainingConfig#shuffleSeed()})
     * @throws IllegalArgumentException if the counts are out of range
     */
    public BatchSchedule(int count, int batchSize, long seed) {
        if (count <= 0) {
            throw new IllegalArgumentException("count: expected a positive number of images, got " + count);
        }
        if (batchSize <= 0 || batchSize > count) {
            throw new IllegalArgumentException("batchSize: expected 1 to the " + count + " images, got " + batchSize);
        }
        this.count = count;
        this.batchSize = batchSize;
        this.seed = seed;
        this.stepsPerEpoch = count / batchSize;
        this.order = new int[count];
    }

    /** @return images in the data set */
    public int count() {
        return count;
    }

    /** @return images per step */
    public int batchSize() {
        return batchSize;
    }

    /** @return steps per epoch: {@code count / batchSize} (the remainder of each epoch is skipped) */
    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /**
     * @param step the model's step count before the step (0 for the first)
     * @return a new array of the {@code batchSize} data-set indices of that step's batch
     * @throws IllegalArgumentException if the step is negative
     */
    public int[] indices(long step) {
        int[] out = new int[batchSize];
        indicesInto(step, out);
        return out;
    }

    /** The indices of {@code step}'s batch into {@code out} (batchSize entries). */
    void indicesInto(long step, int[] out) {
        if (step < 0) {
            throw new IllegalArgumentException("step: expected >= 0, got " + step);
        }
        long e = step / stepsPerEpoch;
        if (e != epoch) {
            shuffle(e);
        }
        int first = (int) (step % stepsPerEpoch) * batchSize;
        System.arraycopy(order, first, out, 0, batchSize);
    }

    private void shuffle(long e) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + e);
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        epoch = e;
    }
}
