package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.pixelcnn4j.data.Png;

/**
 * Per-sub-pixel NLL maps: totals equal logLikelihood bit for bit, each value is the NLL its
 * logit gives (computed here in double from the engine's logits, which the oracle tests hold
 * against LibTorch), and the heat maps draw.
 */
class LikelihoodMapTest {

    private static Images random(int count, int channels, int levels, long seed) {
        Random r = new Random(seed);
        byte[] data = new byte[count * channels * 30];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) r.nextInt(levels);
        }
        return Images.of(data, count, channels, 6, 5);
    }

    @Test
    void bernoulliMapIsTheLogitsNllAndSumsToTheLikelihood() {
        PixelCnnConfig config = PixelCnnConfig.builder().setImageShape(1, 6, 5).optHiddenChannels(8)
                .optResidualChannels(4).optHeadChannels(8).optBlocks(2).optInputKernel(3).optBlockKernel(3)
                .optSeed(2).build();
        try (PixelCnn model = PixelCnn.create(config)) {
            Images images = random(4, 1, 2, 5);
            LikelihoodMap map = model.logLikelihoodMap(images);
            assertArrayEquals(model.logLikelihood(images).natsArray(), map.likelihood().natsArray());
            float[] logits = model.logits(images);
            for (int n = 0; n < 4; n++) {
                double total = 0;
                for (int y = 0; y < 6; y++) {
                    double row = 0;
                    for (int x = 0; x < 5; x++) {
                        double l = logits[(n * 6 + y) * 5 + x];
                        int t = images.get(n, 0, y, x);
                        double expected = Math.max(l, 0) - t * l + Math.log1p(Math.exp(-Math.abs(l)));
                        float got = map.get(n, 0, y, x);
                        assertEquals(expected, got, 1e-6 + 1e-6 * expected, "(" + n + ", " + y + ", " + x + ")");
                        row += got;
                    }
                    total += row;
                }
                assertEquals(map.likelihood().nats(n), total, 0.0, "the map adds up to the total");
                assertArrayEquals(map.map(n), map.pixelMap(n));
            }
            assertThrows(IndexOutOfBoundsException.class, () -> map.get(4, 0, 0, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> map.map(-1));
        }
    }

    /** Colour, categorical, conditional: -log softmax of each channel's levels, the images' own labels. */
    @Test
    void categoricalConditionalMapIsTheLogitsNll() {
        PixelCnnConfig config = PixelCnnConfig.builder().optArchitecture(PixelCnnConfig.Architecture.GATED)
                .setImageShape(3, 6, 5).optHiddenChannels(6).optHeadChannels(6).optBlocks(2).optInputKernel(3)
                .optBlockKernel(3).optClasses(3).optCategorical(4).optSeed(3).build();
        try (PixelCnn model = PixelCnn.create(config)) {
            Images images = random(3, 3, 4, 9).withLabels(2, 0, 1);
            LikelihoodMap map = model.logLikelihoodMap(images);
            assertArrayEquals(model.logLikelihood(images).natsArray(), map.likelihood().natsArray());
            float[] logits = model.logits(images);  // N x (C * levels) x H x W
            int plane = 30;
            for (int n = 0; n < 3; n++) {
                for (int c = 0; c < 3; c++) {
                    for (int p = 0; p < plane; p++) {
                        double max = Double.NEGATIVE_INFINITY;
                        double[] l = new double[4];
                        for (int k = 0; k < 4; k++) {
                            l[k] = logits[(n * 12 + c * 4 + k) * plane + p];
                            max = Math.max(max, l[k]);
                        }
                        double sum = 0;
                        for (double v : l) {
                            sum += Math.exp(v - max);
                        }
                        int t = images.get(n, c, p / 5, p % 5);
                        double expected = max + Math.log(sum) - l[t];
                        assertEquals(expected, map.get(n, c, p / 5, p % 5), 1e-5 + 1e-5 * expected);
                    }
                }
            }
        }
    }

    @Test
    void heatMapsDraw(@TempDir Path dir) throws IOException {
        PixelCnnConfig config = PixelCnnConfig.builder().setImageShape(1, 6, 5).optHiddenChannels(8)
                .optResidualChannels(4).optHeadChannels(8).optBlocks(1).optInputKernel(3).optBlockKernel(3).build();
        try (PixelCnn model = PixelCnn.create(config)) {
            Images images = random(3, 1, 2, 1);
            LikelihoodMap map = model.logLikelihoodMap(images);
            BufferedImage one = Png.heatMap(images, 1, 2, map.pixelMap(1), 0, 4);
            assertEquals(20, one.getWidth());
            assertEquals(24, one.getHeight());
            Path png = dir.resolve("maps.png");
            Png.writeHeatMaps(images, map, 2, 0, 3, png);
            BufferedImage sheet = ImageIO.read(png.toFile());
            assertEquals(2 * 15 + 2, sheet.getWidth());
            assertEquals(3 * 18 + 2 * 2, sheet.getHeight());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Png.heatMap(images, 0, 2, new float[3], 0, 1));
            assertTrue(e.getMessage().contains("expected 30 pixel values"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> Png.writeHeatMaps(images.slice(0, 2), map, 2, 0, 1, png));
        }
    }
}
