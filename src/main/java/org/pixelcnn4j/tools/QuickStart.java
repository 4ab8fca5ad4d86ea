package org.pixelcnn4j.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.FashionMnist;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.TrainingConfig;

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
        int steps = 600;
        int trainImages = 20000;
        int testImages = 2000;
        int samples = 16;
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
            model.train(train, training, p -> {
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
            Images drawn = model.sample(samples, 42, 1.0);
            Path grid = out.resolve("samples.png");
            drawn.writeGrid(grid, (int) Math.ceil(Math.sqrt(samples)), 2, 4);
            Path checkpoint = out.resolve("model.safetensors");
            model.save(checkpoint);
            System.out.println("samples: " + grid.toAbsolutePath());
            System.out.println("model:   " + checkpoint.toAbsolutePath());
        }
    }
}
