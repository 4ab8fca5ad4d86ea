package org.pixelcnn4j.ood;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayInputStream;
import java.util.Random;
import java.util.zip.Inflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.data.Png;

/** The complexity estimates: every compressor lossless, and simpler images shorter. */
class InputComplexityTest {
    private static Images random(int count, int channels, int levels, long seed) {
        Random r = new Random(seed);
        byte[] d = new byte[count * channels * 12 * 10];
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) r.nextInt(levels);
        }
        return Images.of(d, count, channels, 12, 10);
    }

    @Test
    void everyCompressorIsLosslessOnWhatItSupports() throws Exception {
        for (InputComplexity.Compressor c : InputComplexity.Compressor.values()) {
            for (int[] kind : new int[][] {{1, 2}, {1, 256}, {3, 256}, {3, 4}}) {
                int channels = kind[0];
                int levels = kind[1];
                Images images = random(3, channels, levels, 7);
                if (!c.supports(channels, levels)) {
                    assertThrows(IllegalArgumentException.class, () -> InputComplexity.bits(images, levels, c), c.id());
                    continue;
                }
                double[] bits = InputComplexity.bits(images, levels, c);
                byte[][] files = InputComplexity.encode(images, levels, c);
                for (int i = 0; i < images.count(); i++) {
                    assertEquals(8.0 * files[i].length, bits[i], c.id() + " " + channels + "x" + levels);
                    assertTrue(decodesTo(files[i], images, i, levels, c), c.id() + " " + channels + "x" + levels
                            + " lossy");
                }
            }
        }
    }

    private static boolean decodesTo(byte[] file, Images images, int i, int levels, InputComplexity.Compressor c)
            throws Exception {
        if (c == InputComplexity.Compressor.DEFLATE) {
            Inflater inflater = new Inflater();
            inflater.setInput(file);
            byte[] raw = new byte[images.channels() * images.height() * images.width()];
            int n = inflater.inflate(raw);
            boolean done = inflater.finished();
            inflater.end();
            return done && n == raw.length && java.util.Arrays.equals(raw, images.slice(i, i + 1).toArray());
        }
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(file));
        BufferedImage expected = Png.toBufferedImage(images, i, levels);
        for (int y = 0; y < images.height(); y++) {
            for (int x = 0; x < images.width(); x++) {
                boolean same = images.channels() == 1
                        ? gray(decoded, x, y) == expected.getRaster().getSample(x, y, 0)
                        : (decoded.getRGB(x, y) & 0xFFFFFF) == (expected.getRGB(x, y) & 0xFFFFFF);
                if (!same) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * A decoded gray pixel's 8-bit value: a palette's entry (GIF, 1-bit TIFF) or the sample
     * itself (not getRGB, which converts linear gray to sRGB).
     */
    private static int gray(BufferedImage image, int x, int y) {
        int sample = image.getRaster().getSample(x, y, 0);
        return image.getColorModel() instanceof IndexColorModel palette ? palette.getRed(sample) : sample;
    }

    @Test
    void simplerImagesAreShorterAndTheScoreSubtractsTheirLength() {
        byte[] d = new byte[2 * 12 * 10];
        Random r = new Random(3);
        for (int k = 120; k < d.length; k++) {
            d[k] = (byte) r.nextInt(2);  // image 0 constant, image 1 noise
        }
        Images images = Images.of(d, 2, 1, 12, 10);
        for (InputComplexity.Compressor c : InputComplexity.Compressor.values()) {
            double[] bits = InputComplexity.bits(images, 2, c);
            assertTrue(bits[0] < bits[1], c.id() + ": " + bits[0] + " vs " + bits[1]);
        }
        assertArrayEquals(InputComplexity.bits(images, 2, InputComplexity.Compressor.PNG),
                InputComplexity.pngBits(images, 2));
        double[] s = InputComplexity.scores(new double[] {Math.log(2) * 100, 0}, new double[] {30, 8});
        assertArrayEquals(new double[] {70, -8}, s, 1e-12);
        assertThrows(IllegalArgumentException.class, () -> InputComplexity.scores(new double[1], new double[2]));
    }

    @Test
    void compressorsAreNamed() {
        assertEquals(InputComplexity.Compressor.TIFF_LZW, InputComplexity.Compressor.of("tiff-LZW"));
        assertEquals(InputComplexity.Compressor.CCITT_T6, InputComplexity.Compressor.of("ccitt_t6"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InputComplexity.Compressor.of("flif"));
        assertTrue(e.getMessage().contains("png, gif"), e.getMessage());
        assertFalse(InputComplexity.Compressor.GIF.supports(3, 256));
        assertFalse(InputComplexity.Compressor.CCITT_T6.supports(1, 256));
    }
}
