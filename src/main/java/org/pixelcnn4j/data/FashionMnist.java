package org.pixelcnn4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.InvalidDataException;

/**
 * Access to the Fashion-MNIST data set (60,000 training and 10,000 test images, 28x28 gray).
 *
 * <p>By default the files are read from the location of the Debian package {@code
 * dataset-fashion-mnist}, {@value #DEFAULT_DIRECTORY}. Another directory with the same four files
 * can be chosen with the system property {@value #DIRECTORY_PROPERTY} or, if that is not set, the
 * environment variable {@value #DIRECTORY_ENV}.
 */
public final class FashionMnist {

    /** Directory where the Debian package {@code dataset-fashion-mnist} installs the files. */
    public static final String DEFAULT_DIRECTORY = "/usr/share/datasets/fashion-mnist";

    /** System property that overrides the data directory. */
    public static final String DIRECTORY_PROPERTY = "pixelcnn4j.fashionMnist";

    /** Environment variable that overrides the data directory when the property is not set. */
    public static final String DIRECTORY_ENV = "PIXELCNN4J_FASHION_MNIST";

    /** File name of the 60,000 training images. */
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";

    /** File name of the 60,000 training labels. */
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";

    /** File name of the 10,000 test images. */
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";

    /** File name of the 10,000 test labels. */
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";

    /** The ten classes, by label. */
    public static final java.util.List<String> CLASS_NAMES = java.util.List.of("T-shirt/top", "Trouser", "Pullover",
            "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Image height and width in pixels. */
    public static final int SIZE = 28;

    private static final String INSTALL_HINT = "Fashion-MNIST not found; install it with "
            + "`sudo apt-get install dataset-fashion-mnist` or point the system property " + DIRECTORY_PROPERTY
            + " or the environment variable " + DIRECTORY_ENV + " to a directory with " + TRAIN_IMAGES + ", "
            + TRAIN_LABELS + ", " + TEST_IMAGES + " and " + TEST_LABELS;

    private FashionMnist() {}

    /**
     * Returns the directory the data set is read from: the system property, else the environment
     * variable, else {@value #DEFAULT_DIRECTORY}.
     *
     * @return the data directory; it may not exist
     */
    public static Path directory() {
        String property = System.getProperty(DIRECTORY_PROPERTY);
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        String env = System.getenv(DIRECTORY_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(DEFAULT_DIRECTORY);
    }

    /**
     * Returns whether all four data set files exist in {@link #directory()} and are readable.
     *
     * @return true if the data set can be read
     */
    public static boolean isAvailable() {
        Path directory = directory();
        for (String name : new String[] {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS}) {
            Path file = directory.resolve(name);
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads the first {@code limit} training images.
     *
     * @param limit the maximum number of images, zero or more
     * @return up to {@code limit} images, each 1 x 28 x 28 with values {@code 0..255}
     * @throws NoSuchFileException if the file is missing; the message says how to install it
     * @throws IOException if the file cannot be read
     * @throws InvalidDataException if the file is not a valid IDX image file
     * @throws IllegalArgumentException if {@code limit} is negative
     */
    public static Images train(int limit) throws IOException {
        return images(TRAIN_IMAGES, limit);
    }

    /**
     * Reads the first {@code limit} test images.
     *
     * @param limit the maximum number of images, zero or more
     * @return up to {@code limit} images, each 1 x 28 x 28 with values {@code 0..255}
     * @throws NoSuchFileException if the file is missing; the message says how to install it
     * @throws IOException if the file cannot be read
     * @throws InvalidDataException if the file is not a valid IDX image file
     * @throws IllegalArgumentException if {@code limit} is negative
     */
    public static Images test(int limit) throws IOException {
        return images(TEST_IMAGES, limit);
    }

    /**
     * Reads the first {@code limit} training labels (class indices 0..9).
     *
     * @param limit the maximum number of labels, zero or more
     * @return up to {@code limit} labels
     * @throws NoSuchFileException if the file is missing; the message says how to install it
     * @throws IOException if the file cannot be read
     * @throws InvalidDataException if the file is not a valid IDX label file
     * @throws IllegalArgumentException if {@code limit} is negative
     */
    public static byte[] trainLabels(int limit) throws IOException {
        return Idx.readLabels(existing(TRAIN_LABELS), limit);
    }

    /**
     * Reads the first {@code limit} test labels (class indices 0..9).
     *
     * @param limit the maximum number of labels, zero or more
     * @return up to {@code limit} labels
     * @throws NoSuchFileException if the file is missing; the message says how to install it
     * @throws IOException if the file cannot be read
     * @throws InvalidDataException if the file is not a valid IDX label file
     * @throws IllegalArgumentException if {@code limit} is negative
     */
    public static byte[] testLabels(int limit) throws IOException {
        return Idx.readLabels(existing(TEST_LABELS), limit);
    }

    private static Images images(String name, int limit) throws IOException {
        Path file = existing(name);
        Images images = Idx.readImages(file, limit);
        if (images.height() != SIZE || images.width() != SIZE) {
            throw new InvalidDataException("fashion-mnist: expected " + SIZE + "x" + SIZE + " images, got "
                    + images.height() + "x" + images.width() + " in " + file);
        }
        return images;
    }

    private static Path existing(String name) throws NoSuchFileException {
        Path file = directory().resolve(name);
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, INSTALL_HINT);
        }
        return file;
    }
}
