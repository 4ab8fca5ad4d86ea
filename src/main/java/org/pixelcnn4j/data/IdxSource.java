package org.pixelcnn4j.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.InvalidDataException;

/**
 * An IDX image file (N x H x W unsigned bytes), plain or gzip-compressed. {@link Idx} checks the
 * header; the pixels are then streamed one image at a time into the caller's arrays, so the raw
 * file content is never held in memory as a whole.
 */
final class IdxSource extends ImageSource {
    private static final int HEADER_BYTES = 16;

    private final Path file;
    private final int total;
    private final int count;
    private final int height;
    private final int width;
    private final String description;

    private IdxSource(Path file, int total, int count, int height, int width, String description) {
        this.file = file;
        this.total = total;
        this.count = count;
        this.height = height;
        this.width = width;
        this.description = description;
    }

    static IdxSource open(Path file, String description) throws IOException {
        // Idx validates magic, data type, rank and dimensions with precise messages.
        Images header = Idx.readImages(file, 0);
        int total;
        boolean gzip;
        try (InputStream in = Idx.openStream(file)) {
            gzip = in instanceof GZIPInputStream;
            byte[] head = in.readNBytes(8);
            total = ((head[4] & 0xFF) << 24) | ((head[5] & 0xFF) << 16) | ((head[6] & 0xFF) << 8) | (head[7] & 0xFF);
        }
        if (total == 0) {
            throw new InvalidDataException("data: " + file + " holds no images; expected an IDX file with at least one");
        }
        long needed = HEADER_BYTES + (long) total * header.height() * header.width();
        long size = Files.size(file);
        if (!gzip && size < needed) {
            throw new InvalidDataException("data: " + file + " is truncated: its header announces " + total + " images of "
                    + header.height() + "x" + header.width() + " (" + needed + " bytes), the file has " + size + " bytes");
        }
        return new IdxSource(file, total, total, header.height(), header.width(),
                description + " (" + total + " image" + (total == 1 ? ")" : "s)"));
    }

    @Override
    public int count() {
        return count;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public boolean isColour() {
        return false;
    }

    @Override
    public Path file(int index) {
        java.util.Objects.checkIndex(index, count);
        return null;
    }

    @Override
    public boolean hasFiles() {
        return false;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public ImageSource limit(int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit: expected a positive number of images, got " + limit);
        }
        if (limit >= count) {
            return this;
        }
        String what = description.replaceFirst(" \\(\\d+ images?\\)$", "");
        return new IdxSource(file, total, limit, height, width, what + " (first " + limit + " of " + total + " images)");
    }

    @Override
    public void requireSize(int expectedHeight, int expectedWidth, String expectedBy) throws InvalidDataException {
        if (expectedHeight != height || expectedWidth != width) {
            throw new InvalidDataException("data: " + file + " holds " + height + "x" + width
                    + " images (height x width); expected " + expectedHeight + "x" + expectedWidth
                    + (expectedBy.isEmpty() ? "" : ", " + expectedBy));
        }
    }

    @Override
    String sizeReason() {
        return "";
    }

    @Override
    void decode(ImageFormat format, ImageSink sink, int last) throws IOException {
        int plane = height * width;
        byte[] raw = new byte[plane];
        byte[] expanded = format.channels() == 1 ? raw : new byte[format.channels() * plane];
        try (InputStream in = Idx.openStream(file)) {
            in.skipNBytes(HEADER_BYTES);
            for (int i = 0; i <= last; i++) {
                int n = in.readNBytes(raw, 0, plane);
                if (n < plane) {
                    throw new InvalidDataException("data: " + file + " is truncated: image " + i + " of the " + total
                            + " its header announces is incomplete (" + n + " of " + plane + " bytes)");
                }
                if (expanded != raw) { // gray data for a colour model: the same plane in every channel
                    for (int c = 0; c < format.channels(); c++) {
                        System.arraycopy(raw, 0, expanded, c * plane, plane);
                    }
                }
                Images one = Images.of(expanded, 1, format.channels(), height, width);
                sink.accept(i, format.convert(one).toArray());
            }
            if (last == total - 1) {
                in.read(); // at the end: makes a gzip stream check its CRC trailer
            }
        } catch (ZipException | EOFException e) {
            throw new InvalidDataException("data: corrupt or truncated gzip data in " + file + " (" + e.getMessage()
                    + ")", e);
        }
    }
}
