package org.pixelcnn4j.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.LikelihoodMap;
import org.pixelcnn4j.io.AtomicFiles;

/**
 * {@link Images} to and from AWT images and PNG files: single images, grids of a batch, and
 * batches from {@link BufferedImage}s. The one place of pixelcnn4j that needs {@code java.desktop};
 * the core types do not.
 *
 * <p>Rendering takes the number of {@code levels} the values represent and scales {@code
 * 0..levels-1} linearly to {@code 0..255}, so binary, quantized and raw images all display.
 * Files are written atomically: a temporary file is renamed over the target.
 *
 * <pre>{@code
 * Images samples = model.sample(16, 42, 1.0);
 * Png.writeGrid(samples, Path.of("samples.png"), 4, 2, 4);   // 4 columns, binary, 4x scale
 * }</pre>
 */
public final class Png {

    /** Width in pixels of the gap between grid cells written by {@link #writeGrid}. */
    private static final int GRID_SEPARATOR = 2;

    /** Gray value of the grid gap; mid-gray stays visible next to both black and white images. */
    private static final int GRID_SEPARATOR_GRAY = 128;

    private Png() {
    }

    /**
     * Converts AWT images to a batch with 1 (grayscale) or 3 (RGB) channels and values {@code
     * 0..255}.
     *
     * <p>Grayscale sources are read from their raster directly, because {@link
     * BufferedImage#getRGB} applies a gamma conversion to Java's linear gray color space and would
     * change the values. Color sources are converted to gray with the ITU-R BT.601 luma weights when
     * {@code channels == 1}; alpha is ignored.
     *
     * @param images the images, all of the same size; at least one
     * @param channels 1 for grayscale or 3 for RGB
     * @return a new batch with {@code images.size()} images
     * @throws NullPointerException if {@code images} or one of its elements is null
     * @throws IllegalArgumentException if {@code channels} is not 1 or 3, the list is empty, the
     *     images differ in size, or they do not fit in one Java array
     */
    public static Images fromBufferedImages(List<BufferedImage> images, int channels) {
        Objects.requireNonNull(images, "images");
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException(
                    "fromBufferedImages: expected 1 (gray) or 3 (RGB) channels, got " + channels);
        }
        if (images.isEmpty()) {
            throw new IllegalArgumentException("fromBufferedImages: expected at least one image, got none");
        }
        BufferedImage first = Objects.requireNonNull(images.get(0), "images[0]");
        int height = first.getHeight();
        int width = first.getWidth();
        int count = images.size();
        long size = (long) height * width * channels;
        if (size * count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("fromBufferedImages: " + count + " images of " + height + "x"
                    + width + " need more bytes than the largest Java array holds");
        }
        byte[] data = new byte[(int) (size * count)];
        int plane = height * width;
        for (int n = 0; n < count; n++) {
            BufferedImage image = Objects.requireNonNull(images.get(n), "images[" + n + "]");
            if (image.getHeight() != height || image.getWidth() != width) {
                throw new IllegalArgumentException("fromBufferedImages: expected " + height + "x" + width
                        + " images, got " + image.getHeight() + "x" + image.getWidth() + " at index " + n);
            }
            readInto(image, data, n * channels * plane, channels, plane);
        }
        return Images.adopt(data, count, channels, height, width);
    }

    /**
     * Renders one image, scaling values {@code 0..levels-1} linearly to {@code 0..255}.
     *
     * @param images the batch
     * @param index the image index
     * @param levels the number of levels the values represent: 2 for binary images, 256 for raw
     *     intensities
     * @return a {@link BufferedImage#TYPE_BYTE_GRAY} image for one channel, {@link
     *     BufferedImage#TYPE_INT_RGB} for three
     * @throws IndexOutOfBoundsException if {@code index} is outside the batch
     * @throws IllegalArgumentException if {@code levels} is outside {@code 2..256} or a value of the
     *     image is {@code levels} or more
     * @throws IllegalStateException if the images have neither 1 nor 3 channels
     */
    public static BufferedImage toBufferedImage(Images images, int index, int levels) {
        Objects.requireNonNull(images, "images");
        if (index < 0 || index >= images.count()) {
            throw new IndexOutOfBoundsException(
                    "images: expected index in [0, " + images.count() + "), got " + index);
        }
        checkLevels("toBufferedImage", levels);
        checkRenderableChannels(images, "toBufferedImage");
        BufferedImage image = new BufferedImage(images.width(), images.height(), imageType(images));
        drawInto(images, image, index, levels, 0, 0, 1);
        return image;
    }

    /**
     * Writes one image as a PNG file, atomically replacing any existing file.
     *
     * @param images the batch
     * @param png the destination file
     * @param index the image index
     * @param levels the number of levels the values represent (see {@link #toBufferedImage})
     * @throws IOException if the file cannot be written
     * @throws IndexOutOfBoundsException if {@code index} is outside the batch
     * @throws IllegalArgumentException if {@code levels} is invalid or a value is out of range
     * @throws IllegalStateException if the images have neither 1 nor 3 channels
     */
    public static void write(Images images, Path png, int index, int levels) throws IOException {
        Objects.requireNonNull(png, "png");
        writeAtomically(toBufferedImage(images, index, levels), png);
    }

    /**
     * Writes all images of a batch as one PNG grid, row by row, atomically replacing any existing
     * file.
     *
     * <p>Cells are separated by a 2-pixel mid-gray gap; unused cells of the last row are filled with
     * the same gray. The grid has {@code min(columns, count())} columns and each pixel is drawn as a
     * {@code scale x scale} block.
     *
     * @param images the batch, at least one image
     * @param png the destination file
     * @param columns the maximum number of images per row, at least 1
     * @param levels the number of levels the values represent (see {@link #toBufferedImage})
     * @param scale the integer upscaling factor, at least 1
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException if {@code columns}, {@code scale} or {@code levels} is out of
     *     range, a value is out of range, or the grid would be too large
     * @throws IllegalStateException if the batch is empty or the images have neither 1 nor 3 channels
     */
    public static void writeGrid(Images images, Path png, int columns, int levels, int scale) throws IOException {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(png, "png");
        if (columns < 1) {
            throw new IllegalArgumentException("writeGrid: expected columns >= 1, got " + columns);
        }
        if (scale < 1) {
            throw new IllegalArgumentException("writeGrid: expected scale >= 1, got " + scale);
        }
        checkLevels("writeGrid", levels);
        checkRenderableChannels(images, "writeGrid");
        int count = images.count();
        if (count == 0) {
            throw new IllegalStateException("writeGrid: expected at least one image, the batch is empty");
        }
        int cols = Math.min(columns, count);
        int rows = (count + cols - 1) / cols;
        // Products of two ints fit in a long; cap the cell size before multiplying a third time.
        long cellWidth = Math.min((long) images.width() * scale, Integer.MAX_VALUE);
        long cellHeight = Math.min((long) images.height() * scale, Integer.MAX_VALUE);
        long gridWidth = cols * cellWidth + (long) (cols - 1) * GRID_SEPARATOR;
        long gridHeight = rows * cellHeight + (long) (rows - 1) * GRID_SEPARATOR;
        if (gridWidth > Integer.MAX_VALUE || gridHeight > Integer.MAX_VALUE
                || gridWidth * gridHeight > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("writeGrid: a grid of " + gridWidth + "x" + gridHeight
                    + " pixels is too large; expected fewer images or a smaller scale");
        }
        BufferedImage grid = new BufferedImage((int) gridWidth, (int) gridHeight, imageType(images));
        fill(grid, images.channels(), GRID_SEPARATOR_GRAY);
        for (int n = 0; n < count; n++) {
            int left = (int) ((n % cols) * (cellWidth + GRID_SEPARATOR));
            int top = (int) ((n / cols) * (cellHeight + GRID_SEPARATOR));
            drawInto(images, grid, n, levels, left, top, scale);
        }
        writeAtomically(grid, png);
    }

    /** Pixels of one image into data[base ...] as C planes. */
    private static void readInto(BufferedImage image, byte[] data, int base, int channels, int plane) {
        int width = image.getWidth();
        int grayBits = grayBits(image);
        Raster raster = image.getRaster();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < width; x++) {
                int r;
                int g;
                int b;
                if (grayBits > 0) {
                    int gray = scaleTo8Bits(raster.getSample(x, y, 0), grayBits);
                    r = gray;
                    g = gray;
                    b = gray;
                } else {
                    int rgb = image.getRGB(x, y);
                    r = (rgb >>> 16) & 0xFF;
                    g = (rgb >>> 8) & 0xFF;
                    b = rgb & 0xFF;
                }
                int offset = base + y * width + x;
                if (channels == 1) {
                    data[offset] = (byte) ((299 * r + 587 * g + 114 * b + 500) / 1000);
                } else {
                    data[offset] = (byte) r;
                    data[offset + plane] = (byte) g;
                    data[offset + 2 * plane] = (byte) b;
                }
            }
        }
    }

    /** Returns the bits per sample of a single-band gray image without alpha, or 0 otherwise. */
    private static int grayBits(BufferedImage image) {
        ColorModel model = image.getColorModel();
        boolean gray = model.getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && !model.hasAlpha()
                && image.getRaster().getNumBands() == 1
                && model.getNumComponents() == 1;
        return gray ? image.getRaster().getSampleModel().getSampleSize(0) : 0;
    }

    private static int scaleTo8Bits(int sample, int bits) {
        if (bits == 8) {
            return sample;
        }
        long max = (1L << bits) - 1;
        return (int) ((sample * 255L + max / 2) / max);
    }

    private static int imageType(Images images) {
        return images.channels() == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB;
    }

    /** Draws image {@code n} with its top-left corner at (left, top), each pixel as a scale x scale block. */
    private static void drawInto(Images images, BufferedImage target, int n, int levels, int left, int top,
            int scale) {
        WritableRaster raster = target.getRaster();
        int channels = images.channels();
        int max = levels - 1;
        int[] pixel = new int[channels == 1 ? 1 : 3];
        for (int y = 0; y < images.height(); y++) {
            for (int x = 0; x < images.width(); x++) {
                for (int c = 0; c < channels; c++) {
                    int value = images.get(n, c, y, x);
                    if (value > max) {
                        throw new IllegalArgumentException("render: expected values in [0, " + max
                                + "] for levels=" + levels + ", got " + value + " in image " + n
                                + " at (c=" + c + ", y=" + y + ", x=" + x + ")");
                    }
                    // Rounded linear scaling so that level max maps exactly to 255.
                    pixel[c] = (value * 255 + max / 2) / max;
                }
                if (channels == 1) {
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            raster.setSample(left + x * scale + dx, top + y * scale + dy, 0, pixel[0]);
                        }
                    }
                } else {
                    int rgb = (pixel[0] << 16) | (pixel[1] << 8) | pixel[2];
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            target.setRGB(left + x * scale + dx, top + y * scale + dy, rgb);
                        }
                    }
                }
            }
        }
    }

    private static void fill(BufferedImage image, int channels, int gray) {
        if (channels == 1) {
            WritableRaster raster = image.getRaster();
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    raster.setSample(x, y, 0, gray);
                }
            }
        } else {
            int rgb = (gray << 16) | (gray << 8) | gray;
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    image.setRGB(x, y, rgb);
                }
            }
        }
    }

    /**
     * A per-pixel NLL map drawn over its image: the image dimmed in gray (colour images by their
     * luma), each pixel tinted by its nats on a black-red-yellow-white scale, more opaque where
     * higher, so the pixels the model finds surprising stand out.
     *
     * @param images the batch the map was computed on
     * @param index the image
     * @param levels the levels the values represent (see {@link #toBufferedImage})
     * @param pixelNats the image's nats per pixel, H x W ({@link LikelihoodMap#pixelMap})
     * @param maxNats the nats drawn at full heat (values above are clipped); 0 or less for the
     *     image's own largest value
     * @param scale the integer upscaling factor, 1 to 64
     * @return an RGB image of {@code scale * W} x {@code scale * H} pixels
     * @throws IllegalArgumentException if the map's length is not H x W, a value is negative or
     *     not finite, or the scale or levels are out of range
     */
    public static BufferedImage heatMap(Images images, int index, int levels, float[] pixelNats, double maxNats,
            int scale) {
        return drawMap("heatMap", images, index, levels, pixelNats, maxNats, scale, false);
    }

    /**
     * A signed per-pixel map drawn over its image, such as a likelihood ratio's
     * ({@link org.pixelcnn4j.ood.LikelihoodRatioMap#pixelMap}): positive values on
     * {@link #heatMap}'s black-red-yellow-white scale, negative ones on a black-blue-cyan-white
     * scale, zero leaves the dimmed image.
     *
     * @param images the batch the map was computed on
     * @param index the image
     * @param levels the levels the values represent (see {@link #toBufferedImage})
     * @param pixelValues the image's values per pixel, H x W
     * @param maxAbs the magnitude drawn at full colour (larger ones are clipped); 0 or less for
     *     the image's own largest magnitude
     * @param scale the integer upscaling factor, 1 to 64
     * @return an RGB image of {@code scale * W} x {@code scale * H} pixels
     * @throws IllegalArgumentException if the map's length is not H x W, a value is not finite,
     *     or the scale or levels are out of range
     */
    public static BufferedImage signedHeatMap(Images images, int index, int levels, float[] pixelValues,
            double maxAbs, int scale) {
        return drawMap("signedHeatMap", images, index, levels, pixelValues, maxAbs, scale, true);
    }

    private static BufferedImage drawMap(String operation, Images images, int index, int levels, float[] values,
            double maxAbs, int scale, boolean signed) {
        Objects.requireNonNull(values, "values");
        BufferedImage base = toBufferedImage(images, index, levels);
        int h = images.height();
        int w = images.width();
        if (values.length != h * w) {
            throw new IllegalArgumentException(operation + ": expected " + h * w + " pixel values (" + h + " x " + w
                    + "), got " + values.length);
        }
        if (scale < 1 || scale > 64) {
            throw new IllegalArgumentException(operation + ": expected scale 1 to 64, got " + scale);
        }
        double top = maxAbs;
        for (float v : values) {
            if (!Float.isFinite(v) || (!signed && v < 0)) {
                throw new IllegalArgumentException(operation + ": a pixel's value must be finite"
                        + (signed ? "" : " and >= 0") + ", got " + v);
            }
            if (maxAbs <= 0) {
                top = Math.max(top, Math.abs(v));
            }
        }
        BufferedImage out = new BufferedImage(w * scale, h * scale, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = base.getRGB(x, y);
                double gray = (299 * ((rgb >>> 16) & 0xFF) + 587 * ((rgb >>> 8) & 0xFF) + 114 * (rgb & 0xFF)) / 1000.0;
                float v = values[y * w + x];
                double t = top > 0 ? Math.min(1.0, Math.abs(v) / top) : 0.0;
                // The image dimmed to a dark backdrop, the heat over it: the square root spreads
                // the low values, where most pixels are.
                double alpha = Math.sqrt(t);
                double backdrop = 0.3 * gray;
                double hot = Math.min(1.0, 3 * t);
                double warm = Math.min(1.0, Math.max(0.0, 3 * t - 1));
                double white = Math.min(1.0, Math.max(0.0, 3 * t - 2));
                // Positive: red, then yellow, then white; negative: blue, then cyan, then white.
                double r = v >= 0 ? hot : white;
                double g = warm;
                double b = v >= 0 ? white : hot;
                int pr = (int) Math.round((1 - alpha) * backdrop + alpha * 255 * r);
                int pg = (int) Math.round((1 - alpha) * backdrop + alpha * 255 * g);
                int pb = (int) Math.round((1 - alpha) * backdrop + alpha * 255 * b);
                int color = (pr << 16) | (pg << 8) | pb;
                for (int dy = 0; dy < scale; dy++) {
                    for (int dx = 0; dx < scale; dx++) {
                        out.setRGB(x * scale + dx, y * scale + dy, color);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Writes images and their NLL heat maps as one PNG, atomically: one row per image, the image
     * on the left and {@link #heatMap} on the right, all on one scale ({@code maxNats}).
     *
     * @param images the batch the maps were computed on
     * @param maps their maps ({@link org.pixelcnn4j.PixelCnn#logLikelihoodMap})
     * @param levels the levels the values represent
     * @param maxNats the nats drawn at full heat; 0 or less for the largest pixel value of all maps
     * @param scale the integer upscaling factor, 1 to 64
     * @param png the destination file
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException if the maps are not the images' or an argument is out of range
     */
    public static void writeHeatMaps(Images images, LikelihoodMap maps, int levels, double maxNats,
            int scale, Path png) throws IOException {
        Objects.requireNonNull(maps, "maps");
        Objects.requireNonNull(png, "png");
        if (maps.count() != images.count() || maps.channels() != images.channels() || maps.height() != images.height()
                || maps.width() != images.width()) {
            throw new IllegalArgumentException("writeHeatMaps: the maps (" + maps + ") are not of these images ("
                    + images + ")");
        }
        double top = maxNats;
        if (top <= 0) {
            for (int n = 0; n < maps.count(); n++) {
                for (float v : maps.pixelMap(n)) {
                    top = Math.max(top, v);
                }
            }
        }
        List<List<BufferedImage>> rows = new java.util.ArrayList<>();
        for (int n = 0; n < images.count(); n++) {
            rows.add(List.of(upscale(toBufferedImage(images, n, levels), scale),
                    heatMap(images, n, levels, maps.pixelMap(n), top, scale)));
        }
        writeSheet(rows, png);
    }

    /**
     * Writes tiles as one PNG, atomically: row after row, 2 pixels of gray between tiles. The
     * tiles of a row are placed left to right; every cell is as large as the largest tile.
     *
     * @param rows the rows of tiles, at least one tile in all
     * @param png the destination file
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException if there are no tiles
     */
    public static void writeSheet(List<List<BufferedImage>> rows, Path png) throws IOException {
        Objects.requireNonNull(rows, "rows");
        Objects.requireNonNull(png, "png");
        int cellW = 0;
        int cellH = 0;
        int columns = 0;
        for (List<BufferedImage> row : rows) {
            columns = Math.max(columns, row.size());
            for (BufferedImage tile : row) {
                cellW = Math.max(cellW, tile.getWidth());
                cellH = Math.max(cellH, tile.getHeight());
            }
        }
        if (columns == 0) {
            throw new IllegalArgumentException("writeSheet: expected at least one tile");
        }
        int gap = 2;
        BufferedImage sheet = new BufferedImage(columns * (cellW + gap) - gap, rows.size() * (cellH + gap) - gap,
                BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = sheet.createGraphics();
        try {
            g.setColor(new java.awt.Color(128, 128, 128));
            g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
            for (int r = 0; r < rows.size(); r++) {
                for (int c = 0; c < rows.get(r).size(); c++) {
                    g.drawImage(rows.get(r).get(c), c * (cellW + gap), r * (cellH + gap), null);
                }
            }
        } finally {
            g.dispose();
        }
        writeAtomically(sheet, png);
    }

    /**
     * @param image an image
     * @param scale the integer factor, 1 to 64
     * @return the image scaled up by pixel repetition, as RGB
     */
    public static BufferedImage upscale(BufferedImage image, int scale) {
        if (scale < 1 || scale > 64) {
            throw new IllegalArgumentException("upscale: expected scale 1 to 64, got " + scale);
        }
        BufferedImage out = new BufferedImage(image.getWidth() * scale, image.getHeight() * scale,
                BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = out.createGraphics();
        try {
            g.drawImage(image, 0, 0, out.getWidth(), out.getHeight(), null);
        } finally {
            g.dispose();
        }
        return out;
    }

    /** Writes a PNG to a temporary file next to {@code target} and renames it into place. */
    private static void writeAtomically(BufferedImage image, Path target) throws IOException {
        AtomicFiles.write(target, out -> {
            OutputStream stream = Channels.newOutputStream(out);
            if (!ImageIO.write(image, "png", stream)) {
                throw new IOException("writePng: no PNG writer available for image type "
                        + image.getType() + " (writing " + target.toAbsolutePath() + ")");
            }
            stream.flush();
        });
    }

    private static void checkRenderableChannels(Images images, String operation) {
        if (images.channels() != 1 && images.channels() != 3) {
            throw new IllegalStateException(operation + ": expected 1 (gray) or 3 (RGB) channels, got "
                    + images.channels());
        }
    }

    private static void checkLevels(String operation, int levels) {
        if (levels < 2 || levels > 256) {
            throw new IllegalArgumentException(operation + ": expected levels in [2, 256], got " + levels);
        }
    }
}
