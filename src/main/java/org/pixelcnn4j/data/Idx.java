package org.pixelcnn4j.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.InvalidDataException;

/**
 * Reader of the IDX format used by MNIST and Fashion-MNIST, plain or gzip-compressed.
 *
 * <p>An IDX file starts with a big-endian magic number {@code 0x0000TTRR} (TT = data type, RR =
 * number of dimensions), followed by one big-endian 32-bit size per dimension and the raw data.
 * Only unsigned bytes (TT = {@code 0x08}) are supported: images are {@code 0x00000803} (N x H x W)
 * and labels {@code 0x00000801} (N). Compression is detected from the gzip magic bytes {@code 1f 8b}
 * rather than from the file name, so renamed files still work.
 *
 * <p>Format problems are reported as {@link InvalidDataException}; missing or unreadable files as
 * the usual {@link IOException} subclasses such as {@link java.nio.file.NoSuchFileException}.
 */
public final class Idx {

    /** Magic number of an IDX file of unsigned-byte images, N x H x W. */
    public static final int IMAGES_MAGIC = 0x00000803;

    /** Magic number of an IDX file of unsigned-byte labels, N. */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int UNSIGNED_BYTE = 0x08;

    /** Initial buffer for gzip data; the claimed size is not trusted until the bytes arrive. */
    private static final int INITIAL_GZIP_BUFFER = 1 << 20;

    private Idx() {}

    /**
     * Reads all images of an IDX image file as a batch with one channel.
     *
     * @param file the IDX file, plain or gzip-compressed
     * @return the images, N x 1 x H x W with values {@code 0..255}
     * @throws IOException if the file cannot be opened or read
     * @throws InvalidDataException if the file is not a valid IDX image file (bad magic, data type or
     *     rank, truncated, corrupt gzip, too large)
     */
    public static Images readImages(Path file) throws IOException {
        return readImages(file, Integer.MAX_VALUE);
    }

    /**
     * Reads the first {@code limit} images of an IDX image file; bytes after them are not read.
     *
     * @param file the IDX file, plain or gzip-compressed
     * @param limit the maximum number of images to read, zero or more
     * @return the first {@code min(limit, N)} images, each 1 x H x W with values {@code 0..255}
     * @throws IOException if the file cannot be opened or read
     * @throws InvalidDataException if the file is not a valid IDX image file or holds fewer bytes
     *     than needed for the requested images
     * @throws IllegalArgumentException if {@code limit} is negative
     */
    public static Images readImages(Path file, int limit) throws IOException {
        Objects.requireNonNull(file, "file");
        checkLimit(limit);
        try (Source source = Source.open(file)) {
            int[] dims = source.readHeader(IMAGES_MAGIC, "images");
            int total = dims[0];
            int height = dims[1];
            int width = dims[2];
            if (height < 1 || width < 1) {
                throw source.invalid("expected images of at least 1x1 pixels, header says " + height + "x"
                        + width, null);
            }
            if (height > Images.MAX_SIDE || width > Images.MAX_SIDE) {
                throw source.invalid("header says images of " + height + "x" + width + "; a model takes at most "
                        + Images.MAX_SIDE + "x" + Images.MAX_SIDE, null);
            }
            int count = Math.min(total, limit);
            long needed = (long) count * height * width;
            if (needed > Integer.MAX_VALUE - 8) {
                throw source.invalid("header says " + total + " images of " + height + "x" + width
                        + "; reading " + count + " of them needs " + needed
                        + " bytes, more than a Java array holds (use a limit)", null);
            }
            String what = count + (count == total ? "" : " of " + total) + " images of " + height + "x" + width;
            byte[] pixels = source.readData(needed, what, count == total);
            return Images.adopt(pixels, count, 1, height, width);
        }
    }

    /**
     * Reads all labels of an IDX label file.
     *
     * @param file the IDX file, plain or gzip-compressed
     * @return one unsigned byte per label
     * @throws IOException if the file cannot be opened or read
     * @throws InvalidDataException if the file is not a valid IDX label file (bad magic, data type or
     *     rank, truncated, corrupt gzip)
     */
    public static byte[] readLabels(Path file) throws IOException {
        return readLabels(file, Integer.MAX_VALUE);
    }

    /**
     * Reads the first {@code limit} labels of an IDX label file; bytes after them are not read.
     *
     * @param file the IDX file, plain or gzip-compressed
     * @param limit the maximum number of labels to read, zero or more
     * @return the first {@code min(limit, N)} labels, one unsigned byte each
     * @throws IOException if the file cannot be opened or read
     * @throws InvalidDataException if the file is not a valid IDX label file or holds fewer labels
     *     than needed
     * @throws IllegalArgumentException if {@code limit} is negative
     */
    public static byte[] readLabels(Path file, int limit) throws IOException {
        Objects.requireNonNull(file, "file");
        checkLimit(limit);
        try (Source source = Source.open(file)) {
            int total = source.readHeader(LABELS_MAGIC, "labels")[0];
            int count = Math.min(total, limit);
            String what = count + (count == total ? "" : " of " + total) + " labels";
            return source.readData(count, what, count == total);
        }
    }

    private static void checkLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("idx: expected limit >= 0, got " + limit);
        }
    }

    private static String typeName(int type) {
        switch (type) {
            case 0x08: return "unsigned byte";
            case 0x09: return "signed byte";
            case 0x0B: return "short";
            case 0x0C: return "int";
            case 0x0D: return "float";
            case 0x0E: return "double";
            default: return "unknown";
        }
    }

    /**
     * Opens an IDX file for reading from its first byte, decompressing it when it is gzip (told by
     * its first two bytes, not its name). The stream is a {@link GZIPInputStream} exactly when
     * the file is compressed.
     *
     * @param file the IDX file, plain or gzip
     * @return a buffered stream of the uncompressed bytes; the caller closes it
     * @throws InvalidDataException if the gzip header is corrupt
     * @throws IOException if the file cannot be read
     */
    public static InputStream openStream(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                try {
                    return new GZIPInputStream(raw, 1 << 16);
                } catch (ZipException | EOFException e) {
                    throw new InvalidDataException("idx: corrupt gzip header (" + e.getMessage() + ") in " + file, e);
                }
            }
            return raw;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** An open IDX stream that knows whether it is compressed, for precise error messages. */
    private static final class Source implements AutoCloseable {
        private final Path file;
        private final InputStream in;
        private final boolean gzip;
        /** Bytes not yet consumed in a plain file, known up front; -1 for gzip. */
        private long plainRemaining;

        private Source(Path file, InputStream in, boolean gzip, long plainSize) {
            this.file = file;
            this.in = in;
            this.gzip = gzip;
            this.plainRemaining = plainSize;
        }

        static Source open(Path file) throws IOException {
            long size = Files.size(file);
            InputStream in = openStream(file);
            boolean gzip = in instanceof GZIPInputStream;
            return new Source(file, in, gzip, gzip ? -1 : size);
        }

        /** Reads and checks magic and dimensions; returns the dimensions. */
        int[] readHeader(int expectedMagic, String kind) throws IOException {
            int expectedRank = expectedMagic & 0xFF;
            byte[] magicBytes = read(4);
            if (magicBytes.length == 0) {
                throw invalid("empty " + (gzip ? "decompressed data" : "file") + ", expected an IDX " + kind
                        + " file starting with magic " + hex(expectedMagic), null);
            }
            if (magicBytes.length < 4) {
                throw invalid("truncated: expected a 4-byte IDX magic number, "
                        + (gzip ? "decompressed data has " : "file has ") + magicBytes.length + " bytes", null);
            }
            int magic = bigEndianInt(magicBytes, 0);
            int type = (magic >>> 8) & 0xFF;
            int rank = magic & 0xFF;
            if ((magic >>> 16) != 0) {
                throw invalid("not an IDX file: magic " + hex(magic) + ", expected " + hex(expectedMagic)
                        + " (" + kind + ")", null);
            }
            if (type != UNSIGNED_BYTE) {
                throw invalid("unsupported IDX data type 0x" + String.format("%02x", type) + " ("
                        + typeName(type) + ", magic " + hex(magic) + "), expected 0x08 (unsigned byte)", null);
            }
            if (rank != expectedRank) {
                throw invalid("expected an IDX " + kind + " file with " + expectedRank + " dimension"
                        + (expectedRank == 1 ? "" : "s") + " (magic " + hex(expectedMagic) + "), got " + rank
                        + " (magic " + hex(magic) + ")", null);
            }
            byte[] dimBytes = read(4 * rank);
            if (dimBytes.length < 4 * rank) {
                throw invalid("truncated header: expected " + (4 * rank) + " bytes of dimension sizes, found "
                        + dimBytes.length, null);
            }
            int[] dims = new int[rank];
            for (int i = 0; i < rank; i++) {
                dims[i] = bigEndianInt(dimBytes, 4 * i);
                if (dims[i] < 0) {
                    throw invalid("dimension " + i + " is " + Integer.toUnsignedString(dims[i])
                            + ", expected less than 2^31", null);
                }
            }
            return dims;
        }

        /**
         * Reads exactly {@code needed} data bytes. If {@code wholeFile}, a gzip stream is read one
         * byte further so that its CRC trailer gets verified.
         */
        byte[] readData(long needed, String what, boolean wholeFile) throws IOException {
            if (!gzip && plainRemaining < needed) {
                // The size of a plain file is known, so fail before allocating or reading anything.
                throw invalid(truncatedMessage(needed, plainRemaining, what), null);
            }
            byte[] data = read((int) needed);
            if (data.length < needed) {
                throw invalid(truncatedMessage(needed, data.length, what), null);
            }
            if (gzip && wholeFile) {
                guard(() -> in.read());
            }
            return data;
        }

        private String truncatedMessage(long needed, long available, String what) {
            return "truncated: expected " + needed + " data bytes for " + what + " after the header, "
                    + (gzip ? "decompressed data has " : "file has ") + available;
        }

        /** Reads up to {@code length} bytes, fewer only at end of stream. */
        private byte[] read(int length) throws IOException {
            // Grow the buffer as data arrives so that a bogus size in a gzip header cannot trigger
            // a huge allocation; plain files were already checked against their real size.
            byte[] buffer = new byte[gzip ? Math.min(length, INITIAL_GZIP_BUFFER) : length];
            int filled = 0;
            while (filled < length) {
                if (filled == buffer.length) {
                    buffer = Arrays.copyOf(buffer, (int) Math.min(length, 2L * buffer.length));
                }
                int offset = filled;
                int chunk = buffer.length - filled;
                byte[] target = buffer;
                int n = guard(() -> in.read(target, offset, chunk));
                if (n < 0) {
                    break;
                }
                filled += n;
            }
            if (!gzip) {
                plainRemaining -= filled;
            }
            return filled == buffer.length ? buffer : Arrays.copyOf(buffer, filled);
        }

        /** Translates gzip decoding failures into format errors that name the file. */
        private int guard(IoIntSupplier action) throws IOException {
            try {
                return action.get();
            } catch (ZipException e) {
                throw invalid("corrupt gzip data (" + e.getMessage() + ")", e);
            } catch (EOFException e) {
                if (!gzip) {
                    throw e;
                }
                throw invalid("truncated gzip stream (" + e.getMessage() + ")", e);
            }
        }

        InvalidDataException invalid(String problem, Throwable cause) {
            return new InvalidDataException("idx: " + problem + " in " + file, cause);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    @FunctionalInterface
    private interface IoIntSupplier {
        int get() throws IOException;
    }

    private static int bigEndianInt(byte[] bytes, int offset) {
        return ((bytes[offset] & 0xFF) << 24) | ((bytes[offset + 1] & 0xFF) << 16)
                | ((bytes[offset + 2] & 0xFF) << 8) | (bytes[offset + 3] & 0xFF);
    }

    private static String hex(int value) {
        return String.format("0x%08x", value);
    }
}
