package org.pixelcnn4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.pixelcnn4j.MalformedModelException;

/**
 * Reader and writer of the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * checkpoint format, restricted to 32-bit float tensors.
 *
 * <p>Layout of a file:
 *
 * <ol>
 *   <li>8 bytes: the header length {@code N}, an unsigned little-endian 64-bit integer;
 *   <li>{@code N} bytes: a UTF-8 JSON object {@code {"__metadata__": {"key": "value", ...}, "name":
 *       {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}}, padded with spaces;
 *   <li>the data section: the raw little-endian tensor values; offsets are relative to its start.
 * </ol>
 *
 * <p>The writer stores tensors back to back in the given order, pads the header to a multiple of 8
 * bytes and adds the metadata entry {@value #CHECKSUM_KEY}: the CRC32C of the data section as 8
 * lower-case hex digits. Files are replaced atomically. The reader validates the whole structure
 * and the checksum (when present) and reports every problem as a {@link MalformedModelException}
 * that names the file.
 */
public final class Safetensors {

    /** Metadata key of the CRC32C of the data section, 8 lower-case hex digits. */
    public static final String CHECKSUM_KEY = "checksum.data";

    /** Largest header accepted by the reader; larger values indicate a corrupt length prefix. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final String METADATA_KEY = "__metadata__";
    private static final String F32 = "F32";
    private static final int CHUNK_BYTES = 1 << 20;
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private Safetensors() {}

    /**
     * A named tensor of 32-bit floats in row-major order.
     *
     * <p>The shape is copied; the data array is not, so that loading or saving large weights does
     * not double the memory they use. Do not modify it while the tensor is being written.
     *
     * @param name the tensor name, not empty and not {@code "__metadata__"}
     * @param shape the dimensions, each zero or more; an empty shape is a scalar
     * @param data the values, {@code product(shape)} of them when written or read
     */
    public record Tensor(String name, long[] shape, float[] data) {

        /**
         * Creates a tensor; the data length is checked against the shape by {@link Safetensors#write}.
         *
         * @param name the tensor name, not empty and not {@code "__metadata__"}
         * @param shape the dimensions, each zero or more; copied
         * @param data the values in row-major order; not copied
         * @throws NullPointerException if an argument is null
         * @throws IllegalArgumentException if the name is empty or reserved, or a dimension is negative
         */
        public Tensor {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(shape, "shape");
            Objects.requireNonNull(data, "data");
            if (name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException(
                        "tensor: expected a non-empty name other than " + METADATA_KEY + ", got '" + name + "'");
            }
            shape = shape.clone();
            for (long dim : shape) {
                if (dim < 0) {
                    throw new IllegalArgumentException("tensor '" + name + "': expected dimensions >= 0, got shape "
                            + Arrays.toString(shape));
                }
            }
        }

        /**
         * Returns a copy of the dimensions.
         *
         * @return the shape
         */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /**
         * Returns the number of elements the shape describes, the product of its dimensions.
         *
         * @return the element count, 1 for a scalar
         * @throws ArithmeticException if the product does not fit in a long
         */
        public long elementCount() {
            long count = 1;
            for (long dim : shape) {
                count = Math.multiplyExact(count, dim);
            }
            return count;
        }

        /**
         * Returns true if {@code other} is a tensor with the same name, shape and values.
         *
         * @param other the object to compare with
         * @return whether both tensors are equal
         */
        @Override
        public boolean equals(Object other) {
            return other instanceof Tensor
                    && name.equals(((Tensor) other).name)
                    && Arrays.equals(shape, ((Tensor) other).shape)
                    && Arrays.equals(data, ((Tensor) other).data);
        }

        /**
         * Returns a hash code consistent with {@link #equals}.
         *
         * @return the hash code
         */
        @Override
        public int hashCode() {
            return Objects.hash(name, Arrays.hashCode(shape), Arrays.hashCode(data));
        }

        /**
         * Returns name and shape, e.g. {@code Tensor[conv1.weight, F32, [16, 1, 7, 7]]}.
         *
         * @return a short description without the values
         */
        @Override
        public String toString() {
            return "Tensor[" + name + ", " + F32 + ", " + Arrays.toString(shape) + "]";
        }
    }

    /** The validated contents of a safetensors file: metadata and tensors in file order. */
    public static final class Contents {
        private final Map<String, String> metadata;
        private final List<Tensor> tensors;
        private final Map<String, Tensor> byName;

        private Contents(Map<String, String> metadata, List<Tensor> tensors) {
            this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
            this.tensors = List.copyOf(tensors);
            Map<String, Tensor> index = new LinkedHashMap<>();
            for (Tensor tensor : tensors) {
                index.put(tensor.name(), tensor);
            }
            this.byName = Collections.unmodifiableMap(index);
        }

        /**
         * Returns the metadata in header order, including {@value #CHECKSUM_KEY} if present.
         *
         * @return an unmodifiable map, empty if the file has no metadata
         */
        public Map<String, String> metadata() {
            return metadata;
        }

        /**
         * Returns the tensors in the order of their data in the file.
         *
         * @return an unmodifiable list
         */
        public List<Tensor> tensors() {
            return tensors;
        }

        /**
         * Returns the tensor called {@code name}, if any.
         *
         * @param name the tensor name
         * @return the tensor, or empty if the file has none of that name
         */
        public Optional<Tensor> find(String name) {
            return Optional.ofNullable(byName.get(name));
        }

        /**
         * Returns the tensor called {@code name}.
         *
         * @param name the tensor name
         * @return the tensor
         * @throws NoSuchElementException if the file has no tensor of that name; the message lists the
         *     names it has
         */
        public Tensor tensor(String name) {
            Tensor tensor = byName.get(name);
            if (tensor == null) {
                throw new NoSuchElementException(
                        "safetensors: no tensor named '" + name + "'; expected one of " + byName.keySet());
            }
            return tensor;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Writing
    // ---------------------------------------------------------------------------------------------

    /**
     * Writes tensors and metadata to {@code file}, atomically replacing any existing file.
     *
     * <p>The data goes to a temporary file in the same directory, which is flushed to disk and then
     * renamed over {@code file}; if anything fails, the temporary file is deleted and a previous
     * {@code file} is left as it was. Metadata is written in key order; a {@value #CHECKSUM_KEY}
     * entry in {@code metadata} is replaced by the checksum of the data actually written.
     *
     * @param file the destination file
     * @param metadata string metadata, may be empty
     * @param tensors the tensors, written back to back in this order; names must be unique
     * @throws IOException if the file cannot be written or renamed
     * @throws NullPointerException if an argument, a tensor, or a metadata key or value is null
     * @throws IllegalArgumentException if a tensor's data length differs from the product of its shape,
     *     names repeat, or the file would be too large; checked before anything is written
     */
    public static void write(Path file, Map<String, String> metadata, List<Tensor> tensors) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(tensors, "tensors");
        List<Tensor> ordered = List.copyOf(tensors);
        long[] begins = new long[ordered.size()];
        long[] ends = new long[ordered.size()];
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (int i = 0; i < ordered.size(); i++) {
            Tensor tensor = ordered.get(i);
            if (!names.add(tensor.name())) {
                throw new IllegalArgumentException("safetensors: expected unique tensor names, got '"
                        + tensor.name() + "' twice");
            }
            long elements;
            try {
                elements = tensor.elementCount();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("safetensors: tensor '" + tensor.name() + "' has shape "
                        + Arrays.toString(tensor.shape) + " whose size overflows", e);
            }
            if (tensor.data().length != elements) {
                throw new IllegalArgumentException("safetensors: tensor '" + tensor.name() + "' has shape "
                        + Arrays.toString(tensor.shape) + ", expected " + elements + " values, got "
                        + tensor.data().length);
            }
            begins[i] = offset;
            offset += elements * Float.BYTES;
            ends[i] = offset;
        }
        Map<String, String> sortedMetadata = new TreeMap<>();
        for (Map.Entry<String, String> entry : metadata.entrySet()) {
            String key = Objects.requireNonNull(entry.getKey(), "metadata key");
            String value = Objects.requireNonNull(entry.getValue(), "metadata value for '" + key + "'");
            if (!key.equals(CHECKSUM_KEY)) {
                sortedMetadata.put(key, value);
            }
        }
        // The checksum is always 8 hex digits, so a placeholder gives the final header length and
        // the data can be written (and checksummed) in a single pass before the header.
        sortedMetadata.put(CHECKSUM_KEY, "00000000");
        byte[] placeholder = header(sortedMetadata, ordered, begins, ends);
        long dataStart = 8L + placeholder.length;

        AtomicFiles.write(file, out -> {
            String checksum = writeData(out, dataStart, ordered);
            sortedMetadata.put(CHECKSUM_KEY, checksum);
            byte[] header = header(sortedMetadata, ordered, begins, ends);
            if (header.length != placeholder.length) {
                throw new IllegalStateException("safetensors: header length changed from "
                        + placeholder.length + " to " + header.length + " bytes");
            }
            ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(header.length).put(header).flip();
            writeFully(out, prefix, 0);
        });
    }

    /** Writes all tensor values from {@code position} on and returns the CRC32C of those bytes. */
    private static String writeData(FileChannel out, long position, List<Tensor> tensors) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long filePosition = position;
        for (Tensor tensor : tensors) {
            float[] values = tensor.data();
            int done = 0;
            while (done < values.length) {
                int count = Math.min(values.length - done, CHUNK_BYTES / Float.BYTES);
                chunk.clear();
                chunk.asFloatBuffer().put(values, done, count);
                chunk.limit(count * Float.BYTES);
                crc.update(chunk.duplicate());
                filePosition += writeFully(out, chunk, filePosition);
                done += count;
            }
        }
        return String.format("%08x", crc.getValue());
    }

    private static int writeFully(FileChannel out, ByteBuffer buffer, long position) throws IOException {
        int written = 0;
        while (buffer.hasRemaining()) {
            written += out.write(buffer, position + written);
        }
        return written;
    }

    /** Builds the header JSON, padded with spaces to a multiple of 8 bytes. */
    private static byte[] header(Map<String, String> metadata, List<Tensor> tensors, long[] begins, long[] ends) {
        StringBuilder json = new StringBuilder(64 + 96 * tensors.size());
        json.append('{');
        HeaderJson.appendString(json, METADATA_KEY);
        json.append(":{");
        boolean first = true;
        for (Map.Entry<String, String> entry : metadata.entrySet()) {
            if (!first) {
                json.append(',');
            }
            first = false;
            HeaderJson.appendString(json, entry.getKey());
            json.append(':');
            HeaderJson.appendString(json, entry.getValue());
        }
        json.append('}');
        for (int i = 0; i < tensors.size(); i++) {
            Tensor tensor = tensors.get(i);
            json.append(',');
            HeaderJson.appendString(json, tensor.name());
            json.append(":{\"dtype\":\"").append(F32).append("\",\"shape\":[");
            long[] shape = tensor.shape;
            for (int d = 0; d < shape.length; d++) {
                if (d > 0) {
                    json.append(',');
                }
                json.append(shape[d]);
            }
            json.append("],\"data_offsets\":[").append(begins[i]).append(',').append(ends[i]).append("]}");
        }
        json.append('}');
        byte[] utf8 = json.toString().getBytes(StandardCharsets.UTF_8);
        // The writer keeps the reader's limit: a file it writes is one it reads back.
        if (utf8.length > MAX_HEADER_BYTES - 7) {
            throw new IllegalArgumentException("safetensors: the header (metadata and tensor table) would be "
                    + utf8.length + " bytes, above the reader's limit of " + MAX_HEADER_BYTES
                    + " bytes; store less metadata");
        }
        int padded = (utf8.length + 7) & ~7;
        byte[] result = Arrays.copyOf(utf8, padded);
        Arrays.fill(result, utf8.length, padded, (byte) ' ');
        return result;
    }


    // ---------------------------------------------------------------------------------------------
    // Reading
    // ---------------------------------------------------------------------------------------------

    /**
     * Reads and validates a safetensors file of F32 tensors.
     *
     * <p>Checks that the header length fits the file and {@value #MAX_HEADER_BYTES} bytes, the header
     * is valid UTF-8 JSON of the expected structure, every tensor is F32 with offsets that match its
     * shape, tensors cover the data section without gaps or overlaps, the data section has exactly
     * the length the header implies, and the {@value #CHECKSUM_KEY} metadata (if present) matches.
     *
     * @param file the file to read
     * @return the metadata and the tensors, in data order
     * @throws MalformedModelException if the file is truncated, corrupt or not a safetensors file of
     *     F32 tensors; the message names the file and the problem
     * @throws IOException if the file cannot be opened or read
     */
    public static Contents read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (Files.isDirectory(file)) {
            throw malformed(file, "is a directory, not a checkpoint file");
        }
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            if (size == 0) {
                throw malformed(file, "empty file, expected an 8-byte header length followed by a JSON header");
            }
            if (size < 8) {
                throw malformed(file, "truncated: file has " + size
                        + " bytes, expected at least the 8-byte header length");
            }
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(in, prefix, 0, file);
            long headerLength = prefix.flip().getLong();
            String headerLengthText = Long.toUnsignedString(headerLength);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw malformed(file, "header length " + headerLengthText + " exceeds the limit of "
                        + MAX_HEADER_BYTES + " bytes; the length prefix is corrupt or this is not a safetensors file");
            }
            if (headerLength > size - 8) {
                throw malformed(file, "truncated: header length says " + headerLengthText
                        + " bytes, file has only " + (size - 8) + " bytes after the 8-byte length");
            }
            if (headerLength < 2) {
                throw malformed(file, "header length " + headerLengthText + " is too small for a JSON object");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(in, headerBytes, 8, file);
            String headerText;
            try {
                headerText = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(headerBytes.flip())
                        .toString();
            } catch (CharacterCodingException e) {
                throw malformed(file, "header is not valid UTF-8 (" + e.getMessage() + ")", e);
            }
            Map<String, Object> header = new HeaderJson(headerText, file).parseHeader();

            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<String, Object> field : header.entrySet()) {
                if (field.getKey().equals(METADATA_KEY)) {
                    metadata = parseMetadata(field.getValue(), file);
                } else {
                    entries.add(parseEntry(field.getKey(), field.getValue(), file));
                }
            }
            // Stable sort: zero-size tensors keep header order among tensors at the same offset.
            entries.sort(Comparator.comparingLong(entry -> entry.begin));
            long expectedBegin = 0;
            String previous = null;
            for (Entry entry : entries) {
                if (entry.begin < expectedBegin) {
                    throw malformed(file, "tensor '" + entry.name + "' at data_offsets [" + entry.begin + ", "
                            + entry.end + "] overlaps tensor '" + previous + "' which ends at " + expectedBegin);
                }
                if (entry.begin > expectedBegin) {
                    throw malformed(file, "gap in data section: bytes [" + expectedBegin + ", " + entry.begin
                            + ") belong to no tensor; expected tensor '" + entry.name + "' to start at "
                            + expectedBegin);
                }
                expectedBegin = entry.end;
                previous = entry.name;
            }
            long dataLength = size - 8 - headerLength;
            if (expectedBegin > dataLength) {
                throw malformed(file, "truncated: header says " + expectedBegin + " data bytes, file has "
                        + dataLength);
            }
            if (expectedBegin < dataLength) {
                throw malformed(file, "trailing bytes: header says " + expectedBegin + " data bytes, file has "
                        + dataLength);
            }
            long dataStart = 8 + headerLength;
            List<Tensor> tensors = readData(in, dataStart, entries, metadata, file);
            return new Contents(metadata, tensors);
        }
    }

    /** One tensor entry of the header, validated but not yet read. */
    private static final class Entry {
        final String name;
        final long[] shape;
        final long begin;
        final long end;

        Entry(String name, long[] shape, long begin, long end) {
            this.name = name;
            this.shape = shape;
            this.begin = begin;
            this.end = end;
        }
    }

    private static Map<String, String> parseMetadata(Object value, Path file) throws MalformedModelException {
        if (!(value instanceof Map)) {
            throw malformed(file, METADATA_KEY + " must be an object of strings, got " + HeaderJson.kind(value));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
            if (!(entry.getValue() instanceof String)) {
                throw malformed(file, METADATA_KEY + " value of '" + entry.getKey() + "' must be a string, got "
                        + HeaderJson.kind(entry.getValue()));
            }
            metadata.put((String) entry.getKey(), (String) entry.getValue());
        }
        return metadata;
    }

    private static Entry parseEntry(String name, Object value, Path file) throws MalformedModelException {
        if (name.isEmpty()) {
            throw malformed(file, "a tensor has an empty name (\"\"); every tensor needs one");
        }
        String where = "tensor '" + name + "'";
        if (!(value instanceof Map)) {
            throw malformed(file, where + " must be an object with dtype, shape and data_offsets, got "
                    + HeaderJson.kind(value));
        }
        Map<?, ?> fields = (Map<?, ?>) value;
        for (Object key : fields.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw malformed(file, where + " has unexpected field '" + key
                        + "', expected only dtype, shape and data_offsets");
            }
        }
        Object dtype = fields.get("dtype");
        if (!(dtype instanceof String)) {
            throw malformed(file, where + ": dtype must be a string, got " + HeaderJson.kind(dtype));
        }
        if (!dtype.equals(F32)) {
            throw malformed(file, where + " has unsupported dtype " + dtype + ", expected " + F32);
        }
        Object shapeValue = fields.get("shape");
        if (!(shapeValue instanceof long[])) {
            throw malformed(file, where + ": shape must be an array of integers, got " + HeaderJson.kind(shapeValue));
        }
        long[] shape = (long[]) shapeValue;
        long elements = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw malformed(file, where + ": shape " + Arrays.toString(shape) + " has a negative dimension");
            }
            elements = multiplyOrMax(elements, dim);
        }
        if (elements > MAX_ARRAY) {
            throw malformed(file, where + ": shape " + Arrays.toString(shape)
                    + " has more elements than a Java array holds");
        }
        Object offsetsValue = fields.get("data_offsets");
        if (!(offsetsValue instanceof long[]) || ((long[]) offsetsValue).length != 2) {
            throw malformed(file, where + ": data_offsets must be an array of 2 integers [begin, end], got "
                    + (offsetsValue instanceof long[] ? Arrays.toString((long[]) offsetsValue)
                            : HeaderJson.kind(offsetsValue)));
        }
        long begin = ((long[]) offsetsValue)[0];
        long end = ((long[]) offsetsValue)[1];
        if (begin < 0 || end < begin) {
            throw malformed(file, where + ": data_offsets [" + begin + ", " + end
                    + "] must satisfy 0 <= begin <= end");
        }
        long expectedBytes = elements * Float.BYTES;
        if (end - begin != expectedBytes) {
            throw malformed(file, where + ": data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes, expected " + expectedBytes + " for shape " + Arrays.toString(shape) + " of " + F32);
        }
        return new Entry(name, shape, begin, end);
    }

    private static long multiplyOrMax(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Reads the contiguous data section once, decoding floats and checksumming in the same pass. */
    private static List<Tensor> readData(FileChannel in, long dataStart, List<Entry> entries,
            Map<String, String> metadata, Path file) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        List<Tensor> tensors = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            float[] values = new float[(int) ((entry.end - entry.begin) / Float.BYTES)];
            int done = 0;
            long position = dataStart + entry.begin;
            while (done < values.length) {
                int count = Math.min(values.length - done, CHUNK_BYTES / Float.BYTES);
                chunk.clear().limit(count * Float.BYTES);
                readFully(in, chunk, position, file);
                chunk.flip();
                crc.update(chunk.duplicate());
                chunk.asFloatBuffer().get(values, done, count);
                position += (long) count * Float.BYTES;
                done += count;
            }
            tensors.add(new Tensor(entry.name, entry.shape, values));
        }
        String expected = metadata.get(CHECKSUM_KEY);
        if (expected != null) {
            String actual = String.format("%08x", crc.getValue());
            if (!expected.equalsIgnoreCase(actual)) {
                throw malformed(file, "checksum mismatch: metadata " + CHECKSUM_KEY + " says CRC32C " + expected
                        + ", data section has " + actual + "; the data is corrupt");
            }
        }
        return tensors;
    }

    private static void readFully(FileChannel in, ByteBuffer buffer, long position, Path file) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = in.read(buffer, at);
            if (n < 0) {
                throw malformed(file, "truncated while reading: file ended at byte " + at + ", expected "
                        + buffer.remaining() + " more bytes (was the file modified during reading?)");
            }
            at += n;
        }
    }

    static MalformedModelException malformed(Path file, String problem) {
        return malformed(file, problem, null);
    }

    private static MalformedModelException malformed(Path file, String problem, Throwable cause) {
        return new MalformedModelException("safetensors: " + problem + " in " + file, cause);
    }
}
