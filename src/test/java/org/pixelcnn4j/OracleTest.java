package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.pixelcnn4j.engine.AdamConfig;
import org.pixelcnn4j.engine.Model;
import org.pixelcnn4j.engine.global.pixelcnn;
import org.pixelcnn4j.oracle.TorchConfig;
import org.pixelcnn4j.oracle.TorchPixelCnn;

/**
 * The engine against LibTorch on the same weights and inputs: logits, loss, per-image NLL, every
 * parameter gradient, and Adam steps, for both heads, 1 and 3 channels, kernel sizes 3, 5, 7 and
 * residual models of 2 blocks.
 *
 * <p>Error measure, per tensor: the normalised max error max|engine - torch| / max|torch|. An
 * element-wise relative error is meaningless for entries near zero (gradients cross zero); this
 * one compares every entry at the scale of the tensor. Both sides compute in float32 with
 * different summation orders (OpenBLAS vs oneDNN), which gives errors around 1e-6; the bound is
 * the 1e-4.
 */
class OracleTest {
    static final double TOLERANCE = 1e-4;
    /** Worst errors seen, printed at the end for the closing note. */
    static final List<String> REPORT = new ArrayList<>();

    static Stream<Arguments> models() {
        List<Arguments> list = new ArrayList<>();
        for (boolean bernoulli : new boolean[] {true, false}) {
            for (int channels : new int[] {1, 3}) {
                for (int kernel : new int[] {3, 5, 7}) {
                    list.add(Arguments.of(bernoulli, channels, kernel));
                }
            }
        }
        return list.stream();
    }

    static PixelCnnConfig engineConfig(boolean bernoulli, int channels, int kernel, int levels) {
        PixelCnnConfig.Builder b = PixelCnnConfig.builder()
                .setImageShape(channels, 9, 8)
                .optHiddenChannels(12)
                .optResidualChannels(6)
                .optHeadChannels(9)
                .optBlocks(2)
                .optInputKernel(kernel)
                .optBlockKernel(kernel)
                .optSeed(17 + kernel);
        return bernoulli ? b.optBernoulli().build() : b.optCategorical(levels).build();
    }

    static TorchConfig torchConfig(PixelCnnConfig c) {
        return new TorchConfig(c.channels(), c.height(), c.width(),
                c.head() == PixelCnnConfig.Head.BERNOULLI, c.levels(), c.hiddenChannels(),
                c.residualChannels(), c.headChannels(), c.blocks(), c.inputKernel(), c.blockKernel(),
                c.architecture() == PixelCnnConfig.Architecture.GATED, c.classes(), c.skipConnections());
    }

    /** Gated models: both heads, C = 1 and 3, kernels 3, 5, 7, unconditional and with 3 classes. */
    static Stream<Arguments> gatedModels() {
        List<Arguments> list = new ArrayList<>();
        for (boolean bernoulli : new boolean[] {true, false}) {
            for (int channels : new int[] {1, 3}) {
                for (int kernel : new int[] {3, 5, 7}) {
                    for (int classes : new int[] {0, 3}) {
                        list.add(Arguments.of(bernoulli, channels, kernel, classes));
                    }
                }
            }
        }
        return list.stream();
    }

    /** Three gated layers of 12 channels per stack; skip connections except for kernel 5. */
    static PixelCnnConfig gatedConfig(boolean bernoulli, int channels, int kernel, int levels, int classes) {
        PixelCnnConfig.Builder b = PixelCnnConfig.builder()
                .optArchitecture(PixelCnnConfig.Architecture.GATED)
                .setImageShape(channels, 9, 8)
                .optHiddenChannels(12)
                .optHeadChannels(9)
                .optBlocks(3)
                .optInputKernel(kernel)
                .optBlockKernel(kernel)
                .optClasses(classes)
                .optSkipConnections(kernel != 5)
                .optSeed(29 + kernel);
        return bernoulli ? b.optBernoulli().build() : b.optCategorical(levels).build();
    }

    /** Labels 2, 0, 1, ... for a conditional model, null for an unconditional one. */
    static int[] labelsFor(PixelCnnConfig c, int n) {
        if (c.classes() == 0) {
            return null;
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (i + c.classes() - 1) % c.classes();
        }
        return labels;
    }

    /**
     * Random class tables (the engine starts them at zero, which would hide a wrong label): the
     * same values into both models.
     */
    static void randomiseClassTables(Model engine, TorchPixelCnn torch, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        for (int i = 0; i < engine.tensor_count(); i++) {
            String name = engine.tensor_name(i);
            if (name.endsWith("_class.weight")) {
                float[] table = new float[(int) engine.tensor_size(i)];
                for (int j = 0; j < table.length; j++) {
                    table[j] = (float) (random.nextDouble() - 0.5);
                }
                engine.write_tensor(pixelcnn.TENSOR_PARAM, i, table);
                torch.setTensor(name, table);
            }
        }
    }

    @ParameterizedTest(name = "gated bernoulli={0} C={1} k={2} classes={3}")
    @MethodSource("gatedModels")
    void gatedForwardLossAndGradientsMatchLibTorch(boolean bernoulli, int channels, int kernel, int classes) {
        PixelCnnConfig c = gatedConfig(bernoulli, channels, kernel, 256, classes);
        String tag = String.format("gated %s C=%d k=%d classes=%d", bernoulli ? "bernoulli" : "cat256", channels,
                kernel, classes);
        int n = 3;
        int[] labels = labelsFor(c, n);
        Images plain = PixelCnnTest.randomImages(c.toBuilder().optClasses(0).build(), n, kernel * 37L + channels);
        Images images = labels == null ? plain : plain.withLabels(labels);
        compareWithLibTorch(c, tag, images);
    }

    /**
     * The engine against its LibTorch twin on the same weights: masks, logits, per-image NLL, loss
     * and every parameter gradient (with the images' labels, if any), state_dict names in order;
     * class tables are filled with random values first (the engine starts them at zero, which
     * would hide a wrong label).
     */
    static void compareWithLibTorch(PixelCnnConfig c, String tag, Images images) {
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2));
                TorchPixelCnn torch = new TorchPixelCnn(torchConfig(c), 2)) {
            Model engine = model.engineModel();
            copyWeights(engine, torch);
            randomiseClassTables(engine, torch, c.inputKernel());
            byte[] data = images.toArray();
            int[] labels = images.labels();
            int n = images.count();
            assertEquals(torch.tensorNames(), tensorNames(engine), "state_dict names");
            // The engine's masks are the oracle's masks (built independently from the spec).
            for (int i = 0; i < engine.tensor_count(); i++) {
                float[] mask = new float[(int) engine.tensor_size(i)];
                engine.read_mask(i, mask);
                assertArrayEquals(torch.mask(engine.tensor_name(i)), mask, "mask of " + engine.tensor_name(i));
            }
            expectClose(tag + " logits", model.logits(images), torch.logits(data, labels, n), TOLERANCE);
            double[] nllEngine = model.logLikelihood(images).natsArray();
            double[] nllTorch = torch.perImageNll(data, labels, n);
            for (int i = 0; i < n; i++) {
                assertEquals(nllTorch[i], nllEngine[i], 1e-5 * Math.abs(nllTorch[i]), tag + " NLL of image " + i);
            }
            float lossEngine = engine.forward_backward(data, labels, n);
            float lossTorch = torch.forwardBackward(data, labels, n);
            synchronized (REPORT) {
                REPORT.add(String.format(Locale.ROOT, "%-60s %.2e", tag + " loss",
                        Math.abs(lossEngine - lossTorch) / Math.abs(lossTorch)));
            }
            assertEquals(lossTorch, lossEngine, 1e-5 * Math.abs(lossTorch), tag + " loss");
            for (int i = 0; i < engine.tensor_count(); i++) {
                String name = engine.tensor_name(i);
                float[] grad = new float[(int) engine.tensor_size(i)];
                engine.read_tensor(pixelcnn.TENSOR_GRAD, i, grad);
                expectClose(tag + " grad " + name, grad, torch.grad(name), TOLERANCE);
            }
        }
    }

    static List<String> tensorNames(Model engine) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < engine.tensor_count(); i++) {
            names.add(engine.tensor_name(i));
        }
        return names;
    }

    /** A conditional gated model of fm-gated's shape (smaller) through whole training steps. */
    @Test
    void gatedTrainingStepsMatchLibTorch() {
        PixelCnnConfig c = PixelCnnConfig.builder().optArchitecture(PixelCnnConfig.Architecture.GATED)
                .setImageShape(1, 12, 12).optHiddenChannels(16).optBlocks(4).optCategorical(16).optClasses(4).build();
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2));
                TorchPixelCnn torch = new TorchPixelCnn(torchConfig(c), 2);
                AdamConfig adam = new AdamConfig().learning_rate(1e-3)) {
            Model engine = model.engineModel();
            copyWeights(engine, torch);
            PixelCnnConfig unlabelled = c.toBuilder().optClasses(0).build();
            for (int step = 0; step < 5; step++) {
                byte[] batch = PixelCnnTest.randomImages(unlabelled, 8, 2000 + step).toArray();
                int[] labels = {0, 1, 2, 3, 3, 2, 1, step % 4};
                float le = engine.train_step(batch, labels, 8, adam);
                float lt = torch.trainStep(batch, labels, 8, 1e-3f);
                assertEquals(lt, le, 1e-4 * Math.abs(lt), "loss of step " + (step + 1));
            }
            for (int i = 0; i < engine.tensor_count(); i++) {
                float[] w = new float[(int) engine.tensor_size(i)];
                engine.read_tensor(pixelcnn.TENSOR_PARAM, i, w);
                expectClose("after 5 steps gated " + engine.tensor_name(i), w, torch.getTensor(engine.tensor_name(i)),
                        1e-3);
            }
        }
    }

    /** Copies the engine's weights into the torch model, so both start identical. */
    static void copyWeights(Model engine, TorchPixelCnn torch) {
        for (int i = 0; i < engine.tensor_count(); i++) {
            float[] w = new float[(int) engine.tensor_size(i)];
            engine.read_tensor(pixelcnn.TENSOR_PARAM, i, w);
            torch.setTensor(engine.tensor_name(i), w);
        }
    }

    static double normalisedMaxError(float[] engine, float[] torch) {
        assertEquals(torch.length, engine.length, "tensor sizes differ");
        double maxErr = 0;
        double maxRef = 0;
        for (int i = 0; i < torch.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(engine[i] - torch[i]));
            maxRef = Math.max(maxRef, Math.abs(torch[i]));
        }
        return maxRef == 0 ? maxErr : maxErr / maxRef;
    }

    static void expectClose(String what, float[] engine, float[] torch, double tolerance) {
        double err = normalisedMaxError(engine, torch);
        synchronized (REPORT) {
            REPORT.add(String.format(Locale.ROOT, "%-60s %.2e", what, err));
        }
        assertTrue(err <= tolerance, what + ": normalised max error " + err + " > " + tolerance);
    }

    @ParameterizedTest(name = "bernoulli={0} C={1} k={2}")
    @MethodSource("models")
    void forwardLossAndGradientsMatchLibTorch(boolean bernoulli, int channels, int kernel) {
        PixelCnnConfig c = engineConfig(bernoulli, channels, kernel, 256);
        String tag = String.format("%s C=%d k=%d", bernoulli ? "bernoulli" : "cat256", channels, kernel);
        Images images = PixelCnnTest.randomImages(c, 3, kernel * 31L + channels);
        compareWithLibTorch(c, tag, images);
    }

    /**
     * Adam in isolation: both optimisers get the same parameters and the same gradients (the
     * torch gradients are written into the engine), for three steps, so bias correction at
     * steps 1..3 is covered; the parameter updates and both moments must agree.
     */
    @ParameterizedTest(name = "bernoulli={0} gated={1}")
    @MethodSource("headsAndArchitectures")
    void adamStepsMatchLibTorch(boolean bernoulli, boolean gated) {
        adamStepsMatchLibTorch(bernoulli, gated, 0.0);
    }

    /** The same with torch.optim.Adam's weight decay (L2 added to the gradient). */
    @ParameterizedTest(name = "bernoulli={0} gated={1}")
    @MethodSource("headsAndArchitectures")
    void adamStepsWithWeightDecayMatchLibTorch(boolean bernoulli, boolean gated) {
        adamStepsMatchLibTorch(bernoulli, gated, 0.05);
    }

    private void adamStepsMatchLibTorch(boolean bernoulli, boolean gated, double weightDecay) {
        PixelCnnConfig c = gated ? gatedConfig(bernoulli, 3, 3, 5, 3) : engineConfig(bernoulli, 3, 3, 5);
        int[] labels = labelsFor(c, 2);
        Images images = PixelCnnTest.randomImages(c.toBuilder().optClasses(0).build(), 2, 99);
        float lr = 1e-3f;
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2));
                TorchPixelCnn torch = new TorchPixelCnn(torchConfig(c), 2);
                AdamConfig adam = new AdamConfig().learning_rate(lr).weight_decay(weightDecay)) {
            Model engine = model.engineModel();
            copyWeights(engine, torch);
            for (int step = 1; step <= 3; step++) {
                float[][] before = new float[engine.tensor_count()][];
                torch.forwardBackward(images.toArray(), labels, images.count());
                for (int i = 0; i < engine.tensor_count(); i++) {
                    String name = engine.tensor_name(i);
                    before[i] = torch.getTensor(name);
                    engine.write_tensor(pixelcnn.TENSOR_GRAD, i, torch.grad(name));
                }
                engine.adam_step(adam);
                torch.adamStep(lr, weightDecay);
                for (int i = 0; i < engine.tensor_count(); i++) {
                    String name = engine.tensor_name(i);
                    float[] after = new float[before[i].length];
                    engine.read_tensor(pixelcnn.TENSOR_PARAM, i, after);
                    float[] torchAfter = torch.getTensor(name);
                    float[] mask = torch.mask(name);
                    float[] dEngine = new float[after.length];
                    float[] dTorch = new float[after.length];
                    for (int j = 0; j < after.length; j++) {
                        // Masked taps: the engine keeps them at zero, torch never moves them.
                        dEngine[j] = mask[j] == 0 ? 0 : after[j] - before[i][j];
                        dTorch[j] = mask[j] == 0 ? 0 : torchAfter[j] - before[i][j];
                    }
                    // The update is ~lr while the weights are ~0.3: the float32 rounding of
                    // w - update alone is ~3e-8 / 1e-3 = 3e-5 of the update, hence 1e-4.
                    expectClose((gated ? "gated " : "") + "adam step " + step + " update " + name, dEngine, dTorch, 1e-4);
                    float[] m = new float[after.length];
                    float[] v = new float[after.length];
                    engine.read_tensor(pixelcnn.TENSOR_ADAM_M, i, m);
                    engine.read_tensor(pixelcnn.TENSOR_ADAM_V, i, v);
                    expectClose((gated ? "gated " : "") + "adam step " + step + " exp_avg " + name, m, torch.adamState(name, false), 1e-6);
                    expectClose((gated ? "gated " : "") + "adam step " + step + " exp_avg_sq " + name, v, torch.adamState(name, true), 1e-6);
                }
            }
            assertEquals(3, engine.adam_step_count());
        }
    }

    static Stream<Arguments> headsAndArchitectures() {
        return Stream.of(Arguments.of(true, false), Arguments.of(false, false), Arguments.of(true, true),
                Arguments.of(false, true));
    }

    /** A bigger, fm-like model through whole training steps (forward, backward, Adam) together. */
    @Test
    void trainingStepsMatchLibTorch() {
        PixelCnnConfig c = PixelCnnConfig.builder().setImageShape(1, 16, 16).optHiddenChannels(32)
                .optResidualChannels(16).optHeadChannels(32).optBlocks(3).optCategorical(16).build();
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2));
                TorchPixelCnn torch = new TorchPixelCnn(torchConfig(c), 2);
                AdamConfig adam = new AdamConfig().learning_rate(1e-3)) {
            Model engine = model.engineModel();
            copyWeights(engine, torch);
            for (int step = 0; step < 5; step++) {
                byte[] batch = PixelCnnTest.randomImages(c, 8, 1000 + step).toArray();
                float le = engine.train_step(batch, 8, adam);
                float lt = torch.trainStep(batch, 8, 1e-3f);
                assertEquals(lt, le, 1e-4 * Math.abs(lt), "loss of step " + (step + 1));
            }
            for (int i = 0; i < engine.tensor_count(); i++) {
                float[] w = new float[(int) engine.tensor_size(i)];
                engine.read_tensor(pixelcnn.TENSOR_PARAM, i, w);
                expectClose("after 5 steps " + engine.tensor_name(i), w, torch.getTensor(engine.tensor_name(i)), 1e-3);
            }
        }
    }

    @AfterAll
    static void printReport() {
        // The worst normalised error of each kind of comparison, for the closing note.
        String[] kinds = {" logits", " loss", " grad ", " update ", " exp_avg ", " exp_avg_sq ", "after 5 steps"};
        System.out.println("OracleTest: " + REPORT.size() + " comparisons; worst normalised error per kind:");
        for (String network : new String[] {"plain", "gated"}) {
            for (String kind : kinds) {
                REPORT.stream().filter(line -> line.contains(kind) && line.contains("gated") == network.equals("gated"))
                        .max((x, y) -> Double.compare(value(x), value(y)))
                        .ifPresent(line -> System.out.println("  " + network + " " + kind.trim() + ": "
                                + line.replaceAll("\\s+", " ")));
            }
        }
    }

    private static double value(String line) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
}
