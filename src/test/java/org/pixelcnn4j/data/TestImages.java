package org.pixelcnn4j.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.pixelcnn4j.Images;

/** Small test images written as IDX files and PNG/JPEG folders. */
public final class TestImages {
    private TestImages() {
    }

    /** Images whose pixel (n, c, y, x) has a value derived from its coordinates, all distinct-ish. */
    public static Images pattern(int count, int channels, int height, int width) {
        byte[] data = new byte[count * channels * height * width];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 37 + 11);
        }
        return Images.of(data, count, channels, height, width);
    }

    /**
     * {@code count} gray images of {@code size x size} with a bright vertical bar at a random
     * column on a dark, slightly noisy background: easy to learn, different from each other.
     *
     * @param count images
     * @param size height and width
     * @param seed random seed
     * @return N x H x W bytes
     */
    public static byte[] bars(int count, int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] data = new byte[count * size * size];
        for (int n = 0; n < count; n++) {
            int column = random.nextInt(size);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int v = x == column ? 200 + random.nextInt(56) : random.nextInt(60);
                    data[(n * size + y) * size + x] = (byte) v;
                }
            }
        }
        return data;
    }

    /**
     * Writes an IDX image file (magic 0x00000803), gzip-compressed if asked.
     *
     * @param file destination
     * @param data N x H x W bytes
     * @param count N
     * @param height H
     * @param width W
     * @param gzip compress with gzip
     * @return the file
     * @throws IOException if writing fails
     */
    public static Path writeIdx(Path file, byte[] data, int count, int height, int width, boolean gzip)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = gzip ? new GZIPOutputStream(bytes) : bytes) {
            out.write(ByteBuffer.allocate(16).putInt(0x00000803).putInt(count).putInt(height).putInt(width).array());
            out.write(data);
        }
        Files.write(file, bytes.toByteArray());
        return file;
    }

    /**
     * Writes image {@code n} of gray N x H x W data as an 8-bit gray PNG.
     *
     * @param file destination
     * @param data N x H x W bytes
     * @param n image index
     * @param height H
     * @param width W
     * @return the file
     * @throws IOException if writing fails
     */
    public static Path writeGrayPng(Path file, byte[] data, int n, int height, int width) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.getRaster().setSample(x, y, 0, data[(n * height + y) * width + x] & 0xFF);
            }
        }
        return write(image, file, "png");
    }

    /**
     * Writes an RGB image whose pixel (x, y) is {@code rgb(x, y)}.
     *
     * @param file destination
     * @param height H
     * @param width W
     * @param format "png" or "jpeg"
     * @param rgb colour of each pixel as 0xRRGGBB
     * @return the file
     * @throws IOException if writing fails
     */
    public static Path writeRgb(Path file, int height, int width, String format, java.util.function.IntBinaryOperator rgb)
            throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, rgb.applyAsInt(x, y));
            }
        }
        return write(image, file, format);
    }

    /**
     * Writes the first {@code count} images of gray N x H x W data as PNGs {@code prefix-NN.png}
     * into a new folder.
     *
     * @param folder the folder (created)
     * @param data N x H x W bytes
     * @param count images to write
     * @param height H
     * @param width W
     * @return the folder
     * @throws IOException if writing fails
     */
    public static Path writePngFolder(Path folder, byte[] data, int count, int height, int width) throws IOException {
        Files.createDirectories(folder);
        for (int n = 0; n < count; n++) {
            writeGrayPng(folder.resolve(String.format("img-%02d.png", n)), data, n, height, width);
        }
        return folder;
    }

    private static Path write(BufferedImage image, Path file, String format) throws IOException {
        if (!ImageIO.write(image, format, file.toFile())) {
            throw new IOException("no ImageIO writer for " + format);
        }
        return file;
    }
}
