package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Sampling and completion through the facade: cached equals naive, reproducibility across batch
 * sizes and threads, known pixels kept, progress and cancellation, and the sampler's empirical
 * distribution against the exact probabilities from {@link PixelCnn#logLikelihood}.
 */
class SamplingTest {

    @Test
    void cachedAndNaiveGiveTheSameImages() {
        for (int channels : new int[] {1, 3}) {
            for (boolean bernoulli : new boolean[] {true, false}) {
                PixelCnnConfig c = PixelCnnTest.tiny(channels, bernoulli);
                try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
                    SamplingConfig.Builder b = SamplingConfig.builder().optSeed(11).optTemperature(0.9);
                    Images cached = model.sample(5, b.build());
                    Images naive = model.sample(5, b.optNaive().build());
                    assertEquals(naive, cached, "cached != naive for " + c);
                }
            }
        }
    }

    @Test
    void sameSeedSameImagesForAnyBatchSizeAndThreadCount() {
        PixelCnnConfig c = PixelCnnTest.tiny(3, false);
        Images reference;
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
            reference = model.sample(7, SamplingConfig.builder().optSeed(3).optBatchSize(7).build());
            assertNotEquals(reference, model.sample(7, SamplingConfig.builder().optSeed(4).build()));
        }
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
            for (int batch : new int[] {1, 2, 3, 64}) {
                assertEquals(reference, model.sample(7, SamplingConfig.builder().optSeed(3).optBatchSize(batch).build()),
                        "batch size " + batch);
            }
        }
    }

    @Test
    void completionKeepsKnownPixelsAndMatchesNaive() {
        PixelCnnConfig c = PixelCnnTest.tiny(3, false);
        Images partial = PixelCnnTest.randomImages(c, 4, 8);
        Images top = Images.rowMask(4, c.channels(), c.height(), c.width(), 3);
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
            Images cached = model.complete(partial, top, SamplingConfig.ofSeed(5));
            Images naive = model.complete(partial, top, SamplingConfig.builder().optSeed(5).optNaive().build());
            assertEquals(naive, cached);
            int changedBelow = 0;
            for (int n = 0; n < 4; n++) {
                for (int ch = 0; ch < c.channels(); ch++) {
                    for (int y = 0; y < c.height(); y++) {
                        for (int x = 0; x < c.width(); x++) {
                            if (y < 3) {
                                assertEquals(partial.get(n, ch, y, x), cached.get(n, ch, y, x), "known pixel changed");
                            } else if (partial.get(n, ch, y, x) != cached.get(n, ch, y, x)) {
                                changedBelow++;
                            }
                        }
                    }
                }
            }
            assertTrue(changedBelow > 0, "nothing was sampled below the known rows");
            // Everything known: nothing changes.
            Images all = Images.rowMask(4, c.channels(), c.height(), c.width(), c.height());
            assertEquals(partial, model.complete(partial, all, SamplingConfig.ofSeed(1)));
            assertThrows(IllegalArgumentException.class,
                    () -> model.complete(partial, Images.zeros(3, 3, 7, 6), SamplingConfig.ofSeed(1)));
        }
    }

    @Test
    void progressIsReportedPerRowAndCancellationLeavesTheModelUsable() {
        PixelCnnConfig c = PixelCnnTest.tiny(1, true);
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
            List<SamplingProgress> seen = new ArrayList<>();
            model.sample(5, SamplingConfig.builder().optBatchSize(2).optListener(seen::add).build());
            assertEquals(3L * c.height(), seen.size()); // 3 batches of 7 rows
            SamplingProgress last = seen.get(seen.size() - 1);
            assertEquals(last.totalRows(), last.rowsDone());
            assertEquals(5, last.imagesDone());
            assertEquals(1.0, last.fraction());

            Cancellation cancel = new Cancellation();
            SamplingConfig cancelling = SamplingConfig.builder().optCancellation(cancel).optListener(p -> {
                if (p.rowsDone() == 2) {
                    cancel.cancel();
                }
            }).build();
            CancellationException e = assertThrows(CancellationException.class, () -> model.sample(4, cancelling));
            assertTrue(e.getMessage().contains("row 2"), e.getMessage());
            assertEquals(3, model.sample(3, 1, 1.0).count()); // usable again

            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = new Thread(() -> {
                Thread.currentThread().interrupt();
                try {
                    model.sample(2, SamplingConfig.ofSeed(1));
                } catch (Throwable x) {
                    thrown.set(x);
                }
            });
            t.start();
            try {
                t.join();
            } catch (InterruptedException ie) {
                throw new AssertionError(ie);
            }
            assertTrue(thrown.get() instanceof CancellationException, String.valueOf(thrown.get()));
            assertEquals(2, model.sample(2, 1, 1.0).count());
        }
    }

    // ---- the sampler against the likelihood ----

    @Test
    void binarySamplesFollowTheModelDistribution() {
        PixelCnnConfig c = PixelCnnConfig.builder().setImageShape(1, 3, 3).optHiddenChannels(8)
                .optResidualChannels(4).optHeadChannels(8).optBlocks(1).optInputKernel(3).optSeed(21).build();
        checkDistribution(c, 40_000);
    }

    @Test
    void categoricalColourSamplesFollowTheModelDistribution() {
        // 1 x 2 pixels, 3 channels, 3 levels: 729 possible images, R<G<B sub-steps included.
        PixelCnnConfig c = PixelCnnConfig.builder().setImageShape(3, 1, 2).optCategorical(3)
                .optHiddenChannels(9).optResidualChannels(6).optHeadChannels(9).optBlocks(1)
                .optInputKernel(3).optSeed(8).build();
        checkDistribution(c, 60_000);
    }

    @Test
    void categoricalGraySamplesFollowTheModelDistribution() {
        PixelCnnConfig c = PixelCnnConfig.builder().setImageShape(1, 2, 2).optCategorical(4)
                .optHiddenChannels(8).optResidualChannels(4).optHeadChannels(8).optBlocks(1)
                .optInputKernel(3).optSeed(4).build();
        checkDistribution(c, 40_000);
    }

    @Test
    void gatedBinarySamplesFollowTheModelDistribution() {
        PixelCnnConfig c = PixelCnnConfig.builder().optArchitecture(PixelCnnConfig.Architecture.GATED)
                .setImageShape(1, 3, 3).optHiddenChannels(8).optHeadChannels(8).optBlocks(2).optInputKernel(3)
                .optSeed(23).build();
        checkDistribution(c, 40_000);
    }

    @Test
    void gatedConditionalColourSamplesFollowTheModelDistribution() {
        // p(x | label 1) of a gated model of 1 x 2 colour pixels, 3 levels, 2 classes.
        PixelCnnConfig c = PixelCnnConfig.builder().optArchitecture(PixelCnnConfig.Architecture.GATED)
                .setImageShape(3, 1, 2).optCategorical(3).optHiddenChannels(9).optHeadChannels(9).optBlocks(2)
                .optInputKernel(3).optClasses(2).optSeed(9).build();
        checkDistribution(c, 60_000);
    }

    @Test
    void gatedCachedAndNaiveGiveTheSameImagesForEachLabel() {
        for (int channels : new int[] {1, 3}) {
            for (boolean bernoulli : new boolean[] {true, false}) {
                PixelCnnConfig c = PixelCnnTest.tinyGated(channels, bernoulli, 3);
                try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
                    // Larger weights than at initialisation, so that the label moves the logits
                    // by more than a few hundredths.
                    sharpen(model, 3.0f);
                    PixelCnnTest.randomiseClassTables(model, 5);
                    int[] labels = {0, 1, 2, 2, 1};
                    SamplingConfig.Builder b = SamplingConfig.builder().optSeed(11).optBatchSize(2);
                    Images cached = model.sample(labels, b.build());
                    Images naive = model.sample(labels, b.optNaive().build());
                    assertEquals(naive, cached, "cached != naive for " + c);
                    assertEquals(java.util.Arrays.toString(labels), java.util.Arrays.toString(cached.labels()));
                    // Image i depends on its own label only: drawn alone, under the same index.
                    Images other = model.sample(new int[] {0, 1, 2, 0, 1}, SamplingConfig.builder().optSeed(11).build());
                    assertEquals(cached.slice(0, 3), other.slice(0, 3), "images 0..2 changed with others' labels");
                    // Under the same draws, 20 images of label 0 and 20 of label 2 are not all alike.
                    int[] zeros = new int[20];
                    int[] twos = new int[20];
                    java.util.Arrays.fill(twos, 2);
                    assertNotEquals(model.sample(zeros, SamplingConfig.ofSeed(4)).withoutLabels(),
                            model.sample(twos, SamplingConfig.ofSeed(4)).withoutLabels(), "the label changes nothing");
                    Images partial = PixelCnnTest.randomImages(c, 5, 3).withLabels(labels);
                    Images top = Images.rowMask(5, c.channels(), c.height(), c.width(), 2);
                    assertEquals(model.complete(partial, top, SamplingConfig.builder().optSeed(2).optNaive().build()),
                            model.complete(partial, top, SamplingConfig.ofSeed(2)), "completion: cached != naive");
                }
            }
        }
    }

    /**
     * Enumerates every image, takes its exact probability exp(-NLL) from logLikelihood (they must
     * sum to 1), draws `draws` samples and runs a chi-square goodness-of-fit test at level 1e-6
     * (bins with an expected count below 5 pooled). As a negative control, samples drawn at
     * temperature 0.7 must be rejected by the same test, so the test can fail. A conditional
     * model is tested on p(x | label 1), with random class tables.
     */
    private static void checkDistribution(PixelCnnConfig c, int draws) {
        int dims = c.dimensions();
        int outcomes = (int) Math.round(Math.pow(c.levels(), dims));
        byte[] all = new byte[outcomes * dims];
        for (int i = 0; i < outcomes; i++) {
            int v = i;
            for (int d = 0; d < dims; d++) {
                all[i * dims + d] = (byte) (v % c.levels());
                v /= c.levels();
            }
        }
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
            sharpen(model, 3.0f);
            PixelCnnTest.randomiseClassTables(model, 13);
            Images every = Images.of(all, outcomes, c.channels(), c.height(), c.width());
            double[] nll = (c.classes() > 0 ? model.logLikelihood(every, 1) : model.logLikelihood(every)).natsArray();
            double[] p = new double[outcomes];
            double total = 0;
            for (int i = 0; i < outcomes; i++) {
                p[i] = Math.exp(-nll[i]);
                total += p[i];
            }
            assertEquals(1.0, total, 1e-4, "probabilities of all " + outcomes + " images sum to " + total);

            double[] fit = chiSquare(model, c, p, draws, 1.0, 31);
            double[] control = chiSquare(model, c, p, draws, 0.7, 31);
            System.out.printf(Locale.ROOT, "SamplingTest %s: chi-square %.1f, df %d, critical %.1f (alpha 1e-6);"
                    + " control at temperature 0.7: %.1f%n", c, fit[0], (int) fit[1], fit[2], control[0]);
            assertTrue(fit[0] < fit[2], "samples do not follow the model: chi-square " + fit[0]
                    + " >= critical " + fit[2] + " with " + (int) fit[1] + " degrees of freedom");
            assertTrue(control[0] > control[2], "the test cannot tell temperature 0.7 from 1.0: chi-square "
                    + control[0] + " < " + control[2]);
        }
    }

    /**
     * Scales every weight and bias: an untrained model's logits are near zero, its distribution
     * nearly uniform, and a wrong sampler could pass; larger weights make it uneven and dependent.
     */
    private static void sharpen(PixelCnn model, float factor) {
        org.pixelcnn4j.engine.Model engine = model.engineModel();
        for (int i = 0; i < engine.tensor_count(); i++) {
            float[] w = new float[(int) engine.tensor_size(i)];
            engine.read_tensor(org.pixelcnn4j.engine.global.pixelcnn.TENSOR_PARAM, i, w);
            for (int j = 0; j < w.length; j++) {
                w[j] *= factor;
            }
            engine.write_tensor(org.pixelcnn4j.engine.global.pixelcnn.TENSOR_PARAM, i, w);
        }
    }

    /** Returns {statistic, degrees of freedom, critical value at alpha 1e-6}. */
    private static double[] chiSquare(PixelCnn model, PixelCnnConfig c, double[] p, int draws,
            double temperature, long seed) {
        int dims = c.dimensions();
        SamplingConfig sampling = SamplingConfig.builder().optSeed(seed).optTemperature(temperature)
                .optBatchSize(4096).build();
        int[] label1 = new int[draws];
        java.util.Arrays.fill(label1, 1);
        Images samples = c.classes() > 0 ? model.sample(label1, sampling) : model.sample(draws, sampling);
        byte[] data = samples.toArray();
        long[] observed = new long[p.length];
        for (int s = 0; s < draws; s++) {
            int index = 0;
            for (int d = dims - 1; d >= 0; d--) {
                index = index * c.levels() + data[s * dims + d];
            }
            observed[index]++;
        }
        double statistic = 0;
        int bins = 0;
        double pooledExpected = 0;
        long pooledObserved = 0;
        for (int i = 0; i < p.length; i++) {
            double expected = p[i] * draws;
            if (expected < 5) {
                pooledExpected += expected;
                pooledObserved += observed[i];
            } else {
                statistic += (observed[i] - expected) * (observed[i] - expected) / expected;
                bins++;
            }
        }
        if (pooledExpected > 0) {
            statistic += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
            bins++;
        }
        int df = bins - 1;
        // Wilson-Hilferty: chi2_crit = df (1 - 2/(9 df) + z sqrt(2/(9 df)))^3, z = 4.7534 for 1e-6.
        double a = 2.0 / (9.0 * df);
        double critical = df * Math.pow(1 - a + 4.7534 * Math.sqrt(a), 3);
        return new double[] {statistic, df, critical};
    }
}
