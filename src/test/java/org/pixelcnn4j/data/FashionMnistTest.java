package org.pixelcnn4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.Images;

class FashionMnistTest {

    @TempDir
    Path dir;

    private String savedProperty;

    @BeforeEach
    void saveProperty() {
        savedProperty = System.getProperty(FashionMnist.DIRECTORY_PROPERTY);
    }

    @AfterEach
    void restoreProperty() {
        if (savedProperty == null) {
            System.clearProperty(FashionMnist.DIRECTORY_PROPERTY);
        } else {
            System.setProperty(FashionMnist.DIRECTORY_PROPERTY, savedProperty);
        }
    }

    @Test
    void readsTrainingAndTestImagesWhenInstalled() throws IOException {
        // .ci/run installs the Debian package; a missing data set is a failure, not a skip.
        assertTrue(FashionMnist.isAvailable(),
                "Fashion-MNIST not installed (sudo apt-get install dataset-fashion-mnist)");
        Images train = FashionMnist.train(100);
        assertEquals(100, train.count());
        assertEquals(1, train.channels());
        assertEquals(28, train.height());
        assertEquals(28, train.width());
        int nonZero = 0;
        for (byte value : train.toArray()) {
            nonZero += value != 0 ? 1 : 0;
        }
        assertTrue(nonZero > 100 * 28 * 28 / 10, "images should not be blank, non-zero pixels: " + nonZero);

        Images test = FashionMnist.test(10);
        assertEquals(10, test.count());
        assertEquals(28, test.height());

        byte[] labels = FashionMnist.trainLabels(100);
        assertEquals(100, labels.length);
        for (byte label : labels) {
            assertTrue(label >= 0 && label <= 9, "label " + label);
        }
        assertEquals(10, FashionMnist.testLabels(10).length);
    }

    @Test
    void missingDataSetSaysHowToInstallIt() {
        System.setProperty(FashionMnist.DIRECTORY_PROPERTY, dir.toString());
        assertEquals(dir, FashionMnist.directory());
        assertFalse(FashionMnist.isAvailable());
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> FashionMnist.train(1));
        assertTrue(e.getMessage().contains("sudo apt-get install dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains(FashionMnist.TRAIN_IMAGES), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> FashionMnist.testLabels(1));
    }

    @Test
    void propertyOverridesTheDirectory() throws IOException {
        ByteBuffer images = ByteBuffer.allocate(16 + 2 * 28 * 28).putInt(0x803).putInt(2).putInt(28).putInt(28);
        ByteBuffer labels = ByteBuffer.allocate(8 + 2).putInt(0x801).putInt(2).put((byte) 3).put((byte) 7);
        // Plain (not gzipped) files under .gz names: the reader detects compression by content.
        for (String name : new String[] {FashionMnist.TRAIN_IMAGES, FashionMnist.TEST_IMAGES}) {
            Files.write(dir.resolve(name), images.array());
        }
        for (String name : new String[] {FashionMnist.TRAIN_LABELS, FashionMnist.TEST_LABELS}) {
            Files.write(dir.resolve(name), labels.array());
        }
        System.setProperty(FashionMnist.DIRECTORY_PROPERTY, dir.toString());
        assertTrue(FashionMnist.isAvailable());
        assertEquals(2, FashionMnist.train(100).count());
        assertEquals(1, FashionMnist.test(1).count());
        assertEquals(7, FashionMnist.trainLabels(5)[1]);
    }

    @Test
    void defaultDirectoryIsTheDebianLocation() {
        System.clearProperty(FashionMnist.DIRECTORY_PROPERTY);
        String override = System.getenv(FashionMnist.DIRECTORY_ENV);
        Path expected = override == null ? Path.of("/usr/share/datasets/fashion-mnist") : Path.of(override);
        assertEquals(expected, FashionMnist.directory());
    }
}
