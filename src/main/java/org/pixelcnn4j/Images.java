package org.pixelcnn4j;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * A batch of 8-bit images laid out as {@code N x C x H x W} (count, channels, height, width) in one
 * contiguous byte array.
 *
 * <p>Pixel values are unsigned bytes. Depending on the stage of the pipeline they mean different
 * things: raw intensities {@code 0..255}, quantized levels {@code 0..levels-1} (see {@link
 * #quantize(int)}) or binary values {@code 0/1} (see {@link #binarize(int)}). Methods that render
 * images take the number of {@code levels} so that every representation can be displayed.
 *
 * <p>Instances are immutable: factories copy their input and every transformation returns a new
 * instance. Only the package-private {@link #data()} exposes the backing array, so the engine can
 * pass it to native code without a copy.
 */
public final class Images {

    /** Width in pixels of the gap between grid cells written by {@link #writeGrid}. */
    private static final int GRID_SEPARATOR = 2;

    /** Gray value of the grid gap; mid-gray stays visible next to both black and white images. */
    private static final int GRID_SEPARATOR_GRAY = 128;

    private final byte[] data;
    private final int count;
    private final int channels;
    private final int height;
    private final int width;

    private Images(byte[] data, int count, int channels, int height, int width) {
        this.data = data;
        this.count = count;
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    /**
     * Creates a batch from a copy of {@code data}, laid out as {@code count x channels x height x
     * width}.
     *
     * @param data the pixel values, {@code count * channels * height * width} bytes
     * @param count the number of images, zero or more
     * @param channels the number of channels per image, at least 1
     * @param height the image height in pixels, at least 1
     * @param width the image width in pixels, at least 1
     * @return a new batch that does not share {@code data}
     * @throws NullPointerException if {@code data} is null
     * @throws IllegalArgumentException if a dimension is out of range, the total size exceeds the
     *     maximum array size, or {@code data.length} does not match the dimensions
     */
    public static Images of(byte[] data, int count, int channels, int height, int width) {
        Objects.requireNonNull(data, "data");
        int size = checkedSize(count, channels, height, width);
        if (data.length != size) {
            throw new IllegalArgumentException(
                    "images: expected " + size + " bytes for " + describe(count, channels, height, width)
                            + ", got " + data.length);
        }
        return new Images(data.clone(), count, channels, height, width);
    }

    /**
     * Creates a batch from floats in [0, 1] (for example a normalised tensor), quantized to
     * {@code levels} values: {@code v -> min(levels - 1, floor(v * levels))}.
     *
     * @param data the values, {@code count * channels * height * width} floats in [0, 1]
     * @param count the number of images, zero or more
     * @param channels the number of channels per image, at least 1
     * @param height the image height in pixels, at least 1
     * @param width the image width in pixels, at least 1
     * @param levels values per channel after quantization, 2 to 256 (2 gives binary images)
     * @return a new batch
     * @throws IllegalArgumentException naming the first NaN, infinite or out-of-range value, or if
     *     the sizes do not match
     */
    public static Images fromFloats(float[] data, int count, int channels, int height, int width, int levels) {
        Objects.requireNonNull(data, "data");
        checkLevels("fromFloats", levels);
        int size = checkedSize(count, channels, height, width);
        if (data.length != size) {
            throw new IllegalArgumentException("images: expected " + size + " floats for "
                    + describe(count, channels, height, width) + ", got " + data.length);
        }
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            float v = data[i];
            if (!(v >= 0f && v <= 1f)) {
                String what = Float.isNaN(v) ? "NaN" : Float.isInfinite(v) ? "infinite" : "outside [0, 1]";
                throw new IllegalArgumentException("images: value " + v + " at index " + i + " (image "
                        + i / (size / Math.max(1, count)) + ") is " + what + "; expected floats in [0, 1]");
            }
            bytes[i] = (byte) Math.min(levels - 1, (int) (v * levels));
        }
        return new Images(bytes, count, channels, height, width);
    }

    /**
     * A known-pixel mask for {@link PixelCnn#complete}: 1 in the first {@code knownRows} rows of
     * every image and channel, 0 below (complete the bottom from the top).
     *
     * @param count the number of images
     * @param channels channels per image
     * @param height image height
     * @param width image width
     * @param knownRows rows known from the top, 0 to height
     * @return the mask
     * @throws IllegalArgumentException if knownRows is outside [0, height] or a size is invalid
     */
    public static Images rowMask(int count, int channels, int height, int width, int knownRows) {
        int size = checkedSize(count, channels, height, width);
        if (knownRows < 0 || knownRows > height) {
            throw new IllegalArgumentException("knownRows: expected 0.." + height + ", got " + knownRows);
        }
        byte[] mask = new byte[size];
        int plane = height * width;
        for (int image = 0; image < count * channels; image++) {
            java.util.Arrays.fill(mask, image * plane, image * plane + knownRows * width, (byte) 1);
        }
        return new Images(mask, count, channels, height, width);
    }

    /**
     * Creates a batch of images whose pixels are all zero.
     *
     * @param count the number of images, zero or more
     * @param channels the number of channels per image, at least 1
     * @param height the image height in pixels, at least 1
     * @param width the image width in pixels, at least 1
     * @return a new zero-filled batch
     * @throws IllegalArgumentException if a dimension is out of range or the total size exceeds the
     *     maximum array size
     */
    public static Images zeros(int count, int channels, int height, int width) {
        return new Images(new byte[checkedSize(count, channels, height, width)], count, channels, height, width);
    }

    /**
     * Wraps {@code data} without copying it: the batch takes ownership of the array, and the
     * caller must not modify it afterwards. For loaders that decode a data set straight into one
     * array (so that it is never held twice); everyone else should use the copying {@link #of}.
     *
     * @param data the pixel values, {@code count * channels * height * width} bytes
     * @param count the number of images, zero or more
     * @param channels the number of channels per image, at least 1
     * @param height the image height in pixels, at least 1
     * @param width the image width in pixels, at least 1
     * @return a batch backed by {@code data}
     * @throws IllegalArgumentException if the dimensions are invalid or do not match {@code data}
     */
    public static Images adopt(byte[] data, int count, int channels, int height, int width) {
        return wrap(data, count, channels, height, width);
    }

    /**
     * Wraps {@code data} without copying it; the caller must not modify the array afterwards.
     *
     * <p>Package-private so that the engine can hand over freshly produced native output without a
     * second copy, while users always go through the copying {@link #of} factory.
     *
     * @throws IllegalArgumentException if the dimensions are invalid or do not match {@code data}
     */
    static Images wrap(byte[] data, int count, int channels, int height, int width) {
        Objects.requireNonNull(data, "data");
        int size = checkedSize(count, channels, height, width);
        if (data.length != size) {
            throw new IllegalArgumentException(
                    "images: expected " + size + " bytes for " + describe(count, channels, height, width)
                            + ", got " + data.length);
        }
        return new Images(data, count, channels, height, width);
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
     * @throws IllegalArgumentException if {@code channels} is not 1 or 3, the list is empty, or the
     *     images differ in size
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
        byte[] data = new byte[checkedSize(count, channels, height, width)];
        int plane = height * width;
        for (int n = 0; n < count; n++) {
            BufferedImage image = Objects.requireNonNull(images.get(n), "images[" + n + "]");
            if (image.getHeight() != height || image.getWidth() != width) {
                throw new IllegalArgumentException("fromBufferedImages: expected " + height + "x" + width
                        + " images, got " + image.getHeight() + "x" + image.getWidth() + " at index " + n);
            }
            int base = n * channels * plane;
            int grayBits = grayBits(image);
            Raster raster = image.getRaster();
            for (int y = 0; y < height; y++) {
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
        return new Images(data, count, channels, height, width);
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

    /**
     * Returns the number of images in the batch.
     *
     * @return the number of images, zero or more
     */
    public int count() {
        return count;
    }

    /**
     * Returns the number of channels per image.
     *
     * @return the number of channels, at least 1
     */
    public int channels() {
        return channels;
    }

    /**
     * Returns the image height in pixels.
     *
     * @return the height, at least 1
     */
    public int height() {
        return height;
    }

    /**
     * Returns the image width in pixels.
     *
     * @return the width, at least 1
     */
    public int width() {
        return width;
    }

    /**
     * Returns one pixel value as an unsigned number.
     *
     * @param n the image index
     * @param c the channel index
     * @param y the row
     * @param x the column
     * @return the value in {@code 0..255}
     * @throws IndexOutOfBoundsException if an index is outside the batch
     */
    public int get(int n, int c, int y, int x) {
        checkIndex("n", n, count);
        checkIndex("c", c, channels);
        checkIndex("y", y, height);
        checkIndex("x", x, width);
        return data[((n * channels + c) * height + y) * width + x] & 0xFF;
    }

    /**
     * Returns a copy of the pixel values in {@code N x C x H x W} order.
     *
     * @return a new array of {@code count * channels * height * width} bytes
     */
    public byte[] toArray() {
        return data.clone();
    }

    /**
     * Returns the backing array without copying; callers must treat it as read-only.
     *
     * <p>Package-private: it exists so the engine can pass the pixels to native code without a copy.
     */
    byte[] data() {
        return data;
    }

    /**
     * Returns the images with indices {@code from} (inclusive) to {@code to} (exclusive).
     *
     * @param from the first index to include
     * @param to one past the last index to include
     * @return a new batch of {@code to - from} images
     * @throws IndexOutOfBoundsException unless {@code 0 <= from <= to <= count()}
     */
    public Images slice(int from, int to) {
        if (from < 0 || from > to || to > count) {
            throw new IndexOutOfBoundsException(
                    "slice: expected 0 <= from <= to <= " + count + ", got from=" + from + ", to=" + to);
        }
        int imageSize = imageSize();
        byte[] copy = Arrays.copyOfRange(data, from * imageSize, to * imageSize);
        return new Images(copy, to - from, channels, height, width);
    }

    /**
     * Returns the images at the given indices, in the given order; indices may repeat.
     *
     * @param indices indices of images in this batch
     * @return a new batch of {@code indices.length} images
     * @throws NullPointerException if {@code indices} is null
     * @throws IndexOutOfBoundsException if an index is outside {@code 0..count()-1}
     */
    public Images select(int... indices) {
        Objects.requireNonNull(indices, "indices");
        int imageSize = imageSize();
        byte[] copy = new byte[checkedSize(indices.length, channels, height, width)];
        for (int i = 0; i < indices.length; i++) {
            int index = indices[i];
            if (index < 0 || index >= count) {
                throw new IndexOutOfBoundsException("select: expected indices in [0, " + count + "), got "
                        + index + " at position " + i);
            }
            System.arraycopy(data, index * imageSize, copy, i * imageSize, imageSize);
        }
        return new Images(copy, indices.length, channels, height, width);
    }

    /**
     * Maps every value to 1 if it is greater than {@code threshold}, else to 0.
     *
     * @param threshold the largest value that maps to 0, in {@code 0..255}
     * @return a new batch of binary images
     * @throws IllegalArgumentException if {@code threshold} is outside {@code 0..255}
     */
    public Images binarize(int threshold) {
        if (threshold < 0 || threshold > 255) {
            throw new IllegalArgumentException("binarize: expected threshold in [0, 255], got " + threshold);
        }
        byte[] result = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            result[i] = (byte) ((data[i] & 0xFF) > threshold ? 1 : 0);
        }
        return new Images(result, count, channels, height, width);
    }

    /**
     * Maps intensities {@code 0..255} to {@code levels} evenly sized bins, {@code floor(v * levels /
     * 256)}.
     *
     * @param levels the number of output levels, in {@code 2..256}
     * @return a new batch with values in {@code 0..levels-1}
     * @throws IllegalArgumentException if {@code levels} is outside {@code 2..256}
     */
    public Images quantize(int levels) {
        checkLevels("quantize", levels);
        byte[] result = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            result[i] = (byte) (((data[i] & 0xFF) * levels) >> 8);
        }
        return new Images(result, count, channels, height, width);
    }

    /**
     * Renders one image, scaling values {@code 0..levels-1} linearly to {@code 0..255}.
     *
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
    public BufferedImage toBufferedImage(int index, int levels) {
        checkIndex("index", index, count);
        checkLevels("toBufferedImage", levels);
        checkRenderableChannels("toBufferedImage");
        BufferedImage image = new BufferedImage(width, height, imageType());
        drawInto(image, index, levels, 0, 0, 1);
        return image;
    }

    /**
     * Writes one image as a PNG file, atomically replacing any existing file.
     *
     * @param png the destination file
     * @param index the image index
     * @param levels the number of levels the values represent (see {@link #toBufferedImage})
     * @throws IOException if the file cannot be written
     * @throws IndexOutOfBoundsException if {@code index} is outside the batch
     * @throws IllegalArgumentException if {@code levels} is invalid or a value is out of range
     * @throws IllegalStateException if the images have neither 1 nor 3 channels
     */
    public void writePng(Path png, int index, int levels) throws IOException {
        Objects.requireNonNull(png, "png");
        writePngAtomically(toBufferedImage(index, levels), png);
    }

    /**
     * Writes all images as one PNG grid, row by row, atomically replacing any existing file.
     *
     * <p>Cells are separated by a 2-pixel mid-gray gap; unused cells of the last row are filled with
     * the same gray. The grid has {@code min(columns, count())} columns and each pixel is drawn as a
     * {@code scale x scale} block.
     *
     * @param png the destination file
     * @param columns the maximum number of images per row, at least 1
     * @param levels the number of levels the values represent (see {@link #toBufferedImage})
     * @param scale the integer upscaling factor, at least 1
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException if {@code columns}, {@code scale} or {@code levels} is out of
     *     range, a value is out of range, or the grid would be too large
     * @throws IllegalStateException if the batch is empty or the images have neither 1 nor 3 channels
     */
    public void writeGrid(Path png, int columns, int levels, int scale) throws IOException {
        Objects.requireNonNull(png, "png");
        if (columns < 1) {
            throw new IllegalArgumentException("writeGrid: expected columns >= 1, got " + columns);
        }
        if (scale < 1) {
            throw new IllegalArgumentException("writeGrid: expected scale >= 1, got " + scale);
        }
        checkLevels("writeGrid", levels);
        checkRenderableChannels("writeGrid");
        if (count == 0) {
            throw new IllegalStateException("writeGrid: expected at least one image, the batch is empty");
        }
        int cols = Math.min(columns, count);
        int rows = (count + cols - 1) / cols;
        // Products of two ints fit in a long; cap the cell size before multiplying a third time.
        long cellWidth = Math.min((long) width * scale, Integer.MAX_VALUE);
        long cellHeight = Math.min((long) height * scale, Integer.MAX_VALUE);
        long gridWidth = cols * cellWidth + (long) (cols - 1) * GRID_SEPARATOR;
        long gridHeight = rows * cellHeight + (long) (rows - 1) * GRID_SEPARATOR;
        if (gridWidth > Integer.MAX_VALUE || gridHeight > Integer.MAX_VALUE
                || gridWidth * gridHeight > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("writeGrid: a grid of " + gridWidth + "x" + gridHeight
                    + " pixels is too large; expected fewer images or a smaller scale");
        }
        BufferedImage grid = new BufferedImage((int) gridWidth, (int) gridHeight, imageType());
        fill(grid, GRID_SEPARATOR_GRAY);
        for (int n = 0; n < count; n++) {
            int left = (int) ((n % cols) * (cellWidth + GRID_SEPARATOR));
            int top = (int) ((n / cols) * (cellHeight + GRID_SEPARATOR));
            drawInto(grid, n, levels, left, top, scale);
        }
        writePngAtomically(grid, png);
    }

    /**
     * Returns true if {@code other} is a batch with the same dimensions and pixel values.
     *
     * @param other the object to compare with
     * @return whether both batches are equal
     */
    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof Images)) {
            return false;
        }
        Images that = (Images) other;
        return count == that.count && channels == that.channels && height == that.height
                && width == that.width && Arrays.equals(data, that.data);
    }

    /**
     * Returns a hash code consistent with {@link #equals}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return 31 * Objects.hash(count, channels, height, width) + Arrays.hashCode(data);
    }

    /**
     * Returns the dimensions, e.g. {@code Images[100 x 1 x 28 x 28]}.
     *
     * @return a short description without pixel values
     */
    @Override
    public String toString() {
        return "Images[" + count + " x " + channels + " x " + height + " x " + width + "]";
    }

    private int imageSize() {
        return channels * height * width;
    }

    private int imageType() {
        return channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB;
    }

    /** Draws image {@code n} with its top-left corner at (left, top), each pixel as a scale x scale block. */
    private void drawInto(BufferedImage target, int n, int levels, int left, int top, int scale) {
        WritableRaster raster = target.getRaster();
        int plane = height * width;
        int base = n * channels * plane;
        int max = levels - 1;
        int[] pixel = new int[channels == 1 ? 1 : 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < channels; c++) {
                    int value = data[base + c * plane + y * width + x] & 0xFF;
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

    private void fill(BufferedImage image, int gray) {
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
     * Writes a PNG to a temporary file next to {@code target} and renames it into place, so readers
     * never see a half-written image and a failed write leaves the old file untouched.
     */
    private static void writePngAtomically(BufferedImage image, Path target) throws IOException {
        org.pixelcnn4j.io.AtomicFiles.write(target, out -> {
            OutputStream stream = Channels.newOutputStream(out);
            if (!ImageIO.write(image, "png", stream)) {
                throw new IOException("writePng: no PNG writer available for image type "
                        + image.getType() + " (writing " + target.toAbsolutePath() + ")");
            }
            stream.flush();
        });
    }

    private void checkRenderableChannels(String operation) {
        if (channels != 1 && channels != 3) {
            throw new IllegalStateException(operation + ": expected 1 (gray) or 3 (RGB) channels, got "
                    + channels);
        }
    }

    private static void checkLevels(String operation, int levels) {
        if (levels < 2 || levels > 256) {
            throw new IllegalArgumentException(operation + ": expected levels in [2, 256], got " + levels);
        }
    }

    private static void checkIndex(String name, int index, int size) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(
                    "images: expected " + name + " in [0, " + size + "), got " + index);
        }
    }

    private static int checkedSize(int count, int channels, int height, int width) {
        if (count < 0 || channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("images: expected count >= 0 and channels, height, width >= 1, got "
                    + describe(count, channels, height, width));
        }
        // Multiply step by step so that an overflowing product is reported instead of wrapping around.
        long imageSize = (long) channels * height;
        if (imageSize <= Integer.MAX_VALUE) {
            imageSize *= width;
        }
        long size = imageSize <= Integer.MAX_VALUE ? imageSize * count : Long.MAX_VALUE;
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("images: " + describe(count, channels, height, width)
                    + " needs more bytes than the largest Java array holds");
        }
        return (int) size;
    }

    private static String describe(int count, int channels, int height, int width) {
        return count + " x " + channels + " x " + height + " x " + width + " (N x C x H x W)";
    }
}
