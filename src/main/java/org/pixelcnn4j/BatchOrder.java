package org.pixelcnn4j;

/**
 * The images of each training step, gathered from the data set in the order {@link BatchSchedule}
 * gives, into buffers reused from step to step.
 */
final class BatchOrder {
    private final Images data;
    private final int batchSize;
    private final BatchSchedule schedule;
    private final byte[] batch;
    private final int[] batchLabels;  // null for unlabelled data
    private final int imageBytes;
    private final int[] indices;
    private final long seed;
    private final double mutationRate;
    private final int levels;

    BatchOrder(Images data, int batchSize, long seed) {
        this(data, batchSize, seed, 0, 2);
    }

    /** With {@code mutationRate > 0}, each step's images are mutated ({@link Mutation}) after they are gathered. */
    BatchOrder(Images data, int batchSize, long seed, double mutationRate, int levels) {
        this.seed = seed;
        this.mutationRate = mutationRate;
        this.levels = levels;
        this.data = data;
        this.batchSize = batchSize;
        this.schedule = new BatchSchedule(data.count(), batchSize, seed);
        this.imageBytes = data.channels() * data.height() * data.width();
        this.batch = new byte[batchSize * imageBytes];
        this.batchLabels = data.hasLabels() ? new int[batchSize] : null;
        this.indices = new int[batchSize];
    }

    /** The images of step {@code step}, in a buffer reused by the next call. */
    byte[] batchForStep(long step) {
        schedule.indicesInto(step, indices);
        byte[] src = data.data();
        int[] labels = data.labelData();
        for (int i = 0; i < batchSize; i++) {
            System.arraycopy(src, indices[i] * imageBytes, batch, i * imageBytes, imageBytes);
            if (labels != null) {
                batchLabels[i] = labels[indices[i]];
            }
            if (mutationRate > 0) {
                Mutation.apply(batch, i * imageBytes, imageBytes, levels, mutationRate, seed, step, i);
            }
        }
        return batch;
    }

    /** The labels of the images of the last batchForStep, or null for unlabelled data. */
    int[] labels() {
        return batchLabels;
    }
}
