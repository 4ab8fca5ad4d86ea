package org.pixelcnn4j.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.LikelihoodMap;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.Png;

/**
 * Where an image's NLL comes from: trains a binary PixelCNN on Fashion-MNIST (or loads
 * CHECKPOINT), then draws per-pixel NLL heat maps of four test images and of two made-up
 * anomalies, a test image with a white square pasted on it and an inverted one, into
 * {@code nll-maps.png} (image left, map right, one heat scale for all) in the folder of the system
 * property {@code examples.output}.
 *
 * <p>Usage: {@code NllMaps [STEPS | CHECKPOINT]} (default 300 steps, about a minute on 2 cores).
 */
public final class NllMaps {
    private NllMaps() {
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(System.getProperty("examples.output", "output"));
        Files.createDirectories(out);
        boolean load = args.length > 0 && Files.exists(Path.of(args[0]));
        int steps = args.length > 0 && !load ? Integer.parseInt(args[0]) : 300;
        PixelCnnConfig config = PixelCnnConfig.builder().optHiddenChannels(64).optBlocks(4).build();
        try (PixelCnn model = load ? PixelCnn.load(Path.of(args[0])) : PixelCnn.create(config)) {
            if (!load) {
                Images train = FashionMnist.train(10_000).binarize(127);
                model.train(train, TrainingConfig.builder().setSteps(steps).optBatchSize(32).build());
                model.save(out.resolve("nll-maps-model.safetensors"));
            }
            Images test = FashionMnist.test(4).binarize(127);
            byte[] data = new byte[6 * 784];
            System.arraycopy(test.toArray(), 0, data, 0, 4 * 784);
            byte[] first = test.slice(0, 1).toArray();
            for (int p = 0; p < 784; p++) {
                int y = p / 28;
                int x = p % 28;
                boolean square = y >= 3 && y < 11 && x >= 3 && x < 11;
                data[4 * 784 + p] = square ? 1 : first[p];  // the first test image, a square pasted on
                data[5 * 784 + p] = (byte) (1 - first[p]);     // the first test image, inverted
            }
            Images images = Images.of(data, 6, 1, 28, 28);
            LikelihoodMap maps = model.logLikelihoodMap(images);
            String[] names = {"test 0", "test 1", "test 2", "test 3", "test 0 + square", "test 0 inverted"};
            for (int i = 0; i < 6; i++) {
                System.out.printf("%-16s %7.1f nats  %.3f bits/dim%n", names[i], maps.likelihood().nats(i),
                        maps.likelihood().bitsPerDim(i));
            }
            Path png = out.resolve("nll-maps.png");
            Png.writeHeatMaps(images, maps, 2, 0, 4, png);
            System.out.println("wrote " + png);
        }
    }
}
