package org.pixelcnn4j.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.SamplingConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.Png;

/**
 * Trains a small binary PixelCNN on Fashion-MNIST for a few seconds and writes a grid of samples,
 * {@code samples.png}, in the directory of the system property {@code examples.output} (default
 * {@code output}).
 *
 * <p>Usage: {@code SampleGrid [STEPS [SEED]]} (defaults 300 and 42). The same seed gives the same
 * images for any thread count or batch size. A few hundred steps give blurry shapes; the quick
 * start's 1,500 steps with a larger model give recognisable clothes.
 */
public final class SampleGrid {

    static final int TRAIN_IMAGES = 2_000;
    static final int SAMPLES = 36;

    private SampleGrid() {
    }

    public static void main(String[] args) throws IOException {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 42;
        Path out = Path.of(System.getProperty("examples.output", "output"));
        Files.createDirectories(out);

        PixelCnnConfig config = PixelCnnConfig.builder()
                .setImageShape(1, 28, 28)
                .optBernoulli()
                .optHiddenChannels(32)
                .optResidualChannels(16)
                .optHeadChannels(32)
                .optBlocks(2)
                .build();
        Images train = FashionMnist.train(TRAIN_IMAGES).binarize(127);
        try (PixelCnn model = PixelCnn.create(config)) {
            long t0 = System.nanoTime();
            model.train(train, TrainingConfig.builder().setSteps(steps).optBatchSize(32)
                    .optLearningRate(3e-3).build(), p -> {
                        if (p.step() % 100 == 0 || p.step() == 1) {
                            System.out.printf(Locale.ROOT, "step %3d: %.1f nats/image, %.4f bits/dim%n",
                                    p.step(), p.lossNats(), p.bitsPerDim());
                        }
                    });
            System.out.printf(Locale.ROOT, "trained %d steps in %.1f s%n", steps, (System.nanoTime() - t0) / 1e9);

            long t1 = System.nanoTime();
            Images samples = model.sample(SAMPLES, SamplingConfig.builder()
                    .optSeed(seed)
                    .optTemperature(1.0)
                    .build());
            System.out.printf(Locale.ROOT, "sampled %d images in %.2f s%n", SAMPLES, (System.nanoTime() - t1) / 1e9);
            Path png = out.resolve("samples.png");
            Png.writeGrid(samples, png, 6, 2, 4);   // 6 columns, 2 levels (binary), 4x scale
            System.out.println("wrote " + png);
        }
    }
}
