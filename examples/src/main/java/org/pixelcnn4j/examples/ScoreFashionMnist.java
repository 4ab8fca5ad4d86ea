package org.pixelcnn4j.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.IntStream;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.Png;

/**
 * Anomaly scoring with a PixelCNN: every Fashion-MNIST test image gets its exact negative
 * log-likelihood under the model, and the least likely ones are the images the model finds most
 * unusual.
 *
 * <p>Usage: {@code ScoreFashionMnist [CHECKPOINT]}. Without an argument it trains a small binary
 * model for a few seconds and saves it as {@code fashion-binary.safetensors}; with one, it scores
 * with that checkpoint (a 1 x 28 x 28 model, Bernoulli or categorical). It prints the 10 least
 * likely test images with their NLL and writes them as a PNG grid, {@code least-likely.png}, and
 * the 10 most likely as {@code most-likely.png}, in the directory of the system property
 * {@code examples.output} (default {@code output}).
 */
public final class ScoreFashionMnist {

    static final String[] CLASSES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
        "Shirt", "Sneaker", "Bag", "Ankle boot"};
    static final int TRAIN_IMAGES = 2_000;
    static final int TRAIN_STEPS = 200;
    static final int SHOWN = 10;
    /** Images scored per call: the engine sizes its buffers by the batch, so score in chunks. */
    static final int CHUNK = 500;

    private ScoreFashionMnist() {
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(System.getProperty("examples.output", "output"));
        Files.createDirectories(out);
        long start = System.nanoTime();
        try (PixelCnn model = args.length > 0 ? PixelCnn.load(Path.of(args[0])) : trainSmallModel(out)) {
            PixelCnnConfig c = model.config();
            if (c.channels() != 1 || c.height() != FashionMnist.SIZE || c.width() != FashionMnist.SIZE) {
                throw new IllegalArgumentException("expected a 1 x 28 x 28 model for Fashion-MNIST, got " + c);
            }
            Images raw = FashionMnist.test(Integer.MAX_VALUE);
            byte[] labels = FashionMnist.testLabels(Integer.MAX_VALUE);
            // Pixels as the model was trained on them: 0/1 for a Bernoulli head, L levels otherwise.
            Images test = c.head() == PixelCnnConfig.Head.BERNOULLI ? raw.binarize(127) : raw.quantize(c.levels());

            long t0 = System.nanoTime();
            double[] nats = new double[test.count()];
            double[] bitsPerDim = new double[test.count()];
            for (int from = 0; from < test.count(); from += CHUNK) {
                int to = Math.min(test.count(), from + CHUNK);
                Likelihood l = model.logLikelihood(test.slice(from, to));
                for (int i = 0; i < l.count(); i++) {
                    nats[from + i] = l.nats(i);
                    bitsPerDim[from + i] = l.bitsPerDim(i);
                }
            }
            System.out.printf(Locale.ROOT, "scored %d test images in %.1f s: mean %.2f nats (%.4f bits/dim)%n",
                    test.count(), (System.nanoTime() - t0) / 1e9, Arrays.stream(nats).average().orElse(0),
                    Arrays.stream(bitsPerDim).average().orElse(0));

            int[] byNll = IntStream.range(0, nats.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> nats[i]).reversed())
                    .mapToInt(Integer::intValue).toArray();
            int[] least = Arrays.copyOf(byNll, SHOWN);
            int[] most = new int[SHOWN];   // most likely first
            for (int r = 0; r < SHOWN; r++) {
                most[r] = byNll[byNll.length - 1 - r];
            }
            System.out.printf("%d least likely test images (highest NLL):%n", SHOWN);
            System.out.println("rank  index  class          NLL (nats)  bits/dim");
            for (int r = 0; r < SHOWN; r++) {
                int i = least[r];
                System.out.printf(Locale.ROOT, "%4d  %5d  %-12s  %10.2f  %8.4f%n", r + 1, i, CLASSES[labels[i]],
                        nats[i], bitsPerDim[i]);
            }
            System.out.printf(Locale.ROOT, "most likely: image %d (%s), %.2f nats%n", most[0],
                    CLASSES[labels[most[0]]], nats[most[0]]);

            Png.writeGrid(test.select(least), out.resolve("least-likely.png"), 5, c.levels(), 4);
            Png.writeGrid(test.select(most), out.resolve("most-likely.png"), 5, c.levels(), 4);
            System.out.printf(Locale.ROOT, "wrote %s and %s (%.1f s in all)%n", out.resolve("least-likely.png"),
                    out.resolve("most-likely.png"), (System.nanoTime() - start) / 1e9);
        }
    }

    /** A small binary model (32 channels, 2 residual blocks) trained briefly; saved for reuse. */
    static PixelCnn trainSmallModel(Path out) throws IOException {
        PixelCnnConfig config = PixelCnnConfig.builder()
                .setImageShape(1, 28, 28)
                .optBernoulli()
                .optHiddenChannels(32)
                .optResidualChannels(16)
                .optHeadChannels(32)
                .optBlocks(2)
                .build();
        Images train = FashionMnist.train(TRAIN_IMAGES).binarize(127);
        PixelCnn model = PixelCnn.create(config);
        try {
            long t0 = System.nanoTime();
            model.train(train, TrainingConfig.builder().setSteps(TRAIN_STEPS).optBatchSize(32)
                    .optLearningRate(3e-3).build(), p -> {
                        if (p.step() % 50 == 0 || p.step() == 1) {
                            System.out.printf(Locale.ROOT, "step %3d: %.1f nats/image, %.4f bits/dim%n",
                                    p.step(), p.lossNats(), p.bitsPerDim());
                        }
                    });
            System.out.printf(Locale.ROOT, "trained %d steps in %.1f s%n", TRAIN_STEPS, (System.nanoTime() - t0) / 1e9);
            Path checkpoint = out.resolve("fashion-binary.safetensors");
            model.save(checkpoint);
            System.out.println("saved " + checkpoint + " (pass it as the argument to score it again)");
            return model;
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
