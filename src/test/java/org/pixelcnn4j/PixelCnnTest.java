package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.pixelcnn4j.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The facade: causality, checkpoints and exact resume, bad input, closing and leaks. */
class PixelCnnTest {

    static PixelCnnConfig tiny(int channels, boolean bernoulli) {
        PixelCnnConfig.Builder b = PixelCnnConfig.builder()
                .setImageShape(channels, 7, 6)
                .optHiddenChannels(6 * channels)
                .optResidualChannels(3 * channels)
                .optHeadChannels(6 * channels)
                .optBlocks(2)
                .optInputKernel(5)
                .optBlockKernel(3)
                .optSeed(3);
        return bernoulli ? b.optBernoulli().build() : b.optCategorical(7).build();
    }

    /** A tiny gated model of {@code classes} classes (0: unconditional). */
    static PixelCnnConfig tinyGated(int channels, boolean bernoulli, int classes) {
        PixelCnnConfig.Builder b = PixelCnnConfig.builder().optArchitecture(PixelCnnConfig.Architecture.GATED)
                .setImageShape(channels, 5, 4).optHiddenChannels(6 * channels).optHeadChannels(6 * channels)
                .optBlocks(2).optInputKernel(3).optBlockKernel(3).optClasses(classes).optSeed(3);
        return bernoulli ? b.optBernoulli().build() : b.optCategorical(5).build();
    }

    /** Random values in [-1, 1) in every class table (the engine starts them at zero). */
    static void randomiseClassTables(PixelCnn model, long seed) {
        org.pixelcnn4j.engine.Model engine = model.engineModel();
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        for (int i = 0; i < engine.tensor_count(); i++) {
            if (engine.tensor_name(i).endsWith("_class.weight")) {
                float[] table = new float[(int) engine.tensor_size(i)];
                for (int j = 0; j < table.length; j++) {
                    table[j] = (float) (2 * random.nextDouble() - 1);
                }
                engine.write_tensor(org.pixelcnn4j.engine.global.pixelcnn.TENSOR_PARAM, i, table);
            }
        }
    }

    static Images randomImages(PixelCnnConfig c, int count, long seed) {
        Random r = new Random(seed);
        byte[] data = new byte[count * c.dimensions()];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) r.nextInt(c.levels());
        }
        return Images.of(data, count, c.channels(), c.height(), c.width());
    }

    // ---- causality by perturbation ----

    @Test
    void predictionsDependOnlyOnEarlierPixelsAndChannels() {
        for (int channels : new int[] {1, 3}) {
            for (boolean bernoulli : new boolean[] {true, false}) {
                PixelCnnConfig c = tiny(channels, bernoulli);
                try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
                    checkCausality(model, c);
                }
            }
        }
    }

    private static void checkCausality(PixelCnn model, PixelCnnConfig c) {
        int plane = c.height() * c.width();
        int perChannel = c.head() == PixelCnnConfig.Head.BERNOULLI ? 1 : c.levels();
        Images base = randomImages(c, 1, 5);
        float[] ref = model.logits(base);
        boolean[][] sawEarlierChange = new boolean[plane][c.channels()];
        for (int q = 0; q < plane; q++) {
            for (int qc = 0; qc < c.channels(); qc++) {
                byte[] data = base.toArray();
                int idx = qc * plane + q;
                data[idx] = (byte) (((data[idx] & 0xFF) + 1) % c.levels());
                float[] out = model.logits(Images.of(data, 1, c.channels(), c.height(), c.width()));
                for (int p = 0; p < plane; p++) {
                    for (int pc = 0; pc < c.channels(); pc++) {
                        boolean changed = false;
                        for (int l = 0; l < perChannel; l++) {
                            int o = (pc * perChannel + l) * plane + p;
                            changed |= out[o] != ref[o];
                        }
                        boolean atOrAfter = q > p || (q == p && qc >= pc);
                        if (atOrAfter) {
                            assertFalse(changed, "prediction for pixel " + p + " channel " + pc
                                    + " changed when pixel " + q + " channel " + qc + " changed (" + c + ")");
                        } else if (changed) {
                            sawEarlierChange[p][pc] = true;
                        }
                    }
                }
            }
        }
        for (int p = 0; p < plane; p++) {
            for (int pc = 0; pc < c.channels(); pc++) {
                if (p > 0 || pc > 0) {
                    assertTrue(sawEarlierChange[p][pc], "prediction for pixel " + p + " channel " + pc
                            + " ignores every earlier value (" + c + ")");
                }
            }
        }
    }

    // ---- Gated PixelCNN and class labels ----

    @Test
    void labelsAreCheckedWhereverImagesGoIn() {
        PixelCnnConfig c = tinyGated(1, false, 3);
        Images plain = randomImages(c, 4, 6);
        Images labelled = plain.withLabels(0, 1, 2, 1);
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
            assertEquals(PixelCnnConfig.Architecture.GATED, model.config().architecture());
            TrainingConfig one = TrainingConfig.builder().setSteps(1).optBatchSize(2).build();
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.logLikelihood(plain)).getMessage()
                    .contains("conditioned on 3 classes; expected labelled images"));
            assertThrows(IllegalArgumentException.class, () -> model.train(plain, one));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> model.logLikelihood(plain.withLabels(0, 1, 3, 0))).getMessage()
                    .contains("label 3 of image 2 is outside [0, 2]"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.sample(2, SamplingConfig.ofSeed(1)))
                    .getMessage().contains("sample(labels, sampling)"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> model.sample(new int[] {1, -1}, SamplingConfig.ofSeed(1))).getMessage()
                    .contains("labels[1]: label -1 is outside [0, 2]"));
            assertThrows(IllegalArgumentException.class, () -> model.logLikelihood(plain, 5));
            assertThrows(IllegalArgumentException.class, () -> plain.withLabels(1, 2));
            model.train(labelled, one);
            assertEquals(1, model.step());
        }
        try (PixelCnn unconditional = PixelCnn.create(tinyGated(1, false, 0), Device.cpu(1))) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> unconditional.logLikelihood(labelled))
                    .getMessage().contains("the model is unconditional"));
            assertThrows(IllegalArgumentException.class, () -> unconditional.classScores(plain));
            assertThrows(IllegalArgumentException.class,
                    () -> unconditional.sample(new int[] {0}, SamplingConfig.ofSeed(1)));
            assertEquals(4, unconditional.logLikelihood(labelled.withoutLabels()).count());
        }
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> tiny(1, false).toBuilder().optClasses(3).build()).getMessage()
                .contains("the plain PixelCNN is unconditional"));
    }

    @Test
    void classScoresAreTheLikelihoodsUnderEachLabel() {
        PixelCnnConfig c = tinyGated(3, false, 4);
        Images images = randomImages(c, 3, 12);
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
            randomiseClassTables(model, 8);
            double[][] scores = model.classScores(images);
            assertEquals(3, scores.length);
            for (int y = 0; y < 4; y++) {
                double[] nats = model.logLikelihood(images, y).natsArray();
                int[] same = {y, y, y};
                assertArrayEquals(nats, model.logLikelihood(images.withLabels(same)).natsArray());
                for (int i = 0; i < 3; i++) {
                    assertEquals(-nats[i], scores[i][y], 0.0);
                }
            }
            // The label matters, and each image is scored under its own.
            assertNotEquals(scores[0][0], scores[0][1]);
            double[] mixed = model.logLikelihood(images.withLabels(2, 0, 3)).natsArray();
            assertEquals(-scores[0][2], mixed[0], 0.0);
            assertEquals(-scores[1][0], mixed[1], 0.0);
            assertEquals(-scores[2][3], mixed[2], 0.0);
        }
    }

    @Test
    void gatedConditionalModelSavesLoadsAndResumes(@TempDir Path dir) throws IOException {
        PixelCnnConfig c = tinyGated(1, true, 2).toBuilder().optSkipConnections(false).build();
        int[] labels = new int[24];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 2;
        }
        Images data = randomImages(c, 24, 3).withLabels(labels);
        TrainingConfig three = TrainingConfig.builder().setSteps(3).optBatchSize(6).build();
        List<Double> uninterrupted = new ArrayList<>();
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
            model.train(data, three, p -> uninterrupted.add(p.lossNats()));
            model.train(data, three, p -> uninterrupted.add(p.lossNats()));
        }
        Path file = dir.resolve("gated.safetensors");
        List<Double> resumed = new ArrayList<>();
        double[] scored;
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
            model.train(data, three, p -> resumed.add(p.lossNats()));
            scored = model.logLikelihood(data).natsArray();
            model.save(file);
        }
        Map<String, String> meta = PixelCnn.readMetadata(file);
        assertEquals("gated", meta.get("model.architecture"));
        assertEquals("2", meta.get("model.classes"));
        assertEquals("false", meta.get("model.skip_connections"));
        try (PixelCnn model = PixelCnn.load(file, Device.cpu(1))) {
            assertEquals(c, model.config());
            assertArrayEquals(scored, model.logLikelihood(data).natsArray());
            List<String> names = model.stateDict().stream().map(Safetensors.Tensor::name).toList();
            assertTrue(names.contains("layers.0.v_class.weight") && names.contains("layers.1.h_out.weight"), names.toString());
            model.train(data, three, p -> resumed.add(p.lossNats()));
        }
        for (int i = 0; i < uninterrupted.size(); i++) {
            assertEquals(uninterrupted.get(i), resumed.get(i), 1e-5 * Math.abs(uninterrupted.get(i)),
                    "loss of step " + (i + 1));
        }
    }

    // ---- checkpoints ----

    @Test
    void savedModelResumesWithTheSameNextLoss(@TempDir Path dir) throws IOException {
        PixelCnnConfig c = tiny(1, false);
        Images data = randomImages(c, 40, 9);
        TrainingConfig five = TrainingConfig.builder().setSteps(5).optBatchSize(8).build();
        TrainingConfig three = TrainingConfig.builder().setSteps(3).optBatchSize(8).build();
        List<Double> uninterrupted = new ArrayList<>();
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
            model.train(data, five, p -> uninterrupted.add(p.lossNats()));
            model.train(data, three, p -> uninterrupted.add(p.lossNats()));
        }
        List<Double> resumed = new ArrayList<>();
        Path file = dir.resolve("model.safetensors");
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
            model.train(data, five, p -> resumed.add(p.lossNats()));
            model.save(file);
        }
        try (PixelCnn model = PixelCnn.load(file, Device.cpu(1))) {
            assertEquals(5, model.step());
            assertEquals(c, model.config());
            model.train(data, three, p -> resumed.add(p.lossNats()));
        }
        assertEquals(uninterrupted.size(), resumed.size());
        for (int i = 0; i < uninterrupted.size(); i++) {
            // Same weights, Adam state and batch; only the thread count differs (1e-5 relative
            // covers summation order in the GEMMs).
            assertEquals(uninterrupted.get(i), resumed.get(i), 1e-5 * Math.abs(uninterrupted.get(i)),
                    "loss of step " + (i + 1));
        }
    }

    /** A step that would overflow the weights fails, the model stays as it was, and it saves and loads. */
    @Test
    void divergingStepLeavesALoadableModel(@TempDir Path dir) throws IOException {
        PixelCnnConfig c = tiny(1, true);
        Images data = randomImages(c, 16, 4);
        Path file = dir.resolve("model.safetensors");
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
            model.train(data, TrainingConfig.builder().setSteps(2).optBatchSize(8).build(), null);
            double before = model.logLikelihood(data).meanNats();
            TrainingConfig overflowing = TrainingConfig.builder().setSteps(1).optBatchSize(8)
                    .optLearningRate(3e38).build();  // a float, but the step overflows
            RuntimeException e = assertThrows(RuntimeException.class, () -> model.train(data, overflowing, null));
            assertTrue(e.getMessage().contains("model is unchanged"), e.getMessage());
            assertEquals(2, model.step());
            assertEquals(before, model.logLikelihood(data).meanNats(), 0.0);
            model.save(file);
        }
        try (PixelCnn loaded = PixelCnn.load(file)) {
            assertEquals(2, loaded.step());
        }
    }

    @Test
    void saveAndLoadKeepWeightsExactly(@TempDir Path dir) throws IOException {
        PixelCnnConfig c = tiny(3, false);
        Images images = randomImages(c, 3, 2);
        Path file = dir.resolve("m.safetensors");
        double[] before;
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
            before = model.logLikelihood(images).natsArray();
            model.save(file);
        }
        try (PixelCnn model = PixelCnn.load(file, Device.cpu(1))) {
            assertArrayEquals(before, model.logLikelihood(images).natsArray());
            assertEquals(0, model.step());
        }
    }

    @Test
    void badCheckpointsGiveClearErrors(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.safetensors");
        assertThrows(NoSuchFileException.class, () -> PixelCnn.load(missing));

        PixelCnnConfig c = tiny(1, true);
        Path good = dir.resolve("good.safetensors");
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
            model.save(good);
        }
        byte[] bytes = Files.readAllBytes(good);

        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        MalformedModelException e1 = assertThrows(MalformedModelException.class, () -> PixelCnn.load(truncated));
        assertTrue(e1.getMessage().contains("truncated"), e1.getMessage());

        Path corrupted = dir.resolve("corrupted.safetensors");
        byte[] flipped = bytes.clone();
        flipped[flipped.length - 10] ^= 0x40;
        Files.write(corrupted, flipped);
        MalformedModelException e2 = assertThrows(MalformedModelException.class, () -> PixelCnn.load(corrupted));
        assertTrue(e2.getMessage().contains("checksum"), e2.getMessage());

        Path garbage = dir.resolve("garbage.safetensors");
        Files.write(garbage, "this is not a checkpoint at all".getBytes());
        assertThrows(MalformedModelException.class, () -> PixelCnn.load(garbage));

        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        assertThrows(MalformedModelException.class, () -> PixelCnn.load(empty));

        // A non-numeric metadata value: the error names the key.
        String header = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
        String step = "\"training.step\":\"0\"";
        assertTrue(header.contains(step), "the saved header holds " + step);
        Path badStep = dir.resolve("bad-step.safetensors");
        Files.write(badStep, header.replace(step, "\"training.step\":\"x\"")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        MalformedModelException e3 = assertThrows(MalformedModelException.class, () -> PixelCnn.load(badStep));
        assertTrue(e3.getMessage().contains("training.step: expected an integer"), e3.getMessage());
    }

    /** Widths not set follow the hidden width and the image channels. */
    @Test
    void unsetWidthsDeriveFromTheHiddenWidth() {
        PixelCnnConfig narrow = PixelCnnConfig.builder().optHiddenChannels(64).build();
        assertEquals(List.of(64, 32, 64), List.of(narrow.hiddenChannels(), narrow.residualChannels(),
                narrow.headChannels()));
        PixelCnnConfig grey = PixelCnnConfig.builder().build();
        assertEquals(List.of(128, 64, 128), List.of(grey.hiddenChannels(), grey.residualChannels(), grey.headChannels()));
        PixelCnnConfig colour = PixelCnnConfig.builder().setImageShape(3, 32, 32).optCategorical(256).build();
        assertEquals(List.of(120, 60, 120), List.of(colour.hiddenChannels(), colour.residualChannels(),
                colour.headChannels()));
        assertEquals(colour, PixelCnnConfig.rgb32());
        // Half of 66 is 33, a multiple of 3; half of 6 is 3; an explicit width is kept.
        PixelCnnConfig odd = PixelCnnConfig.builder().setImageShape(3, 8, 8).optHiddenChannels(66).build();
        assertEquals(33, odd.residualChannels());
        assertEquals(3, PixelCnnConfig.builder().setImageShape(3, 8, 8).optHiddenChannels(6).build().residualChannels());
        PixelCnnConfig set = PixelCnnConfig.builder().optHiddenChannels(64).optResidualChannels(16).build();
        assertEquals(List.of(64, 16, 64), List.of(set.hiddenChannels(), set.residualChannels(), set.headChannels()));
        // toBuilder keeps every width as it is; the shape can come before or after the widths.
        assertEquals(32, narrow.toBuilder().optHiddenChannels(96).build().residualChannels());
        assertEquals(PixelCnnConfig.builder().optHiddenChannels(12).setImageShape(3, 8, 8).build(),
                PixelCnnConfig.builder().setImageShape(3, 8, 8).optHiddenChannels(12).build());
        try (PixelCnn model = PixelCnn.create(PixelCnnConfig.builder().setImageShape(3, 4, 4).optHiddenChannels(6)
                .optBlocks(1).build(), Device.cpu(1))) {
            assertTrue(model.parameterCount() > 0);
        }
    }

    /** A configuration too big for the machine fails before allocating, saying what it needs. */
    @Test
    void absurdConfigurationsSayHowMuchMemoryTheyNeed() {
        PixelCnnConfig huge = PixelCnnConfig.builder().optHiddenChannels(15000).optBlocks(1000).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PixelCnn.create(huge));
        assertTrue(e.getMessage().contains("parameters (weights, gradients and Adam moments) needs"), e.getMessage());
        assertTrue(e.getMessage().contains("TiB, more than the"), e.getMessage());
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> PixelCnnConfig.builder().optHiddenChannels(1 << 20).build());
        assertTrue(wide.getMessage().startsWith("hiddenChannels: expected a count in 1..65536"), wide.getMessage());
    }

    /**
     * A checkpoint of a few kilobytes whose metadata claims a huge model is refused before any
     * model is built: its tensors are compared with the parameters that metadata implies.
     */
    @Test
    void checkpointMetadataMustMatchItsTensors(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("good.safetensors");
        try (PixelCnn model = PixelCnn.create(tiny(1, true), Device.cpu(1))) {
            model.save(good);
        }
        org.pixelcnn4j.io.Safetensors.Contents contents = org.pixelcnn4j.io.Safetensors.read(good);
        Map<String, String> metadata = new java.util.LinkedHashMap<>(contents.metadata());
        metadata.keySet().removeIf(k -> k.startsWith("checksum."));
        for (String[] claim : new String[][] {{"model.hidden_channels", "15000"}, {"model.blocks", "1000"}}) {
            Map<String, String> lying = new java.util.LinkedHashMap<>(metadata);
            lying.put(claim[0], claim[1]);
            lying.put("model.residual_channels", "15000");
            lying.put("model.head_channels", "15000");
            Path file = dir.resolve("lying-" + claim[0] + ".safetensors");
            org.pixelcnn4j.io.Safetensors.write(file, lying, contents.tensors());
            assertTrue(Files.size(file) < 100_000);
            MalformedModelException e = assertThrows(MalformedModelException.class, () -> PixelCnn.load(file));
            assertTrue(e.getMessage().contains("the metadata describes a model of"), e.getMessage());
            assertTrue(e.getMessage().contains("but the file's weight tensors hold only"), e.getMessage());
        }
        // Tensors the model does not know are ignored, as docs/interop.md says.
        List<org.pixelcnn4j.io.Safetensors.Tensor> extra = new java.util.ArrayList<>(contents.tensors());
        extra.add(new org.pixelcnn4j.io.Safetensors.Tensor("extra.weight", new long[] {3}, new float[] {1, 2, 3}));
        Path withExtra = dir.resolve("extra.safetensors");
        org.pixelcnn4j.io.Safetensors.write(withExtra, metadata, extra);
        try (PixelCnn loaded = PixelCnn.load(withExtra, Device.cpu(1))) {
            assertEquals(tiny(1, true), loaded.config());
        }
    }

    /** The writer keeps the reader's header limit: too much metadata is refused before any file is touched. */
    @Test
    void metadataBeyondTheReadersLimitIsRefused(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("model.safetensors");
        try (PixelCnn model = PixelCnn.create(tiny(1, true), Device.cpu(1))) {
            model.save(file);
            byte[] original = Files.readAllBytes(file);
            String huge = "a".repeat((int) org.pixelcnn4j.io.Safetensors.MAX_HEADER_BYTES);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.save(file, Map.of("note", huge)));
            assertTrue(e.getMessage().contains("reader's limit"), e.getMessage());
            assertArrayEquals(original, Files.readAllBytes(file));
            try (var files = Files.list(dir)) {
                assertEquals(List.of(file), files.toList(), "nothing left beside the checkpoint");
            }
        }
    }

    @Test
    void failedSaveLeavesThePreviousFileIntact(@TempDir Path dir) throws IOException {
        PixelCnnConfig c = tiny(1, true);
        Path file = dir.resolve("model.safetensors");
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
            model.save(file);
        }
        byte[] original = Files.readAllBytes(file);
        // A directory where the temporary file should go makes the save fail midway.
        Path blocked = dir.resolve("sub");
        Files.createDirectories(blocked);
        Path target = blocked.resolve("model.safetensors");
        Files.write(target, original);
        assertTrue(blocked.toFile().setWritable(false));
        try (PixelCnn model = PixelCnn.create(c.toBuilder().optSeed(99).build(), Device.cpu(1))) {
            if (!Files.isWritable(blocked)) { // root ignores permissions; then use the other path
                assertThrows(IOException.class, () -> model.save(target));
                assertArrayEquals(original, Files.readAllBytes(target));
            }
            // Saving onto a path that is a non-empty directory fails and leaves it alone.
            Path dirTarget = dir.resolve("occupied");
            Files.createDirectories(dirTarget.resolve("child"));
            assertThrows(IOException.class, () -> model.save(dirTarget));
            assertTrue(Files.isDirectory(dirTarget.resolve("child")));
        } finally {
            blocked.toFile().setWritable(true);
        }
        assertArrayEquals(original, Files.readAllBytes(file));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tmp")),
                    "a temporary file was left behind");
        }
    }

    /** Temporaries a killed save left behind go on the next save to that path, once nobody has touched them for an hour. */
    @Test
    void abandonedTemporariesAreRemovedAndErrorsNameTheTarget(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("model.safetensors");
        Path abandoned = dir.resolve(".model.safetensors.1f2e3d4c5b6a7980.tmp");
        Path live = dir.resolve(".model.safetensors.00ff.tmp");
        Path otherTarget = dir.resolve(".other.safetensors.1234.tmp");
        for (Path p : List.of(abandoned, live, otherTarget)) {
            Files.write(p, new byte[] {1, 2, 3});
        }
        java.nio.file.attribute.FileTime old =
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(java.time.Duration.ofHours(2)));
        Files.setLastModifiedTime(abandoned, old);
        Files.setLastModifiedTime(otherTarget, old);
        try (PixelCnn model = PixelCnn.create(tiny(1, true), Device.cpu(1))) {
            model.save(file);
            assertFalse(Files.exists(abandoned), "the abandoned temporary is still there");
            assertTrue(Files.exists(live), "a temporary touched within the hour was removed");
            assertTrue(Files.exists(otherTarget), "another path's temporary was removed");
            // A save that cannot happen names the file asked for.
            Path nowhere = dir.resolve("missing-folder").resolve("model.safetensors");
            IOException e = assertThrows(IOException.class, () -> model.save(nowhere));
            assertTrue(e.getMessage().contains(nowhere.toString()), e.getMessage());
        }
        // Loading a directory names it.
        MalformedModelException d = assertThrows(MalformedModelException.class, () -> PixelCnn.load(dir));
        assertTrue(d.getMessage().contains(dir.toString()) && d.getMessage().contains("directory"), d.getMessage());
    }

    // ---- bad input ----

    @Test
    void wrongShapeAndRangeAreRejected() {
        PixelCnnConfig c = tiny(1, true);
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> model.logLikelihood(Images.zeros(2, 1, 8, 8)));
            assertTrue(size.getMessage().contains("expected images of 1 channel(s) x 7x6"), size.getMessage());
            IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                    () -> model.logLikelihood(Images.zeros(2, 3, 7, 6)));
            assertTrue(channels.getMessage().contains("got 3 channel(s)"), channels.getMessage());
            byte[] data = new byte[2 * 42];
            data[50] = 2;
            IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                    () -> model.logLikelihood(Images.of(data, 2, 1, 7, 6)));
            assertTrue(range.getMessage().contains("pixel value 2 in image 1 is outside [0, 1]"), range.getMessage());
            IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                    () -> model.logLikelihood(Images.zeros(0, 1, 7, 6)));
            assertTrue(empty.getMessage().contains("empty batch"), empty.getMessage());
            assertThrows(IllegalArgumentException.class, () -> model.sample(0, 1, 1.0));
            assertThrows(IllegalArgumentException.class, () -> model.sample(-3, 1, 1.0));
            IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                    () -> model.sample(2, 1, Double.NaN));
            assertTrue(nan.getMessage().contains("temperature"), nan.getMessage());
            assertThrows(IllegalArgumentException.class, () -> model.sample(2, 1, Double.POSITIVE_INFINITY));
            assertThrows(IllegalArgumentException.class, () -> model.sample(2, 1, 0.0));
            TrainingConfig big = TrainingConfig.builder().setSteps(1).optBatchSize(100).build();
            assertThrows(IllegalArgumentException.class, () -> model.train(Images.zeros(10, 1, 7, 6), big, null));
        }
    }

    @Test
    void invalidConfigurationsNameTheSetting() {
        IllegalArgumentException even = assertThrows(IllegalArgumentException.class,
                () -> PixelCnnConfig.builder().optBlockKernel(4).build());
        assertTrue(even.getMessage().contains("blockKernel: expected an odd kernel size"), even.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PixelCnnConfig.builder().optInputKernel(0).build());
        assertThrows(IllegalArgumentException.class, () -> PixelCnnConfig.builder().setImageShape(1, 0, 28).build());
        assertThrows(IllegalArgumentException.class, () -> PixelCnnConfig.builder().setImageShape(2, 28, 28).build());
        assertThrows(IllegalArgumentException.class, () -> PixelCnnConfig.builder().optHiddenChannels(-1).build());
        assertThrows(IllegalArgumentException.class, () -> PixelCnnConfig.builder().optBlocks(-1).build());
        IllegalArgumentException groups = assertThrows(IllegalArgumentException.class,
                () -> PixelCnnConfig.builder().setImageShape(3, 8, 8).optHiddenChannels(64).build());
        assertTrue(groups.getMessage().contains("multiple of the 3"), groups.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PixelCnnConfig.builder().optCategorical(1).build());
        assertThrows(IllegalArgumentException.class, () -> PixelCnnConfig.builder().optCategorical(257).build());
        assertThrows(IllegalArgumentException.class, () -> TrainingConfig.builder().setSteps(0).build());
        assertThrows(IllegalArgumentException.class, () -> TrainingConfig.builder().optBatchSize(0).build());
        IllegalArgumentException lr = assertThrows(IllegalArgumentException.class,
                () -> TrainingConfig.builder().optLearningRate(Double.NaN).build());
        assertTrue(lr.getMessage().contains("learningRate"), lr.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainingConfig.builder().optLearningRate(Double.POSITIVE_INFINITY).build());
        // Valid doubles that overflow or vanish as the floats the engine computes in.
        IllegalArgumentException hugeLr = assertThrows(IllegalArgumentException.class,
                () -> TrainingConfig.builder().optLearningRate(1e300).build());
        assertTrue(hugeLr.getMessage().contains("learningRate") && hugeLr.getMessage().contains("float"),
                hugeLr.getMessage());
        IllegalArgumentException tinyEps = assertThrows(IllegalArgumentException.class,
                () -> TrainingConfig.builder().optEps(1e-50).build());
        assertTrue(tinyEps.getMessage().contains("eps"), tinyEps.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainingConfig.builder().optBetas(0.9, 0.99999999).build());
        assertThrows(IllegalArgumentException.class, () -> TrainingConfig.builder().optClipNorm(1e300).build());
        for (double t : new double[] {1e-50, 1e300, 0, -1, Double.NaN}) {
            IllegalArgumentException temp = assertThrows(IllegalArgumentException.class,
                    () -> SamplingConfig.builder().optTemperature(t).build());
            assertTrue(temp.getMessage().contains("temperature"), temp.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Device.cpu(-1));
    }

    @Test
    void nativeErrorsBecomeJavaExceptions() {
        PixelCnnConfig c = tiny(1, true);
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
            float[] nan = new float[(int) model.engineModel().tensor_size(0)];
            java.util.Arrays.fill(nan, Float.NaN);
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> model.engineModel().write_tensor(0, 0, nan));
            assertTrue(e.getMessage().contains("not finite"), e.getMessage());
            RuntimeException index = assertThrows(RuntimeException.class,
                    () -> model.engineModel().tensor_name(1000));
            assertTrue(index.getMessage().contains("tensor index"), index.getMessage());
            // The model still works after a native error.
            assertEquals(2, model.logLikelihood(Images.zeros(2, 1, 7, 6)).count());
        }
    }

    // ---- lifecycle ----

    @Test
    void closedModelRejectsEveryCall() {
        PixelCnn model = PixelCnn.create(tiny(1, true), Device.cpu(1));
        model.close();
        model.close(); // harmless
        assertTrue(model.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> model.logLikelihood(Images.zeros(1, 1, 7, 6)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> model.sample(1, 1, 1.0));
        assertThrows(IllegalStateException.class, model::step);
        assertThrows(IllegalStateException.class, () -> model.save(Path.of("x.safetensors")));
    }

    /** From its own listener a model answers reads (a checkpoint every step here) and names what is refused. */
    @Test
    void listenerMayReadAndSaveButNotTrain(@TempDir Path dir) throws IOException {
        PixelCnnConfig c = tiny(1, true);
        Images data = randomImages(c, 16, 6);
        Path file = dir.resolve("every-step.safetensors");
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
            List<Long> seen = new ArrayList<>();
            AtomicReference<RuntimeException> refused = new AtomicReference<>();
            model.train(data, TrainingConfig.builder().setSteps(3).optBatchSize(8).build(), p -> {
                seen.add(model.step());
                try {
                    model.save(file);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                refused.set(assertThrows(IllegalStateException.class, () -> model.logLikelihood(data)));
            });
            assertEquals(List.of(1L, 2L, 3L), seen);
            assertTrue(refused.get().getMessage().contains("a listener called back into it"),
                    refused.get().getMessage());
            try (PixelCnn saved = PixelCnn.load(file)) {
                assertEquals(3, saved.step());
            }
            assertEquals(16, model.logLikelihood(data).count());  // and the model is free again
        }
    }

    @Test
    void secondThreadIsRejectedWhileTheFirstIsInside() throws Exception {
        PixelCnnConfig c = tiny(1, true);
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Images data = randomImages(c, 8, 1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread trainer = new Thread(() -> {
                try {
                    model.train(data, TrainingConfig.builder().setSteps(1000).optBatchSize(4).build(), p -> {
                        inside.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "trainer");
            trainer.start();
            inside.await();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> model.logLikelihood(data));
            assertTrue(e.getMessage().contains("in use by thread \"trainer\""), e.getMessage());
            trainer.interrupt(); // training stops after the current step
            release.countDown();
            trainer.join();
            assertEquals(null, failure.get());
            assertTrue(model.step() < 1000);
            assertEquals(8, model.logLikelihood(data).count()); // usable again
        }
    }

    @Test
    @EnabledOnOs(value = OS.LINUX, disabledReason = "reads the resident set from /proc/self/status")
    void repeatedCreateAndCloseDoesNotLeak(@TempDir Path dir) throws IOException {
        PixelCnnConfig c = PixelCnnConfig.builder().setImageShape(1, 28, 28).optHiddenChannels(32)
                .optResidualChannels(16).optHeadChannels(32).optBlocks(2).build();
        Images images = randomImages(c, 16, 4);
        Path file = dir.resolve("m.safetensors");
        TrainingConfig oneStep = TrainingConfig.builder().setSteps(1).optBatchSize(8).build();
        // Every native resource: a model, its buffers, Adam state, a cached sampler, a loaded copy.
        Runnable cycle = () -> {
            try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
                model.train(images, oneStep, null);
                model.logLikelihood(images);
                model.sample(4, 1, 1.0);
                model.save(file);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            try (PixelCnn loaded = PixelCnn.load(file, Device.cpu(1))) {
                loaded.logLikelihood(images.slice(0, 2));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        };
        // Warm up: first allocations of the allocator and the JIT are not leaks.
        for (int i = 0; i < 5; i++) {
            cycle.run();
        }
        long before = residentAfterGcKiB();
        for (int i = 0; i < 60; i++) {
            cycle.run();
        }
        long growth = residentAfterGcKiB() - before;
        System.out.println("PixelCnnTest: resident memory growth over 60 cycles: " + growth + " KiB");
        // One model with its buffers for 32 images is about 10 MB; 120 leaked models would be
        // over 1 GB. Allow 60 MB of noise from the JVM heap and allocator.
        assertTrue(growth < 60_000, "resident memory grew by " + growth + " KiB over 60 create/train/sample/"
                + "save/load/close cycles");
    }

    /** Resident memory once the Java heap has been collected (so Java garbage does not count). */
    static long residentAfterGcKiB() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return residentKiB();
    }

    static long residentKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/self/status", e);
        }
        throw new AssertionError("no VmRSS in /proc/self/status");
    }

    // ---- sampling ----

    @Test
    void samplesAreReproducibleAndInRange() {
        for (boolean bernoulli : new boolean[] {true, false}) {
            PixelCnnConfig c = tiny(3, bernoulli);
            Images a;
            Images b;
            try (PixelCnn model = PixelCnn.create(c, Device.cpu(2))) {
                a = model.sample(5, 77, 1.0);
            }
            try (PixelCnn model = PixelCnn.create(c, Device.cpu(1))) {
                b = model.sample(5, 77, 1.0);
                assertNotEquals(a, model.sample(5, 78, 1.0));
            }
            assertEquals(a, b);
            for (byte v : a.toArray()) {
                assertTrue((v & 0xFF) < c.levels());
            }
        }
    }
}
