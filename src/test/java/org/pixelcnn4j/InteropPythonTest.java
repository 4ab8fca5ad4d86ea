package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pixelcnn4j.data.ImageFormat;
import org.pixelcnn4j.io.Safetensors;

/**
 * Runs every Python block of docs/interop.md, in order and as written, with a real PyTorch
 * (Debian's python3-torch) on checkpoints the engine wrote, and checks the numbers both ways:
 * PyTorch's NLL of 8-bit images turned into model values by the doc's formulas equals the engine's
 * of the same images read through {@link ImageFormat}; the file PyTorch saves after training on
 * loads into the engine with PyTorch's NLL and step count.
 *
 * <p>Tagged "python" and left out of a plain {@code mvn install} (it needs python3-torch, a large
 * package); {@code .ci/run} installs it and runs this test with {@code -Dtest.groups=python}. The
 * interpreter is $PIXELCNN4J_PYTHON, else /usr/bin/python3 (Debian's, where python3-torch goes).
 */
@Tag("python")
class InteropPythonTest {

    private static final Path DOC = Path.of("docs/interop.md");
    private static final int COUNT = 16;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{2}, {0} channel(s), {1}, {3} classes")
    @CsvSource({"1, bernoulli, plain, 0", "1, categorical, plain, 0", "3, categorical, plain, 0",
        "3, bernoulli, plain, 0", "1, categorical, gated, 0", "3, bernoulli, gated, 3", "1, bernoulli, gated, 2"})
    void theDocsPythonReadsEngineCheckpointsAndWritesOnesTheEngineLoads(int channels, String head, String arch,
            int classes) throws Exception {
        PixelCnnConfig.Builder b = PixelCnnConfig.builder().setImageShape(channels, 6, 5)
                .optHiddenChannels(6 * channels).optBlocks(arch.equals("gated") ? 2 : 1).optInputKernel(3).optSeed(5);
        if (arch.equals("gated")) {
            b.optArchitecture(PixelCnnConfig.Architecture.GATED).optClasses(classes).optSkipConnections(classes != 2);
        }
        PixelCnnConfig config = head.equals("bernoulli") ? b.optBernoulli().build() : b.optCategorical(16).build();
        Random random = new Random(11 + channels);
        byte[] pixels = new byte[COUNT * config.dimensions()];
        random.nextBytes(pixels);
        Images raw = Images.of(pixels, COUNT, channels, 6, 5);
        Images values = ImageFormat.forModel(config, 127).convert(raw);
        String labelsLine = "labels = None";
        if (classes > 0) {
            int[] labels = new int[COUNT];
            byte[] labelBytes = new byte[COUNT];
            for (int i = 0; i < COUNT; i++) {
                labels[i] = (i * 5 + 1) % classes;
                labelBytes[i] = (byte) labels[i];
            }
            values = values.withLabels(labels);
            writeNpy(dir.resolve("labels.npy"), Images.of(labelBytes, 1, 1, 1, COUNT), new long[] {COUNT});
            labelsLine = "labels = torch.from_numpy(np.load(\"labels.npy\").astype(np.int64))";
        }
        double[] engineNats;
        try (PixelCnn model = PixelCnn.create(config, Device.cpu(1))) {
            model.train(values, TrainingConfig.builder().setSteps(3).optBatchSize(8).build());
            model.save(dir.resolve("model.safetensors"));
            engineNats = model.logLikelihood(values).natsArray();
        }
        writeNpy(dir.resolve("images.npy"), raw, null);

        String doc = pythonOfTheDoc();
        assertTrue(doc.contains("\nlabels = None"), "the doc's scoring block sets labels = None");
        runPython(doc.replace("\nlabels = None", "\n" + labelsLine) + """

                with torch.no_grad():
                    after = model.nll(images, labels)
                # A module fresh from PyTorch's initialisation: its masked taps hold values, which
                # check_checkpoint.py must accept (noting them) and pixelcnn4j must drop.
                import os, subprocess, sys
                checker = os.path.join(os.environ["PYTHONPATH"], "check_checkpoint.py")
                fresh = type(model)(**model.config)
                save_for_pixelcnn4j(fresh, "fresh-torch.safetensors")
                check = subprocess.run([sys.executable, checker, "fresh-torch.safetensors"], capture_output=True, text=True)
                assert check.returncode == 0, check.stdout + check.stderr
                assert "nonzero masked taps" in check.stdout, check.stdout
                with torch.no_grad():
                    fresh_nats = fresh.eval().nll(images, labels)
                # check_checkpoint.py's numpy forward pass on the engine's file.
                np.save("values.npy", to_model_values(raw, meta))
                command = [sys.executable, checker, "model.safetensors", "--nll", "values.npy"]
                if labels is not None:
                    command += ["--labels", "labels.npy"]
                check = subprocess.run(command, capture_output=True, text=True)
                assert check.returncode == 0, check.stdout + check.stderr
                numpy_nats = [float(line.split()[2]) for line in check.stdout.splitlines() if line.startswith("image ")]
                save_file({"nats": nats.float(), "after": after.float(), "samples": samples.float(),
                           "fresh": fresh_nats.float(), "numpy": torch.tensor(numpy_nats)}, "results.safetensors")
                """);

        Map<String, float[]> results = tensors(dir.resolve("results.safetensors"));
        float[] torchNats = results.get("nats");
        float[] numpyNats = results.get("numpy");
        assertEquals(COUNT, numpyNats.length, "check_checkpoint.py scored every image");
        for (int i = 0; i < COUNT; i++) {
            assertEquals(engineNats[i], torchNats[i], 1e-4 * Math.abs(engineNats[i]) + 1e-3,
                    "NLL of image " + i + ": engine vs PyTorch on the doc's image values");
            assertEquals(engineNats[i], numpyNats[i], 1e-5 * Math.abs(engineNats[i]) + 1e-4,
                    "NLL of image " + i + ": engine vs check_checkpoint.py's numpy forward pass");
        }
        for (float v : results.get("samples")) {
            assertTrue(v >= 0 && v < config.levels() && v == Math.rint(v), "sample value " + v);
        }
        float[] after = results.get("after");
        try (PixelCnn fromTorch = PixelCnn.load(dir.resolve("from-torch.safetensors"), Device.cpu(1))) {
            assertEquals(config, fromTorch.config().toBuilder().optSeed(5).build());
            assertEquals(arch.equals("gated") ? "gated" : "pixelcnn",
                    PixelCnn.readMetadata(dir.resolve("from-torch.safetensors")).get("model.architecture"));
            assertEquals(3 + COUNT / 8, fromTorch.step(), "Adam steps: the engine's 3, then PyTorch's batches");
            double[] nats = fromTorch.logLikelihood(values).natsArray();
            for (int i = 0; i < COUNT; i++) {
                assertEquals(after[i], nats[i], 1e-4 * Math.abs(nats[i]) + 1e-3, "NLL after PyTorch trained, image " + i);
            }
            // It trains on, from PyTorch's moments.
            fromTorch.train(values, TrainingConfig.builder().setSteps(1).optBatchSize(8).build());
            assertEquals(4 + COUNT / 8, fromTorch.step());
        }
        float[] fresh = results.get("fresh");
        try (PixelCnn freshFromTorch = PixelCnn.load(dir.resolve("fresh-torch.safetensors"), Device.cpu(1))) {
            double[] nats = freshFromTorch.logLikelihood(values).natsArray();
            for (int i = 0; i < COUNT; i++) {
                assertEquals(fresh[i], nats[i], 1e-4 * Math.abs(nats[i]) + 1e-3,
                        "NLL of PyTorch's fresh module (masked taps dropped), image " + i);
            }
        }
    }

    /** The ```python blocks of docs/interop.md, joined in order. */
    static String pythonOfTheDoc() throws IOException {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("```python\\n(.*?)```", Pattern.DOTALL).matcher(doc);
        List<String> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(m.group(1));
        }
        assertTrue(blocks.size() >= 8, "docs/interop.md has " + blocks.size() + " Python blocks");
        return String.join("\n", blocks);
    }

    private void runPython(String script) throws IOException, InterruptedException {
        Path file = dir.resolve("doc.py");
        Files.writeString(file, script);
        String python = System.getenv().getOrDefault("PIXELCNN4J_PYTHON",
                Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3");
        ProcessBuilder pb = new ProcessBuilder(python, file.toString()).directory(dir.toFile())
                .redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", Path.of("docs").toAbsolutePath().toString());
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "python timed out");
        assertEquals(0, p.exitValue(), "the doc's Python failed (" + python + "; needs python3-torch):\n" + output);
    }

    private static Map<String, float[]> tensors(Path file) throws IOException {
        Map<String, float[]> out = new java.util.HashMap<>();
        for (Safetensors.Tensor t : Safetensors.read(file).tensors()) {
            out.put(t.name(), t.data());
        }
        return out;
    }

    /**
     * A uint8 array in numpy's .npy format (version 1.0): the images' N x C x H x W, or
     * {@code shape} if given.
     */
    private static void writeNpy(Path file, Images images, long[] shape) throws IOException {
        String dims = shape == null
                ? String.format("%d, %d, %d, %d", images.count(), images.channels(), images.height(), images.width())
                : shape.length == 1 ? shape[0] + "," : java.util.Arrays.toString(shape).replaceAll("[\\[\\]]", "");
        String header = String.format("{'descr': '|u1', 'fortran_order': False, 'shape': (%s), }", dims);
        int total = 10 + header.length() + 1;
        header += " ".repeat((64 - total % 64) % 64) + "\n";
        ByteBuffer prefix = ByteBuffer.allocate(10 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        prefix.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        prefix.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        byte[] data = images.toArray();
        byte[] all = new byte[prefix.position() + data.length];
        System.arraycopy(prefix.array(), 0, all, 0, prefix.position());
        System.arraycopy(data, 0, all, prefix.position(), data.length);
        Files.write(file, all);
    }
}
