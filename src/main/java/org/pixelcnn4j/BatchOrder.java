package org.pixelcnn4j;

import java.util.SplittableRandom;

/**
 * Which images train at each step: batch {@code s} is slice {@code s % stepsPerEpoch} of a
 * permutation seeded by (shuffle seed, epoch {@code s / stepsPerEpoch}). A pure function of the
 * model's step count, so a resumed run sees exactly the batches the uninterrupted run would.
 */
final class BatchOrder {
    private final Images data;
    private final int batchSize;
    private final long seed;
    private final int stepsPerEpoch;
    private final byte[] batch;
    private final int[] batchLabels;  // null for unlabelled data
    private final int imageBytes;
    private long epoch = -1;
    private final int[] order;

    BatchOrder(Images data, int batchSize, long seed) {
        this.data = data;
        this.batchSize = batchSize;
        this.seed = seed;
        this.stepsPerEpoch = data.count() / batchSize;
        this.imageBytes = data.channels() * data.height() * data.width();
        this.batch = new byte[batchSize * imageBytes];
        this.batchLabels = data.hasLabels() ? new int[batchSize] : null;
        this.order = new int[data.count()];
    }

    /** The images of step {@code step}, in a buffer reused by the next call. */
    byte[] batchForStep(long step) {
        long e = step / stepsPerEpoch;
        if (e != epoch) {
            shuffle(e);
        }
        int first = (int) (step % stepsPerEpoch) * batchSize;
        byte[] src = data.data();
        int[] labels = data.labelData();
        for (int i = 0; i < batchSize; i++) {
            System.arraycopy(src, order[first + i] * imageBytes, batch, i * imageBytes, imageBytes);
            if (labels != null) {
                batchLabels[i] = labels[order[first + i]];
            }
        }
        return batch;
    }

    /** The labels of the images of the last batchForStep, or null for unlabelled data. */
    int[] labels() {
        return batchLabels;
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
