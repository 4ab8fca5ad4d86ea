package org.pixelcnn4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import org.pixelcnn4j.*;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.Png;

public class ConditionalGated {
    public static void main(String[] args) throws IOException {
        // Fashion-MNIST ships its labels: the classes 0..9 a conditional model learns p(x | class) of.
        Images train = FashionMnist.train(10_000).binarize(127).withLabels(labels(FashionMnist.trainLabels(10_000)));
        Images test = FashionMnist.test(1_000).binarize(127).withLabels(labels(FashionMnist.testLabels(1_000)));

        PixelCnnConfig config = PixelCnnConfig.builder()
                .optArchitecture(PixelCnnConfig.Architecture.GATED)   // Gated PixelCNN: no blind spot
                .setImageShape(1, 28, 28)
                .optBernoulli()
                .optHiddenChannels(32)        // channels of each stack
                .optBlocks(4)                 // gated layers
                .optClasses(10)               // a learnt bias per class in every layer
                .build();

        try (PixelCnn model = PixelCnn.create(config, Device.cpu(2))) {
            model.train(train, TrainingConfig.builder().setSteps(300).optBatchSize(32).build());
            // Each image is scored under its own label: -log p(x | label).
            System.out.printf("test NLL: %.1f nats/image%n", model.logLikelihood(test).meanNats());

            double[][] scores = model.classScores(test);             // log p(x | y) for every class y
            int correct = 0;
            for (int i = 0; i < scores.length; i++) {
                int best = 0;
                for (int y = 1; y < scores[i].length; y++) {
                    best = scores[i][y] > scores[i][best] ? y : best;
                }
                correct += best == test.label(i) ? 1 : 0;
            }
            System.out.printf("largest log p(x | y) is the true class for %d of %d test images%n", correct,
                    scores.length);

            int[] classes = new int[40];                              // 4 images of each class
            for (int i = 0; i < classes.length; i++) {
                classes[i] = i / 4;
            }
            Images samples = model.sample(classes, SamplingConfig.ofSeed(7));
            Png.writeGrid(samples, Path.of("classes.png"), 4, 2, 4);  // a row per class
        }
    }

    static int[] labels(byte[] bytes) {
        int[] labels = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            labels[i] = bytes[i];
        }
        return labels;
    }
}
