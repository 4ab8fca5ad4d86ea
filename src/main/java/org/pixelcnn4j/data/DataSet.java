package org.pixelcnn4j.data;

import java.nio.file.Path;
import java.util.Objects;
import org.pixelcnn4j.Images;

/**
 * Images read from an {@link ImageSource}, with where each came from: its index in the source
 * and, for image files, its file.
 *
 * <p>{@link #checksum()} is a CRC32C of the converted pixel values, so a program can tell whether
 * the data it reads now is the data it read before (the command-line tool checks it when it
 * resumes training).
 */
public final class DataSet {
    private final ImageSource source;
    private final Images images;
    private final int[] sourceIndices;
    private final ImageFormat format;
    private final long checksum;

    DataSet(ImageSource source, Images images, int[] sourceIndices, ImageFormat format, long checksum) {
        this.source = source;
        this.images = images;
        this.sourceIndices = sourceIndices;
        this.format = format;
        this.checksum = checksum;
    }

    /** @return the images, N x C x H x W in the format they were read with */
    public Images images() {
        return images;
    }

    /** @return the number of images */
    public int count() {
        return images.count();
    }

    /** @return the format the images were read with (channels, values) */
    public ImageFormat format() {
        return format;
    }

    /** @return the source the images were read from */
    public ImageSource source() {
        return source;
    }

    /**
     * @param index image index in this data set
     * @return the index of that image in its source (file order for folders, record order for IDX)
     * @throws IndexOutOfBoundsException if the index is outside the data set
     */
    public int sourceIndex(int index) {
        Objects.checkIndex(index, sourceIndices.length);
        return sourceIndices[index];
    }

    /**
     * @param index image index in this data set
     * @return the image's file, or null if the source is an IDX file
     * @throws IndexOutOfBoundsException if the index is outside the data set
     */
    public Path file(int index) {
        return source.file(sourceIndex(index));
    }

    /**
     * @param index image index in this data set
     * @return the image's file name without its folder, or null if the source is an IDX file
     * @throws IndexOutOfBoundsException if the index is outside the data set
     */
    public String fileName(int index) {
        Path file = file(index);
        return file == null ? null : file.getFileName().toString();
    }

    /** @return CRC32C of the pixel values as read */
    public long checksum() {
        return checksum;
    }

    @Override
    public String toString() {
        return "DataSet[" + count() + " images of " + images.height() + "x" + images.width() + ", "
                + format.describe() + ", from " + source.description() + "]";
    }
}
