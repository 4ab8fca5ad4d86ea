package org.pixelcnn4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.InvalidDataException;
import org.pixelcnn4j.PixelCnnConfig;

/** Reading folders of PNG/JPEG images and IDX files: conversion, order, splits and errors. */
class ImageSourceTest {
    private static final int SIZE = 8;

    @TempDir
    Path dir;

    @Test
    void folderIsReadInSortedOrderWithFileNames() throws IOException {
        byte[] data = TestImages.bars(5, SIZE, 1);
        Path folder = dir.resolve("images");
        Files.createDirectories(folder);
        // Written out of order, read back sorted by name.
        for (int n : new int[] {3, 0, 4, 1, 2}) {
            TestImages.writeGrayPng(folder.resolve("img-" + n + ".png"), data, n, SIZE, SIZE);
        }
        ImageSource source = ImageSource.open(folder);
        assertEquals(5, source.count());
        assertEquals(1, source.channels());
        assertTrue(source.hasFiles());
        DataSet set = source.read(ImageFormat.raw(1));
        assertArrayEquals(data, set.images().toArray());
        for (int i = 0; i < 5; i++) {
            assertEquals("img-" + i + ".png", set.fileName(i));
            assertEquals(i, set.sourceIndex(i));
        }
    }

    /**
     * Found by ImageFolderFuzzTarget: a PNG whose header claims 4 x 536870912 pixels overflowed
     * the data set's size (NegativeArraySizeException); it is refused from its header, before
     * any decoding, naming the file.
     */
    @Test
    void imagesLargerThanAModelTakesAreRefusedFromTheirHeaders() throws IOException {
        Path folder = TestImages.writePngFolder(dir.resolve("images"), TestImages.bars(1, SIZE, 1), 1, SIZE, SIZE);
        Path png;
        try (var files = Files.list(folder)) {
            png = files.findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(png);
        java.nio.ByteBuffer.wrap(bytes, 16, 4).putInt(0x20000000); // IHDR width (its CRC is not checked there)
        Files.write(png, bytes);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSource.open(folder));
        assertTrue(e.getMessage().contains(png.getFileName().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("x536870912 pixels (height x width); a model takes at most 4096x4096"),
                e.getMessage());
    }

    @Test
    void hiddenFilesAndSubfoldersAreIgnored() throws IOException {
        Path folder = TestImages.writePngFolder(dir.resolve("images"), TestImages.bars(3, SIZE, 1), 3, SIZE, SIZE);
        Files.writeString(folder.resolve(".DS_Store"), "not an image");
        Files.createDirectories(folder.resolve("sub"));
        TestImages.writeGrayPng(folder.resolve("sub").resolve("other.png"), TestImages.bars(1, 4, 1), 0, 4, 4);
        assertEquals(3, ImageSource.open(folder).count());
    }

    @Test
    void binarizationAndQuantizationMatchImages() throws IOException {
        byte[] data = TestImages.bars(4, SIZE, 2);
        Path folder = TestImages.writePngFolder(dir.resolve("images"), data, 4, SIZE, SIZE);
        Images raw = Images.of(data, 4, 1, SIZE, SIZE);
        ImageSource source = ImageSource.open(folder);
        assertEquals(raw.binarize(100), source.read(ImageFormat.binarized(1, 100)).images());
        assertEquals(raw.quantize(16), source.read(ImageFormat.quantized(1, 16)).images());
        PixelCnnConfig categorical = PixelCnnConfig.builder().setImageShape(1, SIZE, SIZE).optCategorical(4).build();
        assertEquals(raw.quantize(4), source.read(ImageFormat.forModel(categorical, 127)).images());
    }

    @Test
    void colourAndGrayAreConvertedToTheRequestedChannels() throws IOException {
        Path folder = dir.resolve("mixed");
        Files.createDirectories(folder);
        TestImages.writeRgb(folder.resolve("a.png"), SIZE, SIZE, "png", (x, y) -> 0xFF0000); // pure red
        TestImages.writeGrayPng(folder.resolve("b.png"), new byte[SIZE * SIZE], 0, SIZE, SIZE);
        ImageSource source = ImageSource.open(folder);
        assertTrue(source.isColour());
        assertEquals(3, source.channels());
        Images rgb = source.read(ImageFormat.raw(3)).images();
        assertEquals(255, rgb.get(0, 0, 3, 3));
        assertEquals(0, rgb.get(0, 1, 3, 3));
        assertEquals(0, rgb.get(1, 2, 3, 3));
        Images gray = source.read(ImageFormat.raw(1)).images();
        assertEquals(76, gray.get(0, 0, 3, 3)); // BT.601 luma of pure red: 0.299 * 255
    }

    @Test
    void grayPngAndJpegOfTheSameContentAgree() throws IOException {
        Path folder = dir.resolve("jpeg");
        Files.createDirectories(folder);
        TestImages.writeRgb(folder.resolve("a.jpg"), SIZE, SIZE, "jpeg", (x, y) -> x < 4 ? 0x000000 : 0xFFFFFF);
        DataSet set = ImageSource.open(folder).read(ImageFormat.binarized(1, 127));
        for (int x = 0; x < SIZE; x++) {
            assertEquals(x < 4 ? 0 : 1, set.images().get(0, 0, 4, x), "column " + x);
        }
    }

    @Test
    void idxIsDetectedByContentPlainOrGzipAndStreamedWithALimit() throws IOException {
        byte[] data = TestImages.bars(10, SIZE, 3);
        Images raw = Images.of(data, 10, 1, SIZE, SIZE);
        for (boolean gzip : new boolean[] {false, true}) {
            Path file = TestImages.writeIdx(dir.resolve("images-" + gzip + ".bin"), data, 10, SIZE, SIZE, gzip);
            ImageSource source = ImageSource.open(file);
            assertFalse(source.hasFiles());
            assertEquals(10, source.count());
            DataSet all = source.read(ImageFormat.binarized(1, 127));
            assertEquals(raw.binarize(127), all.images());
            assertNull(all.fileName(0));
            assertEquals(raw.slice(0, 4), source.limit(4).read(ImageFormat.raw(1)).images());
            Images three = source.read(ImageFormat.raw(3)).images();
            for (int c = 0; c < 3; c++) {
                assertEquals(raw.get(7, 0, 5, 2), three.get(7, c, 5, 2));
            }
        }
    }

    @Test
    void splitIsSeededDisjointCompleteAndInSourceOrder() throws IOException {
        byte[] data = TestImages.bars(40, SIZE, 4);
        Path file = TestImages.writeIdx(dir.resolve("data.idx"), data, 40, SIZE, SIZE, false);
        ImageSource source = ImageSource.open(file);
        DataSplit split = source.readSplit(ImageFormat.raw(1), 0.25, 7);
        assertEquals(30, split.train().count());
        assertEquals(10, split.validation().count());
        Set<Integer> seen = new HashSet<>();
        Images all = source.read(ImageFormat.raw(1)).images();
        for (DataSet set : List.of(split.train(), split.validation())) {
            for (int i = 0; i < set.count(); i++) {
                assertTrue(seen.add(set.sourceIndex(i)), "an image in both sets");
                if (i > 0) {
                    assertTrue(set.sourceIndex(i) > set.sourceIndex(i - 1), "source order");
                }
                assertEquals(all.slice(set.sourceIndex(i), set.sourceIndex(i) + 1), set.images().slice(i, i + 1));
            }
        }
        assertEquals(40, seen.size());
        DataSplit again = source.readSplit(ImageFormat.raw(1), 0.25, 7);
        assertEquals(split.validation().images(), again.validation().images());
        assertEquals(split.train().checksum(), again.train().checksum());
        DataSplit other = source.readSplit(ImageFormat.raw(1), 0.25, 8);
        assertFalse(Arrays.equals(indices(split.validation()), indices(other.validation())));
        assertFalse(source.readSplit(ImageFormat.raw(1), 0, 7).hasValidation());
        assertThrows(IllegalArgumentException.class, () -> source.readSplit(ImageFormat.raw(1), 1.0, 7));
    }

    private static int[] indices(DataSet set) {
        int[] result = new int[set.count()];
        for (int i = 0; i < result.length; i++) {
            result[i] = set.sourceIndex(i);
        }
        return result;
    }

    @Test
    void wrongSizeImageIsNamedWithItsSizeAndTheExpectedOne() throws IOException {
        Path folder = TestImages.writePngFolder(dir.resolve("images"), TestImages.bars(3, SIZE, 1), 3, SIZE, SIZE);
        TestImages.writeGrayPng(folder.resolve("img-01b.png"), new byte[5 * 6], 0, 5, 6);
        ImageSource source = ImageSource.open(folder);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> source.read(ImageFormat.raw(1)));
        assertTrue(e.getMessage().contains("img-01b.png"), e.getMessage());
        assertTrue(e.getMessage().contains("5x6"), e.getMessage());
        assertTrue(e.getMessage().contains("expected 8x8"), e.getMessage());
        assertTrue(e.getMessage().contains("img-00.png"), "names where 8x8 comes from: " + e.getMessage());

        InvalidDataException model = assertThrows(InvalidDataException.class,
                () -> ImageSource.open(folder.resolve("img-00.png")).requireSize(28, 28, "the model's size"));
        assertTrue(model.getMessage().contains("expected 28x28, the model's size"), model.getMessage());
    }

    @Test
    void nonImageFileInAFolderIsNamed() throws IOException {
        Path folder = TestImages.writePngFolder(dir.resolve("images"), TestImages.bars(2, SIZE, 1), 2, SIZE, SIZE);
        Files.writeString(folder.resolve("labels.csv"), "0,1\n");
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSource.open(folder));
        assertTrue(e.getMessage().contains("labels.csv"), e.getMessage());
        assertTrue(e.getMessage().contains("not a PNG or JPEG image"), e.getMessage());
    }

    @Test
    void corruptPngIsNamed() throws IOException {
        Path folder = TestImages.writePngFolder(dir.resolve("images"), TestImages.bars(2, SIZE, 1), 2, SIZE, SIZE);
        byte[] png = Files.readAllBytes(folder.resolve("img-00.png"));
        Files.write(folder.resolve("img-00.png"), Arrays.copyOf(png, 20));
        InvalidDataException e = assertThrows(InvalidDataException.class,
                () -> ImageSource.open(folder).read(ImageFormat.raw(1)));
        assertTrue(e.getMessage().contains("img-00.png"), e.getMessage());
    }

    @Test
    void emptyFolderMissingPathAndUnknownFileAreClearErrors() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSource.open(empty));
        assertTrue(e.getMessage().contains("holds no images"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> ImageSource.open(dir.resolve("missing")));
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello");
        InvalidDataException unknown = assertThrows(InvalidDataException.class, () -> ImageSource.open(text));
        assertTrue(unknown.getMessage().contains("neither an IDX file nor a PNG or JPEG image"), unknown.getMessage());
    }

    @Test
    void truncatedIdxIsReported() throws IOException {
        byte[] data = TestImages.bars(4, SIZE, 1);
        Path plain = TestImages.writeIdx(dir.resolve("plain.idx"), data, 4, SIZE, SIZE, false);
        Files.write(plain, Arrays.copyOf(Files.readAllBytes(plain), 16 + 3 * SIZE * SIZE));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSource.open(plain));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());

        // A gzip file whose header announces 4 images over the data of 3: found while streaming.
        Path lying = dir.resolve("lying.gz");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
            z.write(java.nio.ByteBuffer.allocate(16).putInt(0x803).putInt(4).putInt(SIZE).putInt(SIZE).array());
            z.write(data, 0, 3 * SIZE * SIZE);
        }
        Files.write(lying, out.toByteArray());
        InvalidDataException streamed = assertThrows(InvalidDataException.class,
                () -> ImageSource.open(lying).read(ImageFormat.raw(1)));
        assertTrue(streamed.getMessage().contains("truncated"), streamed.getMessage());
    }

    @Test
    void theDecodedArrayBecomesTheImagesWithoutACopy() {
        // The data set lives in one array: the one the images were decoded into.
        byte[] pixels = new byte[2 * SIZE * SIZE];
        Images images = Images.adopt(pixels, 2, 1, SIZE, SIZE);
        pixels[5] = 1;
        assertEquals(1, images.get(0, 0, 0, 5));
    }

    @Test
    void ofPathsTakesFilesAndFoldersInTheGivenOrder() throws IOException {
        byte[] data = TestImages.bars(4, SIZE, 5);
        Path folder = TestImages.writePngFolder(dir.resolve("f"), data, 2, SIZE, SIZE);
        Path single = TestImages.writeGrayPng(dir.resolve("z.png"), data, 3, SIZE, SIZE);
        DataSet set = ImageSource.ofPaths(List.of(single, folder)).read(ImageFormat.raw(1));
        assertEquals(3, set.count());
        assertEquals("z.png", set.fileName(0));
        assertEquals("img-01.png", set.fileName(2));
        assertEquals(Images.of(data, 4, 1, SIZE, SIZE).select(3, 0, 1), set.images());
    }
}
