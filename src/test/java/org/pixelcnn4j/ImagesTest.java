package org.pixelcnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.data.TestImages;

class ImagesTest {

    @TempDir
    Path dir;

    @Test
    void ofCopiesInputAndExposesDimensions() {
        byte[] data = {1, 2, 3, 4, 5, 6};
        Images images = Images.of(data, 2, 1, 1, 3);
        data[0] = 99;
        assertEquals(2, images.count());
        assertEquals(1, images.channels());
        assertEquals(1, images.height());
        assertEquals(3, images.width());
        assertEquals(1, images.get(0, 0, 0, 0));
        assertEquals(6, images.get(1, 0, 0, 2));
        byte[] copy = images.toArray();
        copy[1] = 42;
        assertEquals(2, images.get(0, 0, 0, 1));
        assertEquals("Images[2 x 1 x 1 x 3]", images.toString());
    }

    @Test
    void getReturnsUnsignedValuesInNchwOrder() {
        byte[] data = new byte[2 * 3 * 2 * 2];
        data[((1 * 3 + 2) * 2 + 1) * 2 + 0] = (byte) 200;
        Images images = Images.of(data, 2, 3, 2, 2);
        assertEquals(200, images.get(1, 2, 1, 0));
        assertEquals(0, images.get(1, 2, 0, 1));
    }

    @Test
    void getRejectsIndicesOutsideTheBatch() {
        Images images = Images.zeros(2, 1, 3, 4);
        assertThrows(IndexOutOfBoundsException.class, () -> images.get(2, 0, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> images.get(0, 1, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> images.get(0, 0, 3, 0));
        IndexOutOfBoundsException e =
                assertThrows(IndexOutOfBoundsException.class, () -> images.get(0, 0, 0, -1));
        assertTrue(e.getMessage().contains("x in [0, 4), got -1"), e.getMessage());
    }

    @Test
    void ofRejectsDataThatDoesNotMatchTheDimensions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Images.of(new byte[700], 1, 1, 28, 28));
        assertTrue(e.getMessage().contains("expected 784 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("got 700"), e.getMessage());
    }

    @Test
    void factoriesRejectBadDimensions() {
        assertThrows(IllegalArgumentException.class, () -> Images.zeros(-1, 1, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> Images.zeros(1, 0, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> Images.zeros(1, 1, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> Images.zeros(1, 1, 2, -3));
        IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class,
                () -> Images.zeros(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertTrue(tooLarge.getMessage().contains("largest Java array"), tooLarge.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Images.zeros(65536, 1, 256, 256));
        assertThrows(NullPointerException.class, () -> Images.of(null, 1, 1, 1, 1));
        assertEquals(0, Images.zeros(0, 1, 2, 2).count());
    }

    @Test
    void sliceCopiesTheRequestedRange() {
        Images images = TestImages.pattern(5, 2, 3, 3);
        Images middle = images.slice(1, 4);
        assertEquals(3, middle.count());
        for (int n = 0; n < 3; n++) {
            for (int c = 0; c < 2; c++) {
                for (int y = 0; y < 3; y++) {
                    for (int x = 0; x < 3; x++) {
                        assertEquals(images.get(n + 1, c, y, x), middle.get(n, c, y, x));
                    }
                }
            }
        }
        assertEquals(0, images.slice(2, 2).count());
        assertEquals(images, images.slice(0, 5));
    }

    @Test
    void sliceRejectsBadRanges() {
        Images images = Images.zeros(3, 1, 2, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> images.slice(-1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> images.slice(2, 1));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> images.slice(0, 4));
        assertTrue(e.getMessage().contains("to <= 3"), e.getMessage());
    }

    @Test
    void selectPicksImagesInTheGivenOrder() {
        Images images = TestImages.pattern(4, 1, 2, 2);
        Images picked = images.select(3, 0, 3);
        assertEquals(3, picked.count());
        assertEquals(images.slice(3, 4), picked.slice(0, 1));
        assertEquals(images.slice(0, 1), picked.slice(1, 2));
        assertEquals(images.slice(3, 4), picked.slice(2, 3));
        assertEquals(0, images.select().count());
        assertThrows(IndexOutOfBoundsException.class, () -> images.select(0, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> images.select(-1));
    }

    @Test
    void binarizeMapsValuesAboveTheThresholdToOne() {
        Images images = Images.of(new byte[] {0, 127, (byte) 128, (byte) 255}, 1, 1, 2, 2);
        assertArrayEquals(new byte[] {0, 0, 1, 1}, images.binarize(127).toArray());
        assertArrayEquals(new byte[] {0, 0, 0, 0}, images.binarize(255).toArray());
        assertArrayEquals(new byte[] {0, 1, 1, 1}, images.binarize(0).toArray());
        assertThrows(IllegalArgumentException.class, () -> images.binarize(256));
        assertThrows(IllegalArgumentException.class, () -> images.binarize(-1));
    }

    @Test
    void quantizeUsesFloorOfValueTimesLevelsOver256() {
        byte[] all = new byte[256];
        for (int v = 0; v < 256; v++) {
            all[v] = (byte) v;
        }
        Images images = Images.of(all, 1, 1, 16, 16);
        for (int levels : new int[] {2, 3, 4, 7, 16, 255, 256}) {
            byte[] quantized = images.quantize(levels).toArray();
            for (int v = 0; v < 256; v++) {
                assertEquals(v * levels / 256, quantized[v] & 0xFF, "v=" + v + " levels=" + levels);
            }
        }
        assertArrayEquals(all, images.quantize(256).toArray());
        assertThrows(IllegalArgumentException.class, () -> images.quantize(1));
        assertThrows(IllegalArgumentException.class, () -> images.quantize(257));
    }

    @Test
    void equalsComparesDimensionsAndValues() {
        Images a = TestImages.pattern(2, 1, 2, 3);
        assertEquals(a, Images.of(a.toArray(), 2, 1, 2, 3));
        assertEquals(a.hashCode(), Images.of(a.toArray(), 2, 1, 2, 3).hashCode());
        assertNotEquals(a, Images.of(a.toArray(), 2, 1, 3, 2));
        assertNotEquals(a, a.binarize(100));
    }


    @Test
    void fromFloatsQuantizesAndRejectsNanAndInfinity() {
        Images images = Images.fromFloats(new float[] {0f, 0.49f, 0.5f, 1f}, 1, 1, 2, 2, 2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[] {0, 0, 1, 1}, images.toArray());
        Images eight = Images.fromFloats(new float[] {0f, 1f / 255, 0.999f, 1f}, 1, 1, 1, 4, 256);
        org.junit.jupiter.api.Assertions.assertEquals(255, eight.get(0, 0, 0, 3));
        org.junit.jupiter.api.Assertions.assertEquals(255, eight.get(0, 0, 0, 2));
        IllegalArgumentException nan = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Images.fromFloats(new float[] {0f, Float.NaN}, 1, 1, 1, 2, 2));
        org.junit.jupiter.api.Assertions.assertTrue(nan.getMessage().contains("NaN at index 1"), nan.getMessage());
        IllegalArgumentException inf = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Images.fromFloats(new float[] {Float.POSITIVE_INFINITY, 0f}, 1, 1, 1, 2, 2));
        org.junit.jupiter.api.Assertions.assertTrue(inf.getMessage().contains("infinite"), inf.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Images.fromFloats(new float[] {1.5f, 0f}, 1, 1, 1, 2, 2));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Images.fromFloats(new float[3], 1, 1, 1, 2, 2));
    }
}
