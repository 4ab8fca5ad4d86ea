package org.pixelcnn4j.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.SamplingConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.Png;

/**
 * The main job of the README: trains a small binary PixelCNN on Fashion-MNIST, prints the test
 * negative log-likelihood before and after, writes a grid of samples and saves the model.
 *
 * <pre>
 * java -cp ... org.pixelcnn4j.tools.QuickStart [--steps N] [--train-images N] [--test-images N]
 *     [--samples N] [--threads N] [--out DIR]
 * </pre>
 */
public final class QuickStart {
    private QuickStart() {
    }

    /**
     * Runs the quick start.
     *
     * @param args command-line flags, see the class comment
     * @throws Exception on any failure (a message names it)
     */
    public static void main(String[] args) throws Exception {
        int steps = 3000;
        int trainImages = 20000;
        int testImages = 2000;
        int samples = 64;
        int threads = 0;
        Path out = Path.of("quickstart-output");
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--help") || flag.equals("-h")) {
                System.out.println("usage: QuickStart [--steps N] [--train-images N] [--test-images N]"
                        + " [--samples N] [--threads N] [--out DIR]");
                return;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + ": expected a value after it");
            }
            String value = args[++i];
            switch (flag) {
                case "--steps" -> steps = Integer.parseInt(value);
                case "--train-images" -> trainImages = Integer.parseInt(value);
                case "--test-images" -> testImages = Integer.parseInt(value);
                case "--samples" -> samples = Integer.parseInt(value);
                case "--threads" -> threads = Integer.parseInt(value);
                case "--out" -> out = Path.of(value);
                default -> throw new IllegalArgumentException("unknown flag " + flag
                        + "; expected --steps, --train-images, --test-images, --samples, --threads or --out");
            }
        }
        Files.createDirectories(out);
        Images train = FashionMnist.train(trainImages).binarize(127);
        Images test = FashionMnist.test(testImages).binarize(127);
        PixelCnnConfig config = PixelCnnConfig.builder()
                .setImageShape(1, 28, 28)
                .optHiddenChannels(64)
                .optResidualChannels(32)
                .optHeadChannels(64)
                .optBlocks(4)
                .build();
        TrainingConfig training = TrainingConfig.builder().setSteps(steps).optBatchSize(32).build();
        System.out.printf(Locale.ROOT, "Fashion-MNIST: %d training, %d test images (binarized at 127)%n",
                train.count(), test.count());
        try (PixelCnn model = PixelCnn.create(config, Device.cpu(threads))) {
            System.out.printf(Locale.ROOT, "model: %s, %d parameters%n", config, model.parameterCount());
            Likelihood before = model.logLikelihood(test);
            System.out.printf(Locale.ROOT, "untrained test NLL: %.2f nats/image (%.4f bits/dim)%n",
                    before.meanNats(), before.meanBitsPerDim());
            long start = System.nanoTime();
            final int total = steps;
            StringBuilder lossCsv = new StringBuilder("step,loss_nats,bits_per_dim\n");
            model.train(train, training, p -> {
                lossCsv.append(p.step()).append(',').append(String.format(Locale.ROOT, "%.4f,%.6f%n",
                        p.lossNats(), p.bitsPerDim()));
                if (p.stepInRun() % 50 == 0 || p.stepInRun() == total) {
                    System.out.printf(Locale.ROOT, "step %5d/%d  loss %.2f nats  %.4f bits/dim  %.0f images/s%n",
                            p.stepInRun(), total, p.lossNats(), p.bitsPerDim(), p.imagesPerSecond());
                }
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            Likelihood after = model.logLikelihood(test);
            System.out.printf(Locale.ROOT, "trained %d steps in %.0f s%n", steps, seconds);
            System.out.printf(Locale.ROOT, "test NLL: %.2f nats/image (%.4f bits/dim), untrained %.2f%n",
                    after.meanNats(), after.meanBitsPerDim(), before.meanNats());
            long t0 = System.nanoTime();
            Images drawn = model.sample(samples, 42, 1.0);
            System.out.printf(Locale.ROOT, "sampled %d images in %.2f s (cached sampler)%n", samples,
                    (System.nanoTime() - t0) / 1e9);
            Path grid = out.resolve("samples.png");
            Png.writeGrid(drawn, grid, (int) Math.ceil(Math.sqrt(samples)), 2, 4);
            Path completion = out.resolve("completion.png");
            writeCompletionGrid(model, test.slice(0, 8), completion);
            Files.writeString(out.resolve("loss.csv"), lossCsv);
            Path checkpoint = out.resolve("model.safetensors");
            model.save(checkpoint);
            System.out.println("samples: " + grid.toAbsolutePath());
            System.out.println("completions: " + completion.toAbsolutePath());
            System.out.println("model:   " + checkpoint.toAbsolutePath());
        }
    }

    /**
     * Rows of the grid: the original test images, their top halves, and three completions of the
     * bottom half from different seeds.
     */
    static void writeCompletionGrid(PixelCnn model, Images originals, Path png) throws java.io.IOException {
        int n = originals.count();
        int c = originals.channels();
        int h = originals.height();
        int w = originals.width();
        Images known = Images.rowMask(n, c, h, w, h / 2);
        byte[] top = originals.toArray();
        byte[] mask = known.toArray();
        for (int i = 0; i < top.length; i++) {
            top[i] = mask[i] != 0 ? top[i] : 0;
        }
        int size = n * c * h * w;
        byte[] grid = new byte[5 * size];
        System.arraycopy(originals.toArray(), 0, grid, 0, size);
        System.arraycopy(top, 0, grid, size, size);
        for (int seed = 0; seed < 3; seed++) {
            Images done = model.complete(originals, known, SamplingConfig.ofSeed(seed));
            System.arraycopy(done.toArray(), 0, grid, (2 + seed) * size, size);
        }
        Png.writeGrid(Images.of(grid, 5 * n, c, h, w), png, n, model.config().levels(), 4);
    }
}
