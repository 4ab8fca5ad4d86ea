package org.pixelcnn4j.ood;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.LikelihoodMap;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.TrainingConfig;

/** The likelihood ratio per image and per sub-pixel, against the two models' own scores. */
class LikelihoodRatioTest {
    private static PixelCnnConfig config(int channels, int levels, long seed) {
        PixelCnnConfig.Builder b = PixelCnnConfig.builder().setImageShape(channels, 6, 5).optHiddenChannels(12)
                .optResidualChannels(6).optHeadChannels(9).optBlocks(1).optInputKernel(3).optBlockKernel(3)
                .optSeed(seed);
        return (levels == 2 ? b : b.optCategorical(levels)).build();
    }

    private static Images images(int count, int channels, int levels, long seed) {
        Random r = new Random(seed);
        byte[] d = new byte[count * channels * 30];
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) r.nextInt(levels);
        }
        return Images.of(d, count, channels, 6, 5);
    }

    @Test
    void scoresAndMapsAreTheDifferenceOfTheModels() {
        for (int[] kind : new int[][] {{1, 2}, {3, 4}}) {
            Images images = images(OodEvaluation.CHUNK + 7, kind[0], kind[1], 5);
            try (PixelCnn model = PixelCnn.create(config(kind[0], kind[1], 1));
                    PixelCnn background = PixelCnn.create(config(kind[0], kind[1], 2))) {
                LikelihoodRatio ratio = LikelihoodRatio.of(model, background);
                double[] scores = ratio.scores(images);  // two engine calls
                double[] p = model.logLikelihood(images).natsArray();
                double[] q = background.logLikelihood(images).natsArray();
                Images few = images.slice(0, 9);
                LikelihoodRatioMap map = ratio.map(few);
                LikelihoodMap pm = model.logLikelihoodMap(few);
                LikelihoodMap qm = background.logLikelihoodMap(few);
                for (int n = 0; n < images.count(); n++) {
                    assertEquals(p[n] - q[n], scores[n], 0.0);
                }
                for (int n = 0; n < few.count(); n++) {
                    assertEquals(scores[n], map.score(n), 0.0);
                    float[] values = map.map(n);
                    double sum = 0;
                    int k = 0;
                    for (int c = 0; c < kind[0]; c++) {
                        for (int y = 0; y < 6; y++) {
                            for (int x = 0; x < 5; x++) {
                                float expected = pm.get(n, c, y, x) - qm.get(n, c, y, x);
                                assertEquals(expected, map.get(n, c, y, x), 0.0f);
                                assertEquals(expected, values[k++], 0.0f);
                                sum += expected;
                            }
                        }
                    }
                    assertEquals(scores[n], sum, 1e-3 * (1 + Math.abs(scores[n])));
                    float[] pixels = map.pixelMap(n);
                    float first = 0;
                    for (int c = 0; c < kind[0]; c++) {
                        first += map.get(n, c, 0, 0);
                    }
                    assertEquals(first, pixels[0], 1e-5f);
                }
                assertEquals(few.count(), map.scores().length);
            }
        }
    }

    @Test
    void refusesModelsOfOtherImages(@TempDir Path dir) throws IOException {
        try (PixelCnn model = PixelCnn.create(config(1, 2, 1)); PixelCnn colour = PixelCnn.create(config(3, 2, 1));
                PixelCnn levels = PixelCnn.create(config(1, 4, 1))) {
            assertThrows(IllegalArgumentException.class, () -> LikelihoodRatio.of(model, colour));
            assertThrows(IllegalArgumentException.class, () -> LikelihoodRatio.of(model, levels));
            assertThrows(IllegalArgumentException.class, () -> LikelihoodRatio.of(model, model).scores(
                    images(2, 3, 2, 1)));
        }
        try (PixelCnn model = PixelCnn.create(config(1, 2, 1)); PixelCnn background = PixelCnn.create(config(1, 2, 2))) {
            Images few = images(3, 1, 2, 9);
            LikelihoodRatioMap map = LikelihoodRatio.of(model, background).map(few);
            Path png = dir.resolve("ratio.png");
            map.writeHeatMaps(few, 2, 4, png);
            BufferedImage sheet = ImageIO.read(png.toFile());
            assertEquals(4 * (5 * 4 + 2) - 2, sheet.getWidth());
            assertEquals(3 * (6 * 4 + 2) - 2, sheet.getHeight());
            assertThrows(IllegalArgumentException.class, () -> map.writeHeatMaps(images(2, 1, 2, 1), 2, 4, png));
        }
    }

    @Test
    void theBackgroundPresetIsRenEtAlsSettings() {
        TrainingConfig c = TrainingConfig.backgroundBuilder().setSteps(5).build();
        assertEquals(0.2, c.mutationRate());
        assertEquals(1e-4, c.weightDecay());
        assertEquals(TrainingConfig.builder().setSteps(5).build().learningRate(), c.learningRate());
        assertEquals(0.0, TrainingConfig.backgroundBuilder().optMutationRate(0).setSteps(1).build().mutationRate());
    }
}
