package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {

    @TempDir
    Path dir;

    /** Images whose pixel (n, c, y, x) has a value derived from its coordinates, all distinct-ish. */
    private static Images pattern(int count, int channels, int height, int width) {
        byte[] data = new byte[count * channels * height * width];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 37 + 11);
        }
        return Images.of(data, count, channels, height, width);
    }

    @Test
    void ofCopiesInputAndExposesDimensions() {
        byte[] data = {1, 2, 3, 4, 5, 6};
        Images images = Images.of(data, 2, 1, 1, 3);
        data[0] = 99;
        assertEquals(2, images.count());
        assertEquals(1, images.channels());
        assertEquals(1, images.height());
        assertEquals(3, images.width());
        assertEquals(1, images.get(0, 0, 0, 0));
        assertEquals(6, images.get(1, 0, 0, 2));
        byte[] copy = images.toArray();
        copy[1] = 42;
        assertEquals(2, images.get(0, 0, 0, 1));
        assertEquals("Images[2 x 1 x 1 x 3]", images.toString());
    }

    @Test
    void getReturnsUnsignedValuesInNchwOrder() {
        byte[] data = new byte[2 * 3 * 2 * 2];
        data[((1 * 3 + 2) * 2 + 1) * 2 + 0] = (byte) 200;
        Images images = Images.of(data, 2, 3, 2, 2);
        assertEquals(200, images.get(1, 2, 1, 0));
        assertEquals(0, images.get(1, 2, 0, 1));
    }

    @Test
    void getRejectsIndicesOutsideTheBatch() {
        Images images = Images.zeros(2, 1, 3, 4);
        assertThrows(IndexOutOfBoundsException.class, () -> images.get(2, 0, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> images.get(0, 1, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> images.get(0, 0, 3, 0));
        IndexOutOfBoundsException e =
                assertThrows(IndexOutOfBoundsException.class, () -> images.get(0, 0, 0, -1));
        assertTrue(e.getMessage().contains("x in [0, 4), got -1"), e.getMessage());
    }

    @Test
    void ofRejectsDataThatDoesNotMatchTheDimensions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Images.of(new byte[700], 1, 1, 28, 28));
        assertTrue(e.getMessage().contains("expected 784 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("got 700"), e.getMessage());
    }

    @Test
    void factoriesRejectBadDimensions() {
        assertThrows(IllegalArgumentException.class, () -> Images.zeros(-1, 1, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> Images.zeros(1, 0, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> Images.zeros(1, 1, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> Images.zeros(1, 1, 2, -3));
        IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class,
                () -> Images.zeros(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertTrue(tooLarge.getMessage().contains("largest Java array"), tooLarge.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Images.zeros(65536, 1, 256, 256));
        assertThrows(NullPointerException.class, () -> Images.of(null, 1, 1, 1, 1));
        assertEquals(0, Images.zeros(0, 1, 2, 2).count());
    }

    @Test
    void sliceCopiesTheRequestedRange() {
        Images images = pattern(5, 2, 3, 3);
        Images middle = images.slice(1, 4);
        assertEquals(3, middle.count());
        for (int n = 0; n < 3; n++) {
            for (int c = 0; c < 2; c++) {
                for (int y = 0; y < 3; y++) {
                    for (int x = 0; x < 3; x++) {
                        assertEquals(images.get(n + 1, c, y, x), middle.get(n, c, y, x));
                    }
                }
            }
        }
        assertEquals(0, images.slice(2, 2).count());
        assertEquals(images, images.slice(0, 5));
    }

    @Test
    void sliceRejectsBadRanges() {
        Images images = Images.zeros(3, 1, 2, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> images.slice(-1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> images.slice(2, 1));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> images.slice(0, 4));
        assertTrue(e.getMessage().contains("to <= 3"), e.getMessage());
    }

    @Test
    void selectPicksImagesInTheGivenOrder() {
        Images images = pattern(4, 1, 2, 2);
        Images picked = images.select(3, 0, 3);
        assertEquals(3, picked.count());
        assertEquals(images.slice(3, 4), picked.slice(0, 1));
        assertEquals(images.slice(0, 1), picked.slice(1, 2));
        assertEquals(images.slice(3, 4), picked.slice(2, 3));
        assertEquals(0, images.select().count());
        assertThrows(IndexOutOfBoundsException.class, () -> images.select(0, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> images.select(-1));
    }

    @Test
    void binarizeMapsValuesAboveTheThresholdToOne() {
        Images images = Images.of(new byte[] {0, 127, (byte) 128, (byte) 255}, 1, 1, 2, 2);
        assertArrayEquals(new byte[] {0, 0, 1, 1}, images.binarize(127).toArray());
        assertArrayEquals(new byte[] {0, 0, 0, 0}, images.binarize(255).toArray());
        assertArrayEquals(new byte[] {0, 1, 1, 1}, images.binarize(0).toArray());
        assertThrows(IllegalArgumentException.class, () -> images.binarize(256));
        assertThrows(IllegalArgumentException.class, () -> images.binarize(-1));
    }

    @Test
    void quantizeUsesFloorOfValueTimesLevelsOver256() {
        byte[] all = new byte[256];
        for (int v = 0; v < 256; v++) {
            all[v] = (byte) v;
        }
        Images images = Images.of(all, 1, 1, 16, 16);
        for (int levels : new int[] {2, 3, 4, 7, 16, 255, 256}) {
            byte[] quantized = images.quantize(levels).toArray();
            for (int v = 0; v < 256; v++) {
                assertEquals(v * levels / 256, quantized[v] & 0xFF, "v=" + v + " levels=" + levels);
            }
        }
        assertArrayEquals(all, images.quantize(256).toArray());
        assertThrows(IllegalArgumentException.class, () -> images.quantize(1));
        assertThrows(IllegalArgumentException.class, () -> images.quantize(257));
    }

    @Test
    void toBufferedImageScalesLevelsToFullRange() {
        Images binary = Images.of(new byte[] {0, 1, 1, 0}, 1, 1, 2, 2);
        BufferedImage image = binary.toBufferedImage(0, 2);
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, image.getType());
        assertEquals(0, image.getRaster().getSample(0, 0, 0));
        assertEquals(255, image.getRaster().getSample(1, 0, 0));
        assertEquals(255, image.getRaster().getSample(0, 1, 0));

        Images fourLevels = Images.of(new byte[] {0, 1, 2, 3}, 1, 1, 1, 4);
        BufferedImage gray = fourLevels.toBufferedImage(0, 4);
        assertEquals(0, gray.getRaster().getSample(0, 0, 0));
        assertEquals(85, gray.getRaster().getSample(1, 0, 0));
        assertEquals(170, gray.getRaster().getSample(2, 0, 0));
        assertEquals(255, gray.getRaster().getSample(3, 0, 0));
    }

    @Test
    void toBufferedImageRejectsValuesAboveTheLevels() {
        Images raw = Images.of(new byte[] {0, 5}, 1, 1, 1, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> raw.toBufferedImage(0, 2));
        assertTrue(e.getMessage().contains("expected values in [0, 1]"), e.getMessage());
        assertTrue(e.getMessage().contains("got 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> raw.toBufferedImage(0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> raw.toBufferedImage(1, 256));
        assertThrows(IllegalStateException.class, () -> Images.zeros(1, 2, 2, 2).toBufferedImage(0, 256));
    }

    @Test
    void toBufferedImageRendersRgbForThreeChannels() {
        // One 1x2 image: pixel 0 = (255, 0, 10), pixel 1 = (1, 2, 3).
        byte[] data = {(byte) 255, 1, 0, 2, 10, 3};
        BufferedImage image = Images.of(data, 1, 3, 1, 2).toBufferedImage(0, 256);
        assertEquals(BufferedImage.TYPE_INT_RGB, image.getType());
        assertEquals(0xFF000A, image.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x010203, image.getRGB(1, 0) & 0xFFFFFF);
    }

    @Test
    void fromBufferedImagesRoundTripsGrayAndRgb() {
        Images gray = pattern(3, 1, 4, 5);
        List<BufferedImage> grayImages = List.of(
                gray.toBufferedImage(0, 256), gray.toBufferedImage(1, 256), gray.toBufferedImage(2, 256));
        assertEquals(gray, Images.fromBufferedImages(grayImages, 1));

        Images rgb = pattern(2, 3, 4, 5);
        List<BufferedImage> rgbImages = List.of(rgb.toBufferedImage(0, 256), rgb.toBufferedImage(1, 256));
        assertEquals(rgb, Images.fromBufferedImages(rgbImages, 3));

        // Gray to RGB replicates the value into all channels.
        Images replicated = Images.fromBufferedImages(grayImages.subList(0, 1), 3);
        for (int c = 0; c < 3; c++) {
            assertEquals(gray.get(0, 0, 2, 3), replicated.get(0, c, 2, 3));
        }
        // RGB to gray uses luma weights: pure white stays white, pure red becomes 76.
        BufferedImage red = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        red.setRGB(0, 0, 0xFF0000);
        assertEquals(76, Images.fromBufferedImages(List.of(red), 1).get(0, 0, 0, 0));
    }

    @Test
    void fromBufferedImagesRejectsMixedSizesAndBadChannels() {
        BufferedImage small = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY);
        BufferedImage large = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Images.fromBufferedImages(List.of(small, large), 1));
        assertTrue(e.getMessage().contains("expected 2x2 images, got 2x3 at index 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Images.fromBufferedImages(List.of(small), 2));
        assertThrows(IllegalArgumentException.class, () -> Images.fromBufferedImages(List.of(), 1));
    }

    @Test
    void writeGridProducesExpectedSizeAndPixels() throws IOException {
        int count = 5;
        int height = 3;
        int width = 2;
        int scale = 2;
        Images images = pattern(count, 1, height, width);
        Path png = dir.resolve("grid.png");
        images.writeGrid(png, 3, 256, scale);

        BufferedImage grid = ImageIO.read(png.toFile());
        // 3 columns, 2 rows; 2-pixel separators between cells.
        assertEquals(3 * width * scale + 2 * 2, grid.getWidth());
        assertEquals(2 * height * scale + 1 * 2, grid.getHeight());
        int cellWidth = width * scale + 2;
        int cellHeight = height * scale + 2;
        for (int gy = 0; gy < grid.getHeight(); gy++) {
            for (int gx = 0; gx < grid.getWidth(); gx++) {
                int column = gx / cellWidth;
                int row = gy / cellHeight;
                int inX = gx % cellWidth;
                int inY = gy % cellHeight;
                int n = row * 3 + column;
                int expected;
                if (inX >= width * scale || inY >= height * scale || n >= count) {
                    expected = 128;
                } else {
                    expected = images.get(n, 0, inY / scale, inX / scale);
                }
                assertEquals(expected, grid.getRaster().getSample(gx, gy, 0), "pixel (" + gx + ", " + gy + ")");
            }
        }
        assertEquals(List.of(png), listDirectory(), "no temporary files are left behind");
    }

    @Test
    void writeGridScalesBinaryLevelsAndLimitsColumnsToCount() throws IOException {
        Images binary = Images.of(new byte[] {1, 0, 0, 1}, 2, 1, 1, 2);
        Path png = dir.resolve("binary.png");
        binary.writeGrid(png, 10, 2, 1);
        BufferedImage grid = ImageIO.read(png.toFile());
        assertEquals(2 + 2 + 2, grid.getWidth());
        assertEquals(1, grid.getHeight());
        int[] expected = {255, 0, 128, 128, 0, 255};
        for (int x = 0; x < expected.length; x++) {
            assertEquals(expected[x], grid.getRaster().getSample(x, 0, 0), "x=" + x);
        }
    }

    @Test
    void writeGridRendersRgb() throws IOException {
        byte[] data = new byte[2 * 3];
        data[0] = (byte) 255; // image 0: red
        data[3 + 2] = (byte) 255; // image 1: blue
        Path png = dir.resolve("rgb.png");
        Images.of(data, 2, 3, 1, 1).writeGrid(png, 2, 256, 1);
        BufferedImage grid = ImageIO.read(png.toFile());
        assertEquals(4, grid.getWidth());
        assertEquals(0xFF0000, grid.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x808080, grid.getRGB(1, 0) & 0xFFFFFF);
        assertEquals(0x0000FF, grid.getRGB(3, 0) & 0xFFFFFF);
    }

    @Test
    void writeGridRejectsBadArguments() {
        Images images = Images.zeros(2, 1, 2, 2);
        Path png = dir.resolve("bad.png");
        assertThrows(IllegalArgumentException.class, () -> images.writeGrid(png, 0, 256, 1));
        assertThrows(IllegalArgumentException.class, () -> images.writeGrid(png, 1, 256, 0));
        assertThrows(IllegalArgumentException.class, () -> images.writeGrid(png, 1, 1, 1));
        assertThrows(IllegalStateException.class, () -> Images.zeros(0, 1, 2, 2).writeGrid(png, 1, 256, 1));
        assertThrows(IllegalArgumentException.class,
                () -> Images.zeros(1, 1, 1000, 1000).writeGrid(png, 1, 256, 100));
        assertTrue(Files.notExists(png));
    }

    @Test
    void writePngReplacesExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path png = dir.resolve("one.png");
        Files.writeString(png, "old contents");
        Images images = pattern(2, 1, 4, 3);
        images.writePng(png, 1, 256);
        BufferedImage read = ImageIO.read(png.toFile());
        assertEquals(3, read.getWidth());
        assertEquals(4, read.getHeight());
        assertEquals(images.get(1, 0, 3, 2), read.getRaster().getSample(2, 3, 0));
        assertEquals(List.of(png), listDirectory());
    }

    @Test
    void failedPngWriteLeavesExistingFileAndNoTemporaryFiles() throws IOException {
        Path png = dir.resolve("keep.png");
        Files.writeString(png, "old contents");
        Images raw = Images.of(new byte[] {7}, 1, 1, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> raw.writePng(png, 0, 2));
        assertThrows(IOException.class, () -> raw.writePng(dir.resolve("missing-dir").resolve("x.png"), 0, 256));
        // Renaming onto a non-empty directory fails after the temporary file was written.
        Path blocker = Files.createDirectory(dir.resolve("blocker.png"));
        Files.writeString(blocker.resolve("inside"), "x");
        assertThrows(IOException.class, () -> raw.writePng(blocker, 0, 256));
        assertEquals("old contents", Files.readString(png));
        assertEquals(List.of(blocker, png), listDirectory());
    }

    @Test
    void equalsComparesDimensionsAndValues() {
        Images a = pattern(2, 1, 2, 3);
        assertEquals(a, Images.of(a.toArray(), 2, 1, 2, 3));
        assertEquals(a.hashCode(), Images.of(a.toArray(), 2, 1, 2, 3).hashCode());
        assertNotEquals(a, Images.of(a.toArray(), 2, 1, 3, 2));
        assertNotEquals(a, a.binarize(100));
    }

    private List<Path> listDirectory() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().collect(Collectors.toList());
        }
    }

    @Test
    void fromFloatsQuantizesAndRejectsNanAndInfinity() {
        Images images = Images.fromFloats(new float[] {0f, 0.49f, 0.5f, 1f}, 1, 1, 2, 2, 2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[] {0, 0, 1, 1}, images.toArray());
        Images eight = Images.fromFloats(new float[] {0f, 1f / 255, 0.999f, 1f}, 1, 1, 1, 4, 256);
        org.junit.jupiter.api.Assertions.assertEquals(255, eight.get(0, 0, 0, 3));
        org.junit.jupiter.api.Assertions.assertEquals(255, eight.get(0, 0, 0, 2));
        IllegalArgumentException nan = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Images.fromFloats(new float[] {0f, Float.NaN}, 1, 1, 1, 2, 2));
        org.junit.jupiter.api.Assertions.assertTrue(nan.getMessage().contains("NaN at index 1"), nan.getMessage());
        IllegalArgumentException inf = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Images.fromFloats(new float[] {Float.POSITIVE_INFINITY, 0f}, 1, 1, 1, 2, 2));
        org.junit.jupiter.api.Assertions.assertTrue(inf.getMessage().contains("infinite"), inf.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Images.fromFloats(new float[] {1.5f, 0f}, 1, 1, 1, 2, 2));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Images.fromFloats(new float[3], 1, 1, 1, 2, 2));
    }
}
