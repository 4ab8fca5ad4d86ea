package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
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
 * Checkpoint interoperability with PyTorch, through the LibTorch twin of the module that
 * {@code docs/interop.md} defines in Python.
 *
 * <p>pixelcnn4j to PyTorch: a model trained a few steps is saved; the file is parsed with
 * {@link Safetensors} only (no pixelcnn4j model code), the LibTorch module is built from the
 * {@code model.*} metadata alone and loaded by tensor name, skipping {@code optimizer.*}. Its tensor
 * names and shapes must be exactly the file's, and its logits must equal the engine's.
 *
 * <p>PyTorch to pixelcnn4j: the LibTorch module's own weights (masked taps nonzero, as after
 * PyTorch's initialisation) are written the way {@code safetensors.torch.save_file} writes them
 * (tensors sorted by name, no checksum) with the metadata the doc lists, loaded with
 * {@link PixelCnn#load} and compared the same way.
 *
 * <p>Error measure: max|engine - torch| / max|torch| over all logits; bound 1e-5.
 */
class InteropTest {
    static final double TOLERANCE = 1e-5;
    static final int IMAGES = 4;

    static Stream<Arguments> models() {
        List<Arguments> list = new ArrayList<>();
        for (boolean bernoulli : new boolean[] {true, false}) {
            for (int channels : new int[] {1, 3}) {
                list.add(Arguments.of(bernoulli, channels));
            }
        }
        return list.stream();
    }

    /** A tiny model: 7x6 images, widths divisible by 3, two residual blocks, 5x5 then 3x3 kernels. */
    static PixelCnnConfig config(boolean bernoulli, int channels) {
        PixelCnnConfig.Builder b = PixelCnnConfig.builder()
                .setImageShape(channels, 7, 6)
                .optHiddenChannels(12)
                .optResidualChannels(6)
                .optHeadChannels(9)
                .optBlocks(2)
                .optInputKernel(5)
                .optBlockKernel(3)
                .optSeed(5 + channels);
        return bernoulli ? b.optBernoulli().build() : b.optCategorical(16).build();
    }

    static Images randomImages(PixelCnnConfig c, int count, long seed) {
        Random r = new Random(seed);
        byte[] data = new byte[count * c.dimensions()];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) r.nextInt(c.levels());
        }
        return Images.of(data, count, c.channels(), c.height(), c.width());
    }

    /** The LibTorch module's configuration from the checkpoint metadata alone, as Python reads it. */
    static TorchConfig torchConfigFromMetadata(Map<String, String> m) {
        return new TorchConfig(
                intKey(m, "model.channels"), intKey(m, "model.height"), intKey(m, "model.width"),
                "bernoulli".equals(m.get("model.head")), intKey(m, "model.levels"),
                intKey(m, "model.hidden_channels"), intKey(m, "model.residual_channels"),
                intKey(m, "model.head_channels"), intKey(m, "model.blocks"),
                intKey(m, "model.input_kernel"), intKey(m, "model.block_kernel"));
    }

    static int intKey(Map<String, String> m, String key) {
        String v = m.get(key);
        assertTrue(v != null, "metadata key " + key + " is missing; have " + m.keySet());
        return Integer.parseInt(v);
    }

    static double normalisedMaxError(float[] engine, float[] torch) {
        assertEquals(torch.length, engine.length, "logit counts differ");
        double maxErr = 0;
        double maxRef = 0;
        for (int i = 0; i < torch.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(engine[i] - torch[i]));
            maxRef = Math.max(maxRef, Math.abs(torch[i]));
        }
        return maxRef == 0 ? maxErr : maxErr / maxRef;
    }

    static String tag(boolean bernoulli, int channels) {
        return (bernoulli ? "bernoulli" : "categorical16") + " C=" + channels;
    }

    @ParameterizedTest(name = "bernoulli={0} C={1}")
    @MethodSource("models")
    void pixelcnn4jCheckpointLoadsIntoTheTorchModule(boolean bernoulli, int channels, @TempDir Path dir)
            throws IOException {
        PixelCnnConfig c = config(bernoulli, channels);
        Path file = dir.resolve("model.safetensors");
        Images train = randomImages(c, 16, 11 + channels);
        Images test = randomImages(c, IMAGES, 101 + channels);
        int steps = 3;
        float[] engineLogits;
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
            model.train(train, TrainingConfig.builder().setSteps(steps).optBatchSize(4)
                    .optLearningRate(1e-2).build(), null);
            model.save(file);
            engineLogits = model.logits(test);

            // Read the file as a foreign program would: the safetensors reader and nothing else.
            Safetensors.Contents contents = Safetensors.read(file);
            Map<String, String> meta = contents.metadata();
            assertEquals("pixelcnn4j/1", meta.get("format"));
            assertEquals(Integer.toString(steps), meta.get("training.step"));
            assertTrue(meta.get(Safetensors.CHECKSUM_KEY).matches("[0-9a-f]{8}"),
                    "checksum.data: " + meta.get(Safetensors.CHECKSUM_KEY));
            Map<String, Safetensors.Tensor> weights = new LinkedHashMap<>();
            Map<String, Safetensors.Tensor> optimizer = new LinkedHashMap<>();
            for (Safetensors.Tensor t : contents.tensors()) {
                (t.name().startsWith("optimizer.") ? optimizer : weights).put(t.name(), t);
            }

            try (TorchPixelCnn torch = new TorchPixelCnn(torchConfigFromMetadata(meta), 2)) {
                // Same names both ways, same shapes.
                assertEquals(new TreeSet<>(torch.tensorNames()), new TreeSet<>(weights.keySet()),
                        "tensor names of the torch module vs the file (optimizer entries excluded)");
                for (String name : torch.tensorNames()) {
                    Safetensors.Tensor t = weights.get(name);
                    assertArrayEquals(torch.shape(name), t.shape(), "shape of " + name);
                    // Masked taps are stored as zeros.
                    float[] mask = torch.mask(name);
                    float[] data = t.data();
                    for (int i = 0; i < data.length; i++) {
                        // == rather than assertEquals: a dead centre tap may be stored as -0.0.
                        assertTrue(mask[i] != 0f || data[i] == 0f,
                                name + ": masked tap " + i + " is " + data[i] + ", expected zero");
                    }
                    // Adam moments (step > 0): one pair per weight, same shapes.
                    for (String prefix : new String[] {"optimizer.exp_avg.", "optimizer.exp_avg_sq."}) {
                        Safetensors.Tensor moment = optimizer.get(prefix + name);
                        assertTrue(moment != null, "missing " + prefix + name);
                        assertArrayEquals(torch.shape(name), moment.shape(), "shape of " + prefix + name);
                    }
                    torch.setTensor(name, data);
                }
                assertEquals(2 * weights.size(), optimizer.size(), "optimizer entries: " + optimizer.keySet());

                float[] torchLogits = torch.logits(test.toArray(), test.count());
                double err = normalisedMaxError(engineLogits, torchLogits);
                System.out.printf(Locale.ROOT, "interop pixelcnn4j->torch %-16s logits normalised max error %.2e%n",
                        tag(bernoulli, channels), err);
                assertTrue(err <= TOLERANCE, "logits: normalised max error " + err + " > " + TOLERANCE);

                // The NLL a Python user computes from these logits is the engine's too.
                double[] nllEngine = model.logLikelihood(test).natsArray();
                double[] nllTorch = torch.perImageNll(test.toArray(), test.count());
                for (int i = 0; i < nllEngine.length; i++) {
                    assertEquals(nllTorch[i], nllEngine[i], 1e-5 * Math.abs(nllTorch[i]), "NLL of image " + i);
                }
            }
        }
        // And the file loads back into the engine with the same logits, bit for bit.
        try (PixelCnn again = PixelCnn.load(file, Device.cpu(2));
                PixelCnn fresh = PixelCnn.create(c, Device.cpu(2))) {
            assertEquals(steps, again.step());
            float[] reloaded = again.logits(test);
            assertArrayEquals(engineLogits, reloaded, "logits after load");
            assertTrue(normalisedMaxError(fresh.logits(test), reloaded) > 1e-3, "training changed nothing");
        }
    }

    @ParameterizedTest(name = "bernoulli={0} C={1}")
    @MethodSource("models")
    void torchStateDictLoadsIntoPixelcnn4j(boolean bernoulli, int channels, @TempDir Path dir) throws IOException {
        PixelCnnConfig c = config(bernoulli, channels);
        Images test = randomImages(c, IMAGES, 202 + channels);
        Path file = dir.resolve("from-torch.safetensors");
        try (TorchPixelCnn torch = new TorchPixelCnn(torchConfigFromMetadata(c.toMetadata()), 2, 77L)) {
            // The metadata docs/interop.md lists as required, written by hand as Python would.
            Map<String, String> meta = new TreeMap<>();
            meta.put("format", "pixelcnn4j/1");
            meta.put("model.architecture", "pixelcnn");
            meta.put("model.channels", Integer.toString(c.channels()));
            meta.put("model.height", Integer.toString(c.height()));
            meta.put("model.width", Integer.toString(c.width()));
            meta.put("model.head", bernoulli ? "bernoulli" : "categorical");
            meta.put("model.levels", Integer.toString(c.levels()));
            meta.put("model.hidden_channels", Integer.toString(c.hiddenChannels()));
            meta.put("model.residual_channels", Integer.toString(c.residualChannels()));
            meta.put("model.head_channels", Integer.toString(c.headChannels()));
            meta.put("model.blocks", Integer.toString(c.blocks()));
            meta.put("model.input_kernel", Integer.toString(c.inputKernel()));
            meta.put("model.block_kernel", Integer.toString(c.blockKernel()));
            meta.put("model.seed", "0");
            meta.put("training.step", "0");
            Map<String, float[]> stateDict = torch.stateDict();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            boolean sawNonzeroMaskedTap = false;
            for (String name : stateDict.keySet()) {
                shapes.put(name, torch.shape(name));
                float[] mask = torch.mask(name);
                float[] v = stateDict.get(name);
                for (int i = 0; i < v.length; i++) {
                    sawNonzeroMaskedTap |= mask[i] == 0f && v[i] != 0f;
                }
            }
            assertTrue(sawNonzeroMaskedTap, "the torch weights should have nonzero masked taps");
            writeLikeSafetensorsTorch(file, meta, stateDict, shapes);

            try (PixelCnn model = PixelCnn.load(file, Device.cpu(2))) {
                assertEquals(c.toBuilder().optSeed(0).build(), model.config());
                float[] engineLogits = model.logits(test);
                float[] torchLogits = torch.logits(test.toArray(), test.count());
                double err = normalisedMaxError(engineLogits, torchLogits);
                System.out.printf(Locale.ROOT, "interop torch->pixelcnn4j %-16s logits normalised max error %.2e%n",
                        tag(bernoulli, channels), err);
                assertTrue(err <= TOLERANCE, "logits: normalised max error " + err + " > " + TOLERANCE);
                // Loaded weights read back with masked taps zeroed, live taps unchanged.
                for (Safetensors.Tensor t : model.stateDict()) {
                    float[] mask = torch.mask(t.name());
                    float[] expected = stateDict.get(t.name()).clone();
                    for (int i = 0; i < expected.length; i++) {
                        expected[i] *= mask[i];
                    }
                    float[] actual = t.data();
                    for (int i = 0; i < expected.length; i++) {
                        // == so that 0.0 and -0.0 (a negative masked tap times 0) compare equal
                        assertTrue(expected[i] == actual[i],
                                t.name() + "[" + i + "]: expected " + expected[i] + ", got " + actual[i]);
                    }
                }
                // Training continues from a file without Adam moments (step 0).
                model.train(randomImages(c, 8, 5), TrainingConfig.builder().setSteps(2).optBatchSize(4).build(), null);
                assertEquals(2, model.step());
            }
        }
    }

    /**
     * A safetensors file as {@code safetensors.torch.save_file(tensors, path, metadata)} writes it:
     * tensors in name order, header padded with spaces to a multiple of 8, and no checksum entry
     * (pixelcnn4j checks {@code checksum.data} only when present).
     */
    static void writeLikeSafetensorsTorch(Path file, Map<String, String> metadata, Map<String, float[]> tensors,
            Map<String, long[]> shapes) throws IOException {
        Set<String> names = new TreeSet<>(tensors.keySet());
        StringBuilder json = new StringBuilder("{\"__metadata__\":{");
        boolean first = true;
        for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
            json.append(first ? "" : ",").append('"').append(e.getKey()).append("\":\"").append(e.getValue()).append('"');
            first = false;
        }
        json.append('}');
        long offset = 0;
        for (String name : names) {
            long end = offset + 4L * tensors.get(name).length;
            StringBuilder shape = new StringBuilder();
            for (long d : shapes.get(name)) {
                shape.append(shape.length() == 0 ? "" : ",").append(d);
            }
            json.append(",\"").append(name).append("\":{\"dtype\":\"F32\",\"shape\":[").append(shape)
                    .append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        while (json.length() % 8 != 0) {
            json.append(' ');
        }
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + header.length + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length).put(header);
        for (String name : names) {
            for (float v : tensors.get(name)) {
                buf.putFloat(v);
            }
        }
        Files.write(file, buf.array());
    }
}
