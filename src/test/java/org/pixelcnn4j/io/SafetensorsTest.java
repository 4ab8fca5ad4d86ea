package org.pixelcnn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.MalformedModelException;
import org.pixelcnn4j.io.Safetensors.Contents;
import org.pixelcnn4j.io.Safetensors.Tensor;

class SafetensorsTest {

    @TempDir
    Path dir;

    private static Tensor tensor(String name, float[] data, long... shape) {
        return new Tensor(name, shape, data);
    }

    private static List<Tensor> sampleTensors() {
        return List.of(
                tensor("conv.weight", new float[] {1f, -2f, 3.5f, Float.NaN, Float.POSITIVE_INFINITY, -0f}, 2, 1, 3),
                tensor("conv.bias", new float[] {0.25f, Float.MIN_VALUE}, 2),
                tensor("scalar", new float[] {42f}),
                tensor("empty", new float[0], 0, 3));
    }

    /** Builds a file by hand from the spec: u64 little-endian header length, header, data. */
    private static byte[] rawFile(String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).put(data).array();
    }

    private static byte[] littleEndianFloats(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            buffer.putFloat(value);
        }
        return buffer.array();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static MalformedModelException assertMalformed(Path file, String... parts) {
        MalformedModelException e = assertThrows(MalformedModelException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().contains(file.toString()), "file name missing in: " + e.getMessage());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
        }
        return e;
    }

    private List<Path> listDirectory() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().collect(Collectors.toList());
        }
    }

    @Test
    void roundTripsTensorsAndMetadata() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pixelcnn4j");
        metadata.put("note", "quotes \" backslash \\ newline \n tab \t bell \u0007 é 日本 \uD83D\uDE00 lone \uD800");
        metadata.put("", "empty key");
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, metadata, sampleTensors());

        Contents contents = Safetensors.read(file);
        assertEquals(sampleTensors(), contents.tensors());
        for (String key : metadata.keySet()) {
            assertEquals(metadata.get(key), contents.metadata().get(key), "metadata " + key);
        }
        assertTrue(contents.metadata().get(Safetensors.CHECKSUM_KEY).matches("[0-9a-f]{8}"));
        assertEquals(metadata.size() + 1, contents.metadata().size());
        assertArrayEquals(new long[] {2, 1, 3}, contents.tensor("conv.weight").shape());
        assertArrayEquals(new long[0], contents.tensor("scalar").shape());
        assertTrue(contents.find("missing").isEmpty());
        NoSuchElementException missing =
                assertThrows(NoSuchElementException.class, () -> contents.tensor("missing"));
        assertTrue(missing.getMessage().contains("conv.bias"), missing.getMessage());
        assertEquals(List.of(file), listDirectory(), "no temporary files are left behind");
    }

    @Test
    void roundTripsTensorsLargerThanOneChunk() throws IOException {
        float[] big = new float[300_001];
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 0.5f - 7f;
        }
        Path file = dir.resolve("big.safetensors");
        Safetensors.write(file, Map.of(), List.of(tensor("a", new float[] {1f}, 1), tensor("big", big, big.length)));
        Contents contents = Safetensors.read(file);
        assertArrayEquals(big, contents.tensor("big").data());
        assertArrayEquals(new float[] {1f}, contents.tensor("a").data());
    }

    @Test
    void writtenBytesFollowTheSpec() throws IOException {
        Path file = dir.resolve("spec.safetensors");
        Safetensors.write(file, Map.of("a", "b"), List.of(
                tensor("w", new float[] {1.0f, -2.0f}, 2),
                tensor("v", new float[] {0.5f}, 1, 1)));
        byte[] bytes = Files.readAllBytes(file);

        // 8-byte little-endian header length, a multiple of 8.
        long headerLength = 0;
        for (int i = 7; i >= 0; i--) {
            headerLength = (headerLength << 8) | (bytes[i] & 0xFF);
        }
        assertEquals(0, headerLength % 8, "header length " + headerLength);
        assertEquals(8 + headerLength + 12, bytes.length);

        // Header: JSON padded with spaces, nothing else.
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        String json = header.stripTrailing();
        assertTrue(header.substring(json.length()).chars().allMatch(c -> c == ' '));
        assertTrue(json.startsWith("{") && json.endsWith("}"), json);
        String compact = json.replaceAll("\\s", "");
        assertTrue(compact.contains("\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"), json);
        assertTrue(compact.contains("\"v\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,12]}"), json);
        assertTrue(compact.contains("\"__metadata__\":{"), json);
        assertTrue(compact.contains("\"a\":\"b\""), json);

        // Data: little-endian floats back to back in the order written.
        byte[] data = Arrays.copyOfRange(bytes, 8 + (int) headerLength, bytes.length);
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, (byte) 0xc0, 0, 0, 0, 0x3f}, data);

        // Checksum: CRC32C of exactly the data section, as 8 lower-case hex digits.
        CRC32C crc = new CRC32C();
        crc.update(data);
        String expected = String.format("%08x", crc.getValue());
        assertTrue(compact.contains("\"checksum.data\":\"" + expected + "\""), json + " expected " + expected);
    }

    @Test
    void headerIsPaddedToMultipleOfEightForEveryLength() throws IOException {
        for (int extra = 0; extra < 16; extra++) {
            Path file = dir.resolve("pad" + extra + ".safetensors");
            Safetensors.write(file, Map.of("k", "x".repeat(extra)), List.of(tensor("t", new float[] {1f}, 1)));
            ByteBuffer prefix = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0, prefix.getLong() % 8, "extra=" + extra);
            assertEquals("x".repeat(extra), Safetensors.read(file).metadata().get("k"));
        }
    }

    @Test
    void readsHandWrittenFileWithoutMetadataInDataOrder() throws IOException {
        // Header lists tensors in the opposite order of their data, uses whitespace and escapes, no padding.
        String header = "{ \"second\" : { \"shape\" : [ 1 ] , \"data_offsets\" : [ 8 , 12 ], \"dtype\" : \"F32\" },\n"
                + "  \"first\\u00e9\\ud83d\\ude00\\/\" : {\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]} }";
        Path file = write("hand.safetensors", rawFile(header, littleEndianFloats(1f, 2f, 3f)));
        Contents contents = Safetensors.read(file);
        assertEquals(Map.of(), contents.metadata());
        assertEquals(List.of("first\u00e9\uD83D\uDE00/", "second"),
                contents.tensors().stream().map(Tensor::name).collect(Collectors.toList()));
        assertArrayEquals(new float[] {1f, 2f}, contents.tensors().get(0).data());
        assertArrayEquals(new float[] {3f}, contents.tensor("second").data());
    }

    @Test
    void detectsTruncationAtEveryLength() throws IOException {
        Path original = dir.resolve("full.safetensors");
        Safetensors.write(original, Map.of("a", "b"), sampleTensors());
        byte[] bytes = Files.readAllBytes(original);
        for (int length = 0; length < bytes.length; length++) {
            Path cut = write("cut.safetensors", Arrays.copyOf(bytes, length));
            assertThrows(MalformedModelException.class, () -> Safetensors.read(cut), "length " + length);
        }
        assertMalformed(write("empty.safetensors", new byte[0]), "empty file");
        assertMalformed(write("five.safetensors", Arrays.copyOf(bytes, 5)), "truncated", "5 bytes");
        assertMalformed(write("last.safetensors", Arrays.copyOf(bytes, bytes.length - 4)),
                "truncated: header says 36 data bytes, file has 32");
    }

    @Test
    void detectsTrailingBytes() throws IOException {
        Path file = dir.resolve("t.safetensors");
        Safetensors.write(file, Map.of(), sampleTensors());
        byte[] bytes = Files.readAllBytes(file);
        assertMalformed(write("long.safetensors", Arrays.copyOf(bytes, bytes.length + 4)),
                "trailing bytes", "header says 36 data bytes, file has 40");
    }

    @Test
    void flippedDataByteFailsChecksum() throws IOException {
        Path file = dir.resolve("c.safetensors");
        Safetensors.write(file, Map.of(), sampleTensors());
        byte[] bytes = Files.readAllBytes(file);
        for (int fromEnd = 1; fromEnd <= 36; fromEnd += 7) {
            byte[] corrupt = bytes.clone();
            corrupt[corrupt.length - fromEnd] ^= 0x10;
            assertMalformed(write("corrupt.safetensors", corrupt), "checksum mismatch");
        }
    }

    @Test
    void flippedHeaderBytesAreDetected() throws IOException {
        Path file = dir.resolve("h.safetensors");
        Safetensors.write(file, Map.of("a", "b"), sampleTensors());
        byte[] bytes = Files.readAllBytes(file);
        String header = new String(bytes, StandardCharsets.ISO_8859_1);
        String checksum = Safetensors.read(file).metadata().get(Safetensors.CHECKSUM_KEY);
        String[][] cases = {
            {"{", "|", "malformed header JSON at character 0"},
            {"F32", "F31", "unsupported dtype F31"},
            {"[0,24]", "[0,25]", "data_offsets [0, 25]"},
            {"\"shape\":[2,1,3]", "\"shape\":[2,1,4]", "expected 32 for shape [2, 1, 4]"},
            {"\"dtype\"", "\"dtypf\"", "unexpected field 'dtypf'"},
            {checksum, checksum.substring(0, 7) + (checksum.charAt(7) == '0' ? '1' : '0'), "checksum mismatch"},
            {"}", "]", "malformed header JSON"},
        };
        for (String[] c : cases) {
            int at = header.indexOf(c[0]);
            assertTrue(at > 0 || c[0].equals("{"), c[0]);
            byte[] corrupt = bytes.clone();
            byte[] replacement = c[1].getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(replacement, 0, corrupt, at, replacement.length);
            assertMalformed(write("flip.safetensors", corrupt), c[2]);
        }
    }

    @Test
    void headerLengthBeyondFileOrLimitIsRejected() throws IOException {
        Path file = dir.resolve("l.safetensors");
        Safetensors.write(file, Map.of(), sampleTensors());
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer corrupt = ByteBuffer.wrap(bytes.clone()).order(ByteOrder.LITTLE_ENDIAN);
        corrupt.putLong(0, bytes.length - 7);
        assertMalformed(write("beyond.safetensors", corrupt.array()),
                "truncated: header length says " + (bytes.length - 7), "file has only " + (bytes.length - 8));
        corrupt.putLong(0, 200L * 1024 * 1024);
        assertMalformed(write("huge.safetensors", corrupt.array()), "header length 209715200 exceeds the limit");
        corrupt.putLong(0, -1L);
        assertMalformed(write("u64.safetensors", corrupt.array()), "header length 18446744073709551615");
        corrupt.putLong(0, 1);
        assertMalformed(write("small.safetensors", corrupt.array()), "too small");
    }

    @Test
    void malformedJsonNamesThePosition() throws IOException {
        String[][] cases = {
            {"{\"a\" 1}", "character 5", "expected ':'"},
            {"{\"a\":{},}", "character 8", "expected a string key"},
            {"{\"a\":1.5}", "character 5", "floating-point"},
            {"{\"a\":true}", "character 5", "unsupported JSON value"},
            {"{\"a\":\"x}", "unterminated string"},
            {"{\"a\":\"\\q\"}", "invalid escape"},
            {"{\"a\":\"\\u12G4\"}", "\\u escape"},
            {"{\"a\":{},\"a\":{}}", "duplicate key 'a'", "character 8"},
            {"{\"a\":[01]}", "leading zeros"},
            {"{\"a\":\"\t\"}", "control character"},
            {"{\"a\":[1 2]}", "expected ',' or ']'"},
            {"{} x", "character 3", "only space padding"},
            {"[1, 2]", "character 0", "JSON object"},
            {"{\"a\":{\"shape\":[99999999999999999999]}}", "64 bits"},
            {"{\"a\":" + "{\"b\":".repeat(20) + "{}" + "}".repeat(21), "nested deeper"},
            {"{\"a\":{", "end of header"},
        };
        for (String[] c : cases) {
            Path file = write("json.safetensors", rawFile(c[0], new byte[0]));
            MalformedModelException e = assertMalformed(file, Arrays.copyOfRange(c, 1, c.length));
            assertTrue(e.getMessage().contains("malformed header JSON at character"), e.getMessage());
        }
        byte[] invalidUtf8 = rawFile("{\"a\":\"xx\"}", new byte[0]);
        invalidUtf8[8 + 6] = (byte) 0xC3; // a lead byte followed by an ASCII byte
        assertMalformed(write("utf8.safetensors", invalidUtf8), "not valid UTF-8");
    }

    @Test
    void rejectsStructuralProblems() throws IOException {
        byte[] eightBytes = littleEndianFloats(1f, 2f);
        assertMalformed(write("f16.safetensors", rawFile(
                "{\"t\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", eightBytes)),
                "unsupported dtype F16", "expected F32");
        assertMalformed(write("overlap.safetensors", rawFile(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eightBytes)),
                "overlaps tensor 'a'");
        assertMalformed(write("gap.safetensors", rawFile(
                "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eightBytes)),
                "gap in data section", "bytes [0, 4)");
        assertMalformed(write("outside.safetensors", rawFile(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", eightBytes)),
                "truncated: header says 16 data bytes, file has 8");
        assertMalformed(write("negative.safetensors", rawFile(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eightBytes)),
                "negative dimension");
        assertMalformed(write("reversed.safetensors", rawFile(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", eightBytes)),
                "0 <= begin <= end");
        assertMalformed(write("missing.safetensors", rawFile(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", eightBytes)),
                "data_offsets must be an array of 2 integers");
        assertMalformed(write("meta.safetensors", rawFile(
                "{\"__metadata__\":{\"k\":5}}", new byte[0])),
                "__metadata__ value of 'k' must be a string");
        assertMalformed(write("notobject.safetensors", rawFile("{\"a\":\"F32\"}", new byte[0])),
                "tensor 'a' must be an object");
        assertMalformed(write("huge-shape.safetensors", rawFile(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", eightBytes)),
                "more elements than a Java array holds");
        // Found by fuzzing (seed empty-tensor-name.safetensors): an empty name was an IllegalArgumentException.
        assertMalformed(write("empty-name.safetensors", rawFile(
                "{\"\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", eightBytes)),
                "empty name");
    }

    @Test
    void failedWriteLeavesPreviousFileIntact() throws IOException {
        Path file = dir.resolve("keep.safetensors");
        Safetensors.write(file, Map.of("version", "1"), sampleTensors());
        byte[] before = Files.readAllBytes(file);

        List<Tensor> mismatched = List.of(tensor("bad", new float[] {1f, 2f, 3f}, 2, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(file, Map.of("version", "2"), mismatched));
        assertTrue(e.getMessage().contains("expected 4 values, got 3"), e.getMessage());

        List<Tensor> duplicates = List.of(tensor("x", new float[] {1f}, 1), tensor("x", new float[] {2f}, 1));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(file, Map.of(), duplicates));

        // Renaming onto a non-empty directory fails after the temporary file is complete.
        Path blocker = Files.createDirectory(dir.resolve("blocker.safetensors"));
        Files.writeString(blocker.resolve("inside"), "x");
        assertThrows(IOException.class, () -> Safetensors.write(blocker, Map.of(), sampleTensors()));

        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of(blocker, file), listDirectory(), "temporary files must be deleted");
        assertEquals("1", Safetensors.read(file).metadata().get("version"));
    }

    @Test
    void writeReplacesCallerChecksumAndOverwritesExistingFile() throws IOException {
        Path file = dir.resolve("over.safetensors");
        Files.writeString(file, "not a checkpoint");
        Safetensors.write(file, Map.of(Safetensors.CHECKSUM_KEY, "deadbeef"), sampleTensors());
        Contents contents = Safetensors.read(file);
        assertNotEquals("deadbeef", contents.metadata().get(Safetensors.CHECKSUM_KEY));
        // Copying a checkpoint's metadata into a new file keeps it readable.
        List<Tensor> tensors = new ArrayList<>(contents.tensors());
        tensors.set(0, tensor("conv.weight", new float[6], 2, 1, 3));
        Safetensors.write(file, contents.metadata(), tensors);
        assertArrayEquals(new float[6], Safetensors.read(file).tensor("conv.weight").data());
    }

    @Test
    void tensorValidatesAndCopiesShape() {
        long[] shape = {2, 3};
        Tensor t = new Tensor("t", shape, new float[6]);
        shape[0] = 99;
        assertArrayEquals(new long[] {2, 3}, t.shape());
        t.shape()[1] = 77;
        assertArrayEquals(new long[] {2, 3}, t.shape());
        assertEquals(6, t.elementCount());
        assertEquals(new Tensor("t", new long[] {2, 3}, new float[6]), t);
        assertEquals("Tensor[t, F32, [2, 3]]", t.toString());
        assertThrows(IllegalArgumentException.class, () -> new Tensor("", new long[0], new float[1]));
        assertThrows(IllegalArgumentException.class, () -> new Tensor("__metadata__", new long[0], new float[1]));
        assertThrows(IllegalArgumentException.class, () -> new Tensor("n", new long[] {-1}, new float[0]));
        assertThrows(NullPointerException.class, () -> new Tensor("n", null, new float[0]));
    }
}
