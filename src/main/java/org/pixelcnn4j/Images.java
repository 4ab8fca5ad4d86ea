package org.pixelcnn4j;

import java.util.Arrays;
import java.util.Objects;

/**
 * A batch of 8-bit images laid out as {@code N x C x H x W} (count, channels, height, width) in one
 * contiguous byte array.
 *
 * <p>Pixel values are unsigned bytes. Depending on the stage of the pipeline they mean different
 * things: raw intensities {@code 0..255}, quantized levels {@code 0..levels-1} (see {@link
 * #quantize(int)}) or binary values {@code 0/1} (see {@link #binarize(int)}). Rendering to PNG files
 * and AWT images is {@link org.pixelcnn4j.data.Png}'s, so this class needs no {@code java.desktop}.
 *
 * <p>Instances are immutable: factories copy their input and every transformation returns a new
 * instance. Only the package-private {@link #data()} exposes the backing array, so the engine can
 * pass it to native code without a copy.
 */
public final class Images {

    /**
     * The largest height and width a model takes (the engine's limit): the readers refuse larger
     * images from their headers, before decoding, so a small file cannot claim a huge image.
     */
    public static final int MAX_SIDE = 4096;

    private final byte[] data;
    private final int count;
    private final int channels;
    private final int height;
    private final int width;
    // One class label per image, or null: what a class-conditional model trains and scores with.
    private final int[] labels;

    private Images(byte[] data, int count, int channels, int height, int width) {
        this(data, count, channels, height, width, null);
    }

    private Images(byte[] data, int count, int channels, int height, int width, int[] labels) {
        this.data = data;
        this.count = count;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.labels = labels;
    }

    /**
     * Returns these images with one class label each (for a class-conditional model: it trains on
     * p(x | label), scores and completes each image under its own label). The pixels are shared,
     * not copied; the labels are copied.
     *
     * @param labels one label per image, each 0 or more (a model checks them against its classes)
     * @return labelled images
     * @throws IllegalArgumentException if the number of labels is not {@link #count()} or a label
     *     is negative
     */
    public Images withLabels(int... labels) {
        Objects.requireNonNull(labels, "labels");
        if (labels.length != count) {
            throw new IllegalArgumentException("labels: expected one per image (" + count + "), got " + labels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("labels: label " + labels[i] + " of image " + i + " is negative");
            }
        }
        return new Images(data, count, channels, height, width, labels.clone());
    }

    /**
     * Returns these images without labels (the pixels shared).
     *
     * @return unlabelled images
     */
    public Images withoutLabels() {
        return labels == null ? this : new Images(data, count, channels, height, width);
    }

    /**
     * Whether every image carries a class label.
     *
     * @return true if labelled
     */
    public boolean hasLabels() {
        return labels != null;
    }

    /**
     * Returns a copy of the labels.
     *
     * @return one label per image, or null if the images are unlabelled
     */
    public int[] labels() {
        return labels == null ? null : labels.clone();
    }

    /**
     * Returns the label of image {@code n}.
     *
     * @param n the image index
     * @return its label
     * @throws IllegalStateException if the images are unlabelled
     * @throws IndexOutOfBoundsException if {@code n} is outside the batch
     */
    public int label(int n) {
        if (labels == null) {
            throw new IllegalStateException("images: unlabelled (see withLabels)");
        }
        checkIndex("n", n, count);
        return labels[n];
    }

    /** The labels without copying, or null (for the engine calls). */
    int[] labelData() {
        return labels;
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
        return new Images(copy, to - from, channels, height, width,
                labels == null ? null : Arrays.copyOfRange(labels, from, to));
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
        int[] selected = null;
        if (labels != null) {
            selected = new int[indices.length];
            for (int i = 0; i < indices.length; i++) {
                selected[i] = labels[indices[i]];
            }
        }
        return new Images(copy, indices.length, channels, height, width, selected);
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
        return new Images(result, count, channels, height, width, labels);
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
        return new Images(result, count, channels, height, width, labels);
    }

    /**
     * Returns true if {@code other} is a batch with the same dimensions, pixel values and labels
     * (or both unlabelled).
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
                && width == that.width && Arrays.equals(data, that.data) && Arrays.equals(labels, that.labels);
    }

    /**
     * Returns a hash code consistent with {@link #equals}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return 31 * (31 * Objects.hash(count, channels, height, width) + Arrays.hashCode(data))
                + Arrays.hashCode(labels);
    }

    /**
     * Returns the dimensions, e.g. {@code Images[100 x 1 x 28 x 28]}.
     *
     * @return a short description without pixel values
     */
    @Override
    public String toString() {
        return "Images[" + count + " x " + channels + " x " + height + " x " + width
                + (labels == null ? "" : ", labelled") + "]";
    }

    private int imageSize() {
        return channels * height * width;
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
