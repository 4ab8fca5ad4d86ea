package org.pixelcnn4j.examples;

import java.io.IOException;
import java.nio.file.Path;
import org.pixelcnn4j.*;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.ood.*;

public class OodScores {
    public static void main(String[] args) throws IOException {
        // In distribution: Fashion-MNIST's tops (classes 0 to 4, 6, 8); out: its footwear (5, 7, 9).
        Images train = FashionMnist.train(20_000).binarize(127);
        byte[] trainLabels = FashionMnist.trainLabels(20_000);
        Images test = FashionMnist.test(4_000).binarize(127);
        byte[] testLabels = FashionMnist.testLabels(4_000);
        Images inTrain = train.select(classes(trainLabels, false));
        Images in = test.select(classes(testLabels, false));
        Images out = test.select(classes(testLabels, true));

        PixelCnnConfig config = PixelCnnConfig.builder().optHiddenChannels(32).optBlocks(2).build();
        try (PixelCnn model = PixelCnn.create(config, Device.cpu(2));
                PixelCnn background = PixelCnn.create(config, Device.cpu(2))) {
            model.train(inTrain, TrainingConfig.builder().setSteps(300).build());
            // The background model: mutated inputs (rate 0.2) and L2 weight decay (1e-4).
            background.train(inTrain, TrainingConfig.backgroundBuilder().setSteps(300).build());

            double[] ratio = LikelihoodRatio.of(model, background).scores(out);   // NLL - NLL_background, nats
            System.out.printf("likelihood ratio of the first footwear image: %.1f nats%n", ratio[0]);

            OodEvaluation evaluation = OodEvaluation.of(model).optBackground(background)
                    .optCompressors(InputComplexity.Compressor.PNG, InputComplexity.Compressor.CCITT_T6);
            OodEvaluation.Result result = evaluation.evaluate(in, out);
            System.out.print(result);                                 // AUROC, AUPRC, FPR@95 of every score
            result.writeCsv(Path.of("ood/scores.csv"));
            result.writeJson(Path.of("ood/summary.json"));
            result.writeHistograms(Path.of("ood/histograms"));
            // The 8 footwear images the ratio finds most unusual, with both models' maps and the ratio's.
            evaluation.writeMostUnusual(out, result.score("likelihood_ratio").out(), 8, Path.of("ood/maps.png"));
        }
    }

    static int[] classes(byte[] labels, boolean footwear) {
        return java.util.stream.IntStream.range(0, labels.length)
                .filter(i -> (labels[i] == 5 || labels[i] == 7 || labels[i] == 9) == footwear).toArray();
    }
}
