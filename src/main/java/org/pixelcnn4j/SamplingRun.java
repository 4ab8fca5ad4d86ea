package org.pixelcnn4j;

import java.util.concurrent.CancellationException;
import org.pixelcnn4j.engine.CachedSampler;
import org.pixelcnn4j.engine.Model;

/**
 * One call of {@link PixelCnn#sample} or {@link PixelCnn#complete}: images drawn in batches, row by
 * row, one native call per row, so that progress, cancellation and thread interrupts are plain
 * Java between rows.
 */
final class SamplingRun {
    private final Model model;
    private final PixelCnnConfig config;
    private final SamplingConfig sampling;

    SamplingRun(Model model, PixelCnnConfig config, SamplingConfig sampling) {
        this.model = model;
        this.config = config;
        this.sampling = sampling;
    }

    /**
     * Samples into {@code buf} ({@code count} images), keeping the values where {@code known}
     * (nullable) is nonzero, image i conditioned on {@code labels[i]} (null for an unconditional
     * model).
     */
    void drawInto(byte[] buf, byte[] known, int[] labels, int count) {
        int batch = Math.min(sampling.batchSize(), count);
        int imageBytes = config.dimensions();
        int batches = (count + batch - 1) / batch;
        long totalRows = (long) batches * config.height();
        long rowsDone = 0;
        float temperature = (float) sampling.temperature();
        CachedSampler sampler = null;
        byte[] part = new byte[batch * imageBytes];
        byte[] partKnown = known == null ? null : new byte[batch * imageBytes];
        try {
            for (int first = 0; first < count; first += batch) {
                int n = Math.min(batch, count - first);
                byte[] images = n == batch ? part : new byte[n * imageBytes];
                byte[] mask = known == null ? null : n == batch ? partKnown : new byte[n * imageBytes];
                System.arraycopy(buf, first * imageBytes, images, 0, n * imageBytes);
                if (mask != null) {
                    System.arraycopy(known, first * imageBytes, mask, 0, n * imageBytes);
                }
                int[] batchLabels = labels == null ? null : java.util.Arrays.copyOfRange(labels, first, first + n);
                if (sampling.cached() && (sampler == null || sampler.count() != n)) {
                    if (sampler != null) {
                        sampler.close();
                    }
                    int size = n;
                    sampler = EngineCalls.run(() -> new CachedSampler(model, size));
                }
                for (int row = 0; row < config.height(); row++) {
                    throwIfCancelled(row);
                    int r = row;
                    long firstIndex = sampling.firstIndex() + first;
                    CachedSampler s = sampler;
                    EngineCalls.run(() -> {
                        if (sampling.cached()) {
                            s.sample_row(images, mask, batchLabels, r, sampling.seed(), firstIndex, temperature);
                        } else {
                            model.sample_row_naive(images, mask, batchLabels, n, r, sampling.seed(), firstIndex,
                                    temperature);
                        }
                        return null;
                    });
                    rowsDone++;
                    if (sampling.listener() != null) {
                        int done = row + 1 == config.height() ? first + n : first;
                        sampling.listener().onRow(new SamplingProgress(rowsDone, totalRows, done, count));
                    }
                }
                System.arraycopy(images, 0, buf, first * imageBytes, n * imageBytes);
            }
        } finally {
            if (sampler != null) {
                sampler.close();
            }
        }
    }

    private void throwIfCancelled(int row) {
        if (Thread.currentThread().isInterrupted()
                || (sampling.cancellation() != null && sampling.cancellation().isCancelled())) {
            throw new CancellationException("sampling cancelled before row " + row);
        }
    }
}
