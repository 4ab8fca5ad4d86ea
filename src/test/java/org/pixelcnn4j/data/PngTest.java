package org.pixelcnn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.pixelcnn4j.Images;

/** Rendering, PNG files and AWT conversion of {@link Images} (moved here with the code, from ImagesTest). */
class PngTest {

    @TempDir
    Path dir;

    @Test
    void toBufferedImageScalesLevelsToFullRange() {
        Images binary = Images.of(new byte[] {0, 1, 1, 0}, 1, 1, 2, 2);
        BufferedImage image = Png.toBufferedImage(binary, 0, 2);
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, image.getType());
        assertEquals(0, image.getRaster().getSample(0, 0, 0));
        assertEquals(255, image.getRaster().getSample(1, 0, 0));
        assertEquals(255, image.getRaster().getSample(0, 1, 0));

        Images fourLevels = Images.of(new byte[] {0, 1, 2, 3}, 1, 1, 1, 4);
        BufferedImage gray = Png.toBufferedImage(fourLevels, 0, 4);
        assertEquals(0, gray.getRaster().getSample(0, 0, 0));
        assertEquals(85, gray.getRaster().getSample(1, 0, 0));
        assertEquals(170, gray.getRaster().getSample(2, 0, 0));
        assertEquals(255, gray.getRaster().getSample(3, 0, 0));
    }

    @Test
    void toBufferedImageRejectsValuesAboveTheLevels() {
        Images raw = Images.of(new byte[] {0, 5}, 1, 1, 1, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Png.toBufferedImage(raw, 0, 2));
        assertTrue(e.getMessage().contains("expected values in [0, 1]"), e.getMessage());
        assertTrue(e.getMessage().contains("got 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Png.toBufferedImage(raw, 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> Png.toBufferedImage(raw, 1, 256));
        assertThrows(IllegalStateException.class, () -> Png.toBufferedImage(Images.zeros(1, 2, 2, 2), 0, 256));
    }

    @Test
    void toBufferedImageRendersRgbForThreeChannels() {
        // One 1x2 image: pixel 0 = (255, 0, 10), pixel 1 = (1, 2, 3).
        byte[] data = {(byte) 255, 1, 0, 2, 10, 3};
        BufferedImage image = Png.toBufferedImage(Images.of(data, 1, 3, 1, 2), 0, 256);
        assertEquals(BufferedImage.TYPE_INT_RGB, image.getType());
        assertEquals(0xFF000A, image.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x010203, image.getRGB(1, 0) & 0xFFFFFF);
    }

    @Test
    void fromBufferedImagesRoundTripsGrayAndRgb() {
        Images gray = TestImages.pattern(3, 1, 4, 5);
        List<BufferedImage> grayImages = List.of(
                Png.toBufferedImage(gray, 0, 256), Png.toBufferedImage(gray, 1, 256), Png.toBufferedImage(gray, 2, 256));
        assertEquals(gray, Png.fromBufferedImages(grayImages, 1));

        Images rgb = TestImages.pattern(2, 3, 4, 5);
        List<BufferedImage> rgbImages = List.of(Png.toBufferedImage(rgb, 0, 256), Png.toBufferedImage(rgb, 1, 256));
        assertEquals(rgb, Png.fromBufferedImages(rgbImages, 3));

        // Gray to RGB replicates the value into all channels.
        Images replicated = Png.fromBufferedImages(grayImages.subList(0, 1), 3);
        for (int c = 0; c < 3; c++) {
            assertEquals(gray.get(0, 0, 2, 3), replicated.get(0, c, 2, 3));
        }
        // RGB to gray uses luma weights: pure white stays white, pure red becomes 76.
        BufferedImage red = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        red.setRGB(0, 0, 0xFF0000);
        assertEquals(76, Png.fromBufferedImages(List.of(red), 1).get(0, 0, 0, 0));
    }

    @Test
    void fromBufferedImagesRejectsMixedSizesAndBadChannels() {
        BufferedImage small = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY);
        BufferedImage large = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Png.fromBufferedImages(List.of(small, large), 1));
        assertTrue(e.getMessage().contains("expected 2x2 images, got 2x3 at index 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Png.fromBufferedImages(List.of(small), 2));
        assertThrows(IllegalArgumentException.class, () -> Png.fromBufferedImages(List.of(), 1));
    }

    @Test
    void writeGridProducesExpectedSizeAndPixels() throws IOException {
        int count = 5;
        int height = 3;
        int width = 2;
        int scale = 2;
        Images images = TestImages.pattern(count, 1, height, width);
        Path png = dir.resolve("grid.png");
        Png.writeGrid(images, png, 3, 256, scale);

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
        Png.writeGrid(binary, png, 10, 2, 1);
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
        Png.writeGrid(Images.of(data, 2, 3, 1, 1), png, 2, 256, 1);
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
        assertThrows(IllegalArgumentException.class, () -> Png.writeGrid(images, png, 0, 256, 1));
        assertThrows(IllegalArgumentException.class, () -> Png.writeGrid(images, png, 1, 256, 0));
        assertThrows(IllegalArgumentException.class, () -> Png.writeGrid(images, png, 1, 1, 1));
        assertThrows(IllegalStateException.class, () -> Png.writeGrid(Images.zeros(0, 1, 2, 2), png, 1, 256, 1));
        assertThrows(IllegalArgumentException.class,
                () -> Png.writeGrid(Images.zeros(1, 1, 1000, 1000), png, 1, 256, 100));
        assertTrue(Files.notExists(png));
    }

    @Test
    void writePngReplacesExistingFileAndLeavesNoTemporaryFiles() throws IOException {
        Path png = dir.resolve("one.png");
        Files.writeString(png, "old contents");
        Images images = TestImages.pattern(2, 1, 4, 3);
        Png.write(images, png, 1, 256);
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
        assertThrows(IllegalArgumentException.class, () -> Png.write(raw, png, 0, 2));
        assertThrows(IOException.class, () -> Png.write(raw, dir.resolve("missing-dir").resolve("x.png"), 0, 256));
        // Renaming onto a non-empty directory fails after the temporary file was written.
        Path blocker = Files.createDirectory(dir.resolve("blocker.png"));
        Files.writeString(blocker.resolve("inside"), "x");
        assertThrows(IOException.class, () -> Png.write(raw, blocker, 0, 256));
        assertEquals("old contents", Files.readString(png));
        assertEquals(List.of(blocker, png), listDirectory());
    }

    private List<Path> listDirectory() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().collect(Collectors.toList());
        }
    }
}
