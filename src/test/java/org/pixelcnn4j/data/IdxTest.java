package org.pixelcnn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.InvalidDataException;

class IdxTest {

    private static final int COUNT = 5;
    private static final int HEIGHT = 3;
    private static final int WIDTH = 4;

    @TempDir
    Path dir;

    /** Builds an IDX file by hand: big-endian magic, big-endian dimensions, raw data. */
    private static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer buffer = ByteBuffer.allocate(4 + 4 * dims.length + data.length); // big-endian by default
        buffer.putInt(magic);
        for (int dim : dims) {
            buffer.putInt(dim);
        }
        buffer.put(data);
        return buffer.array();
    }

    private static byte[] pixels(int count) {
        byte[] data = new byte[count * HEIGHT * WIDTH];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 + 200);
        }
        return data;
    }

    private static byte[] imageFile() {
        return idx(0x00000803, new int[] {COUNT, HEIGHT, WIDTH}, pixels(COUNT));
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private Path file(String name, byte[] contents) throws IOException {
        return Files.write(dir.resolve(name), contents);
    }

    private static void assertMessageContains(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
        }
    }

    /** Found by IdxFuzzTarget: zero images of 8075 x 134217728 ended in an IllegalArgumentException. */
    @Test
    void imagesLargerThanAModelTakesAreRefusedFromTheHeader() throws IOException {
        Path file = file("huge.idx", idx(0x00000803, new int[] {0, 8075, 134217728}, new byte[0]));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Idx.readImages(file));
        assertMessageContains(e, "huge.idx", "8075x134217728", "at most 4096x4096");
        assertThrows(InvalidDataException.class, () -> ImageSource.open(file));
    }

    @Test
    void readsPlainImageFile() throws IOException {
        Images images = Idx.readImages(file("images.idx", imageFile()));
        assertEquals(COUNT, images.count());
        assertEquals(1, images.channels());
        assertEquals(HEIGHT, images.height());
        assertEquals(WIDTH, images.width());
        assertArrayEquals(pixels(COUNT), images.toArray());
        assertEquals((2 * 12 + 1 * 4 + 3) * 7 + 200 & 0xFF, images.get(2, 0, 1, 3));
    }

    @Test
    void detectsGzipByMagicBytesNotByName() throws IOException {
        Images fromGzip = Idx.readImages(file("compressed-but-no-suffix", gzip(imageFile())));
        assertArrayEquals(pixels(COUNT), fromGzip.toArray());
        Images fromPlain = Idx.readImages(file("plain-with-misleading-suffix.gz", imageFile()));
        assertEquals(fromGzip, fromPlain);
    }

    @Test
    void limitReadsOnlyTheFirstImages() throws IOException {
        Path plain = file("images.idx", imageFile());
        Path gz = file("images.idx.gz", gzip(imageFile()));
        for (Path path : new Path[] {plain, gz}) {
            Images two = Idx.readImages(path, 2);
            assertEquals(2, two.count());
            assertArrayEquals(Arrays.copyOf(pixels(COUNT), 2 * HEIGHT * WIDTH), two.toArray());
            assertEquals(0, Idx.readImages(path, 0).count());
            assertEquals(COUNT, Idx.readImages(path, 1000).count());
        }
        assertThrows(IllegalArgumentException.class, () -> Idx.readImages(plain, -1));
    }

    @Test
    void limitDoesNotNeedTheRestOfTheFile() throws IOException {
        // Header claims 5 images but only 2 are present: a limit of 2 must still work.
        byte[] cut = Arrays.copyOf(imageFile(), 16 + 2 * HEIGHT * WIDTH);
        Path plain = file("cut.idx", cut);
        Path gz = file("cut.idx.gz", gzip(cut));
        for (Path path : new Path[] {plain, gz}) {
            assertEquals(2, Idx.readImages(path, 2).count());
            assertThrows(InvalidDataException.class, () -> Idx.readImages(path, 3));
        }
    }

    @Test
    void reportsTruncatedData() throws IOException {
        byte[] cut = Arrays.copyOf(imageFile(), imageFile().length - 5);
        InvalidDataException plain =
                assertThrows(InvalidDataException.class, () -> Idx.readImages(file("cut.idx", cut)));
        assertMessageContains(plain, "truncated", "expected 60 data bytes", "file has 55", "cut.idx");

        InvalidDataException gz =
                assertThrows(InvalidDataException.class, () -> Idx.readImages(file("cut.gz", gzip(cut))));
        assertMessageContains(gz, "truncated", "expected 60 data bytes", "decompressed data has 55", "cut.gz");
    }

    @Test
    void reportsTruncatedHeader() throws IOException {
        byte[] cut = Arrays.copyOf(imageFile(), 10);
        InvalidDataException e =
                assertThrows(InvalidDataException.class, () -> Idx.readImages(file("cut.idx", cut)));
        assertMessageContains(e, "truncated header", "expected 12 bytes", "found 6");
        InvalidDataException magic = assertThrows(InvalidDataException.class,
                () -> Idx.readImages(file("tiny.idx", new byte[] {0, 0, 8})));
        assertMessageContains(magic, "truncated", "4-byte", "3 bytes");
    }

    @Test
    void reportsWrongMagic() throws IOException {
        byte[] text = "hello, this is not an IDX file\n".getBytes(StandardCharsets.US_ASCII);
        InvalidDataException e =
                assertThrows(InvalidDataException.class, () -> Idx.readImages(file("hello.txt", text)));
        assertMessageContains(e, "not an IDX file", "magic 0x68656c6c", "expected 0x00000803", "hello.txt");
    }

    @Test
    void reportsWrongDataTypeAndRank() throws IOException {
        byte[] floats = idx(0x00000D03, new int[] {1, 1, 1}, new byte[4]);
        InvalidDataException type =
                assertThrows(InvalidDataException.class, () -> Idx.readImages(file("floats.idx", floats)));
        assertMessageContains(type, "unsupported IDX data type 0x0d", "float", "expected 0x08");

        Path labels = file("labels.idx", idx(0x00000801, new int[] {3}, new byte[] {1, 2, 3}));
        InvalidDataException rank = assertThrows(InvalidDataException.class, () -> Idx.readImages(labels));
        assertMessageContains(rank, "3 dimensions", "got 1", "0x00000801");
        assertThrows(InvalidDataException.class, () -> Idx.readLabels(file("images.idx", imageFile())));
    }

    @Test
    void reportsEmptyFiles() throws IOException {
        InvalidDataException plain =
                assertThrows(InvalidDataException.class, () -> Idx.readImages(file("empty.idx", new byte[0])));
        assertMessageContains(plain, "empty file", "0x00000803");
        InvalidDataException gz = assertThrows(InvalidDataException.class,
                () -> Idx.readImages(file("empty.gz", gzip(new byte[0]))));
        assertMessageContains(gz, "empty decompressed data");
    }

    @Test
    void reportsCorruptGzip() throws IOException {
        byte[] garbage = {0x1f, (byte) 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        InvalidDataException header =
                assertThrows(InvalidDataException.class, () -> Idx.readImages(file("garbage.gz", garbage)));
        assertMessageContains(header, "gzip", "garbage.gz");

        byte[] compressed = gzip(imageFile());
        byte[] halfStream = Arrays.copyOf(compressed, compressed.length / 2);
        InvalidDataException truncated =
                assertThrows(InvalidDataException.class, () -> Idx.readImages(file("half.gz", halfStream)));
        assertMessageContains(truncated, "gzip", "half.gz");

        byte[] badCrc = compressed.clone();
        badCrc[badCrc.length - 6] ^= 0x55; // inside the CRC32 of the gzip trailer
        InvalidDataException crc =
                assertThrows(InvalidDataException.class, () -> Idx.readImages(file("crc.gz", badCrc)));
        assertMessageContains(crc, "corrupt gzip", "crc.gz");
    }

    @Test
    void reportsImpossibleDimensions() throws IOException {
        byte[] huge = idx(0x00000803, new int[] {-1, 28, 28}, new byte[0]);
        InvalidDataException e =
                assertThrows(InvalidDataException.class, () -> Idx.readImages(file("huge.idx", huge)));
        assertMessageContains(e, "dimension 0 is 4294967295");
        byte[] zeroWidth = idx(0x00000803, new int[] {1, 28, 0}, new byte[0]);
        assertThrows(InvalidDataException.class, () -> Idx.readImages(file("zero.idx", zeroWidth)));
        // A bogus count must fail as truncated without trying to allocate the claimed size.
        byte[] claimsMany = idx(0x00000803, new int[] {1_000_000, 28, 28}, new byte[784]);
        InvalidDataException many = assertThrows(InvalidDataException.class,
                () -> Idx.readImages(file("many.gz", gzip(claimsMany))));
        assertMessageContains(many, "truncated", "decompressed data has 784");
    }

    @Test
    void missingFileIsNoSuchFileException() {
        assertThrows(NoSuchFileException.class, () -> Idx.readImages(dir.resolve("missing.idx")));
        assertThrows(NoSuchFileException.class, () -> Idx.readLabels(dir.resolve("missing.idx")));
    }

    @Test
    void readsLabelsPlainAndGzipped() throws IOException {
        byte[] labels = idx(0x00000801, new int[] {4}, new byte[] {9, 0, 3, (byte) 255});
        assertArrayEquals(new byte[] {9, 0, 3, (byte) 255}, Idx.readLabels(file("labels.idx", labels)));
        assertArrayEquals(new byte[] {9, 0, 3, (byte) 255}, Idx.readLabels(file("labels.bin", gzip(labels))));
        assertArrayEquals(new byte[] {9, 0}, Idx.readLabels(file("labels2.idx", labels), 2));
        InvalidDataException e = assertThrows(InvalidDataException.class,
                () -> Idx.readLabels(file("cut.idx", Arrays.copyOf(labels, labels.length - 1))));
        assertMessageContains(e, "expected 4 data bytes for 4 labels", "file has 3");
    }
}
