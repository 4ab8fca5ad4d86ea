package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.pixelcnn4j.io.Safetensors;
import org.pixelcnn4j.oracle.TorchConfig;
import org.pixelcnn4j.oracle.TorchPixelCnn;

/**
 * {@link InteropTest} for Gated PixelCNN: checkpoints of gated models, class-conditional or not,
 * both ways between pixelcnn4j and the LibTorch twin of the gated module of docs/interop.md. The
 * module is built from the file's {@code model.*} metadata alone; names, shapes, stored zeros of
 * masked taps, Adam moments and logits (each image under its label) must agree.
 */
class GatedInteropTest {

    static Stream<Arguments> models() {
        return Stream.of(Arguments.of(true, 1, 0), Arguments.of(false, 1, 4), Arguments.of(false, 3, 0),
                Arguments.of(true, 3, 2));
    }

    static PixelCnnConfig config(boolean bernoulli, int channels, int classes) {
        PixelCnnConfig.Builder b = PixelCnnConfig.builder().optArchitecture(PixelCnnConfig.Architecture.GATED)
                .setImageShape(channels, 7, 6).optHiddenChannels(12).optHeadChannels(9).optBlocks(3)
                .optInputKernel(5).optBlockKernel(3).optClasses(classes).optSkipConnections(classes != 2)
                .optSeed(9 + channels);
        return bernoulli ? b.optBernoulli().build() : b.optCategorical(16).build();
    }

    static Images labelled(PixelCnnConfig c, Images images) {
        if (c.classes() == 0) {
            return images;
        }
        int[] labels = new int[images.count()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (i * 7 + 1) % c.classes();
        }
        return images.withLabels(labels);
    }

    /** The twin's configuration from the metadata alone, as the doc's Python reads it. */
    static TorchConfig torchConfigFromMetadata(Map<String, String> m) {
        assertEquals("gated", m.get("model.architecture"));
        return new TorchConfig(InteropTest.intKey(m, "model.channels"), InteropTest.intKey(m, "model.height"),
                InteropTest.intKey(m, "model.width"), "bernoulli".equals(m.get("model.head")),
                InteropTest.intKey(m, "model.levels"), InteropTest.intKey(m, "model.hidden_channels"),
                InteropTest.intKey(m, "model.hidden_channels"), InteropTest.intKey(m, "model.head_channels"),
                InteropTest.intKey(m, "model.blocks"), InteropTest.intKey(m, "model.input_kernel"),
                InteropTest.intKey(m, "model.block_kernel"), true, InteropTest.intKey(m, "model.classes"),
                Boolean.parseBoolean(m.get("model.skip_connections")));
    }

    @ParameterizedTest(name = "bernoulli={0} C={1} classes={2}")
    @MethodSource("models")
    void gatedCheckpointLoadsIntoTheTorchModule(boolean bernoulli, int channels, int classes, @TempDir Path dir)
            throws IOException {
        PixelCnnConfig c = config(bernoulli, channels, classes);
        Path file = dir.resolve("gated.safetensors");
        Images train = labelled(c, InteropTest.randomImages(c, 16, 3 + channels));
        Images test = labelled(c, InteropTest.randomImages(c, InteropTest.IMAGES, 30 + channels));
        float[] engineLogits;
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
            model.train(train, TrainingConfig.builder().setSteps(3).optBatchSize(4).optLearningRate(1e-2).build());
            model.save(file);
            engineLogits = model.logits(test);
            Safetensors.Contents contents = Safetensors.read(file);
            Map<String, String> meta = contents.metadata();
            Map<String, Safetensors.Tensor> weights = new LinkedHashMap<>();
            int moments = 0;
            for (Safetensors.Tensor t : contents.tensors()) {
                if (t.name().startsWith("optimizer.")) {
                    moments++;
                } else {
                    weights.put(t.name(), t);
                }
            }
            assertEquals(2 * weights.size(), moments, "one pair of Adam moments per tensor");
            try (TorchPixelCnn torch = new TorchPixelCnn(torchConfigFromMetadata(meta), 2)) {
                assertEquals(new TreeSet<>(torch.tensorNames()), new TreeSet<>(weights.keySet()), "tensor names");
                for (String name : torch.tensorNames()) {
                    Safetensors.Tensor t = weights.get(name);
                    assertArrayEquals(torch.shape(name), t.shape(), "shape of " + name);
                    float[] mask = torch.mask(name);
                    for (int i = 0; i < t.data().length; i++) {
                        assertTrue(mask[i] != 0f || t.data()[i] == 0f, name + ": masked tap " + i + " not zero");
                    }
                    torch.setTensor(name, t.data());
                }
                float[] torchLogits = torch.logits(test.toArray(), test.labels(), test.count());
                double err = InteropTest.normalisedMaxError(engineLogits, torchLogits);
                System.out.printf(Locale.ROOT, "interop gated pixelcnn4j->torch %s C=%d classes=%d: logits error %.2e%n",
                        bernoulli ? "bernoulli" : "categorical16", channels, classes, err);
                assertTrue(err <= InteropTest.TOLERANCE, "logits: normalised max error " + err);
            }
        }
        try (PixelCnn again = PixelCnn.load(file, Device.cpu(2))) {
            assertEquals(c, again.config());
            assertArrayEquals(engineLogits, again.logits(test), "logits after load");
        }
    }

    @ParameterizedTest(name = "bernoulli={0} C={1} classes={2}")
    @MethodSource("models")
    void torchGatedStateDictLoadsIntoPixelcnn4j(boolean bernoulli, int channels, int classes, @TempDir Path dir)
            throws IOException {
        PixelCnnConfig c = config(bernoulli, channels, classes);
        Images test = labelled(c, InteropTest.randomImages(c, InteropTest.IMAGES, 60 + channels));
        Path file = dir.resolve("from-torch.safetensors");
        try (TorchPixelCnn torch = new TorchPixelCnn(OracleTest.torchConfig(c), 2, 78L)) {
            // The metadata docs/interop.md lists for a gated model, written as Python would.
            Map<String, String> meta = new TreeMap<>();
            meta.put("format", "pixelcnn4j/1");
            meta.put("model.architecture", "gated");
            meta.put("model.channels", Integer.toString(c.channels()));
            meta.put("model.height", Integer.toString(c.height()));
            meta.put("model.width", Integer.toString(c.width()));
            meta.put("model.head", bernoulli ? "bernoulli" : "categorical");
            meta.put("model.levels", Integer.toString(c.levels()));
            meta.put("model.hidden_channels", Integer.toString(c.hiddenChannels()));
            meta.put("model.head_channels", Integer.toString(c.headChannels()));
            meta.put("model.blocks", Integer.toString(c.blocks()));
            meta.put("model.input_kernel", Integer.toString(c.inputKernel()));
            meta.put("model.block_kernel", Integer.toString(c.blockKernel()));
            meta.put("model.classes", Integer.toString(c.classes()));
            meta.put("model.skip_connections", Boolean.toString(c.skipConnections()));
            meta.put("model.seed", "0");
            meta.put("training.step", "0");
            Map<String, float[]> stateDict = torch.stateDict();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            boolean nonzeroMaskedTap = false;
            for (String name : stateDict.keySet()) {
                shapes.put(name, torch.shape(name));
                float[] mask = torch.mask(name);
                float[] v = stateDict.get(name);
                for (int i = 0; i < v.length; i++) {
                    nonzeroMaskedTap |= mask[i] == 0f && v[i] != 0f;
                }
            }
            assertTrue(nonzeroMaskedTap, "the torch weights should hold nonzero masked taps");
            InteropTest.writeLikeSafetensorsTorch(file, meta, stateDict, shapes);
            try (PixelCnn model = PixelCnn.load(file, Device.cpu(2))) {
                assertEquals(c.toBuilder().optSeed(0).build(), model.config());
                double err = InteropTest.normalisedMaxError(model.logits(test),
                        torch.logits(test.toArray(), test.labels(), test.count()));
                System.out.printf(Locale.ROOT, "interop gated torch->pixelcnn4j %s C=%d classes=%d: logits error %.2e%n",
                        bernoulli ? "bernoulli" : "categorical16", channels, classes, err);
                assertTrue(err <= InteropTest.TOLERANCE, "logits: normalised max error " + err);
                double[] nllEngine = model.logLikelihood(test).natsArray();
                double[] nllTorch = torch.perImageNll(test.toArray(), test.labels(), test.count());
                for (int i = 0; i < nllEngine.length; i++) {
                    assertEquals(nllTorch[i], nllEngine[i], 1e-5 * Math.abs(nllTorch[i]), "NLL of image " + i);
                }
                model.train(labelled(c, InteropTest.randomImages(c, 8, 5)),
                        TrainingConfig.builder().setSteps(2).optBatchSize(4).build());
                assertEquals(2, model.step());
            }
        }
    }
}
