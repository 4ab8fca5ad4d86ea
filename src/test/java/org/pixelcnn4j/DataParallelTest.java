package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The engine API data-parallel training is built from (packed weights, share gradients, applying
 * a summed gradient) against train() itself, and BatchSchedule against the batches train() takes.
 */
class DataParallelTest {

    private static PixelCnnConfig config(int classes) {
        PixelCnnConfig.Builder b = PixelCnnConfig.builder().setImageShape(1, 7, 6).optHiddenChannels(8)
                .optHeadChannels(8).optBlocks(2).optInputKernel(3).optBlockKernel(3).optSeed(5);
        if (classes > 0) {
            b.optArchitecture(PixelCnnConfig.Architecture.GATED).optClasses(classes);
        } else {
            b.optResidualChannels(4);
        }
        return b.optBernoulli().build();
    }

    private static Images randomImages(int count, int classes, long seed) {
        Random random = new Random(seed);
        byte[] data = new byte[count * 42];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) random.nextInt(2);
        }
        Images images = Images.of(data, count, 1, 7, 6);
        if (classes == 0) {
            return images;
        }
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = random.nextInt(classes);
        }
        return images.withLabels(labels);
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            float d = Math.abs(a[i] - b[i]);
            if (!(d <= worst)) {
                worst = d;
            }
        }
        return worst;
    }

    /**
     * Steps taken from shares (3 workers, one holding nothing of some batches) equal train()'s
     * steps on the same batches within float rounding, for both architectures.
     */
    @Test
    void summedShareGradientsTrainAsTrainDoes() {
        for (int classes : new int[] {0, 3}) {
            Images data = randomImages(40, classes, 11);
            TrainingConfig training = TrainingConfig.builder().setSteps(6).optBatchSize(8).optShuffleSeed(9).build();
            try (PixelCnn local = PixelCnn.create(config(classes));
                    PixelCnn driver = PixelCnn.create(config(classes));
                    PixelCnn worker = PixelCnn.create(config(classes))) {
                assertArrayEquals(local.packedWeights(), driver.packedWeights());
                local.train(data, training);
                BatchSchedule schedule = new BatchSchedule(data.count(), 8, 9);
                for (int s = 0; s < 6; s++) {
                    int[] batch = schedule.indices(driver.step());
                    float[] sum = new float[driver.packedSize()];
                    float[] g = new float[driver.packedSize()];
                    double nll = 0;
                    // Worker w holds images [w*14, (w+1)*14): the batch's images fall where they fall.
                    for (int w = 0; w < 3; w++) {
                        int lo = w * 14;
                        int[] mine = Arrays.stream(batch).filter(i -> i >= lo && i < lo + 14).toArray();
                        worker.setPackedWeights(driver.packedWeights());
                        nll += worker.shareGradient(mine.length == 0 ? null : data.select(mine), batch.length, g);
                        for (int j = 0; j < g.length; j++) {
                            sum[j] += g[j];
                        }
                    }
                    assertTrue(nll > 0, "the shares' NLL");
                    assertEquals(s + 1, driver.applyGradient(sum, training));
                }
                float diff = maxAbsDiff(local.packedWeights(), driver.packedWeights());
                assertTrue(diff < 1e-5f, "weights after 6 steps differ by " + diff);
                assertEquals(local.step(), driver.step());
            }
        }
    }

    @Test
    void packedWeightsRoundTripAndBadVectorsAreRefused() {
        try (PixelCnn a = PixelCnn.create(config(0)); PixelCnn b = PixelCnn.create(config(0))) {
            Images images = randomImages(4, 0, 3);
            float[] w = a.packedWeights();
            assertTrue(w.length < a.parameterCount(), "packed leaves out masked taps");
            for (int i = 0; i < w.length; i++) {
                w[i] *= 0.5f;
            }
            b.setPackedWeights(w);
            a.setPackedWeights(w);
            assertArrayEquals(a.logLikelihood(images).natsArray(), b.logLikelihood(images).natsArray());
            float[] nan = w.clone();
            nan[3] = Float.NaN;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.setPackedWeights(nan));
            assertTrue(e.getMessage().contains("at index 3 is not finite"), e.getMessage());
            assertArrayEquals(w, b.packedWeights(), "a refused vector changed nothing");
            e = assertThrows(IllegalArgumentException.class, () -> b.setPackedWeights(new float[3]));
            assertTrue(e.getMessage().contains("expected " + w.length + " floats"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> b.shareGradient(images, 3, new float[w.length]));
            assertTrue(e.getMessage().contains("globalBatchSize: expected at least"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> b.applyGradient(nan, TrainingConfig.builder().setSteps(1).build()));
            assertTrue(e.getMessage().contains("gradient: value NaN"), e.getMessage());
            assertEquals(0, b.step());
            b.close();
            assertThrows(IllegalStateException.class, b::packedWeights);
        }
    }

    @Test
    void scheduleIsAPureFunctionOfTheStep() {
        BatchSchedule schedule = new BatchSchedule(10, 3, 4);
        assertEquals(3, schedule.stepsPerEpoch());
        int[] later = schedule.indices(7);
        int[] first = schedule.indices(0);
        assertArrayEquals(later, new BatchSchedule(10, 3, 4).indices(7));
        assertArrayEquals(first, new BatchSchedule(10, 3, 4).indices(0));
        // An epoch's batches are disjoint.
        boolean[] seen = new boolean[10];
        for (int s = 3; s < 6; s++) {
            for (int i : schedule.indices(s)) {
                assertTrue(!seen[i], "image " + i + " twice in one epoch");
                seen[i] = true;
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new BatchSchedule(10, 11, 0));
        assertThrows(IllegalArgumentException.class, () -> schedule.indices(-1));
    }

    /** Slices drawn with optFirstIndex, any sizes, cached or naive, put together are one draw. */
    @Test
    void samplingSlicesEqualOneDraw() {
        try (PixelCnn model = PixelCnn.create(config(0))) {
            Images whole = model.sample(9, SamplingConfig.builder().optSeed(21).optBatchSize(4).build());
            byte[] joined = new byte[9 * 42];
            int[][] slices = {{0, 2}, {2, 7}, {7, 9}};
            for (int[] slice : slices) {
                Images part = model.sample(slice[1] - slice[0], SamplingConfig.builder().optSeed(21).optBatchSize(3)
                        .optCached(slice[0] != 2).optFirstIndex(slice[0]).build());
                System.arraycopy(part.toArray(), 0, joined, slice[0] * 42, part.count() * 42);
            }
            assertArrayEquals(whole.toArray(), joined);
            assertThrows(IllegalArgumentException.class, () -> SamplingConfig.builder().optFirstIndex(-1).build());
        }
    }
}
