package org.pixelcnn4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32C;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.InvalidDataException;

/**
 * Where images come from: a folder of PNG or JPEG files, a list of such files, or an IDX file
 * (MNIST format, plain or gzip-compressed). Opening a source reads only headers; {@link #read}
 * decodes the images.
 *
 * <p>The kind of a file is told by its content, not its name: an IDX file starts with two zero
 * bytes (or is gzip-compressed), a PNG with {@code 89 50 4E 47}, a JPEG with {@code FF D8 FF}. In
 * a folder, files are taken in sorted order of their names; hidden files (names starting with a
 * dot) and subfolders are ignored, and every other file must be a PNG or JPEG image.
 *
 * <p>Reading decodes one image at a time, converts it (channels, binarization or quantization,
 * see {@link ImageFormat}) and places it in one array allocated up front for the whole data set,
 * so memory holds one copy of the data set, in its final form, plus one image.
 *
 * <pre>{@code
 * ImageSource source = ImageSource.open(Path.of("faces/"));
 * source.requireSize(28, 28);
 * DataSplit split = source.readSplit(ImageFormat.binarized(1, 127), 0.1, 42);
 * }</pre>
 */
public abstract class ImageSource {

    /** The name that selects the Fashion-MNIST training images in {@link #named}. */
    public static final String FASHION_MNIST = "fashion-mnist";

    /** The name that selects the Fashion-MNIST test images in {@link #named}. */
    public static final String FASHION_MNIST_TEST = "fashion-mnist-test";

    ImageSource() {
    }

    /**
     * Opens a data set by name: {@value #FASHION_MNIST} (training images) or
     * {@value #FASHION_MNIST_TEST} (test images) from {@link FashionMnist#directory()}, or else a
     * path as in {@link #open(Path)}.
     *
     * @param name a data set name or a path
     * @return the source
     * @throws NoSuchFileException if the file, folder or Fashion-MNIST is missing (the message
     *     says how to install Fashion-MNIST)
     * @throws InvalidDataException if the content is not images of a supported kind
     * @throws IOException if reading fails
     */
    public static ImageSource named(String name) throws IOException {
        Objects.requireNonNull(name, "name");
        if (name.equals(FASHION_MNIST)) {
            return fashionMnist(false);
        }
        if (name.equals(FASHION_MNIST_TEST)) {
            return fashionMnist(true);
        }
        return open(Path.of(name));
    }

    /**
     * The Fashion-MNIST training or test images (28x28 gray) from {@link FashionMnist#directory()}.
     *
     * @param test true for the 10,000 test images, false for the 60,000 training images
     * @return the source
     * @throws NoSuchFileException if the file is missing; the message says how to install it
     * @throws InvalidDataException if the file is not a valid IDX image file
     * @throws IOException if reading fails
     */
    public static ImageSource fashionMnist(boolean test) throws IOException {
        Path file = FashionMnist.directory().resolve(test ? FashionMnist.TEST_IMAGES : FashionMnist.TRAIN_IMAGES);
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "Fashion-MNIST is not installed; install it with"
                    + " `sudo apt-get install dataset-fashion-mnist`, or set " + FashionMnist.DIRECTORY_ENV
                    + " to a folder holding " + FashionMnist.TRAIN_IMAGES + " and " + FashionMnist.TEST_IMAGES);
        }
        ImageSource images = IdxSource.open(file, (test ? FASHION_MNIST_TEST : FASHION_MNIST) + " (" + file + ")");
        Path labels = file.resolveSibling(test ? FashionMnist.TEST_LABELS : FashionMnist.TRAIN_LABELS);
        if (!Files.exists(labels)) {
            return images;  // the images alone still serve unconditional models
        }
        return images.withLabels(readLabelFile(labels), FashionMnist.CLASS_NAMES, labels.getFileName().toString());
    }

    /**
     * Opens a folder of PNG/JPEG images, a single PNG/JPEG image or an IDX image file. A folder
     * that holds no images itself but sub-folders of them is a labelled data set, one class per
     * sub-folder: labels 0, 1, ... in the sub-folders' sorted order, named after them (the
     * layout of torchvision's ImageFolder).
     *
     * @param path a folder or a file
     * @return the source
     * @throws NoSuchFileException if the path does not exist
     * @throws InvalidDataException if the folder holds no image or a file that is not a PNG or
     *     JPEG image, or the file is neither an IDX file nor an image
     * @throws IOException if reading fails
     */
    public static ImageSource open(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such file or folder");
        }
        if (Files.isDirectory(path)) {
            List<Path> files = FileSource.listFolder(path);
            List<Path> classFolders = FileSource.listSubfolders(path);
            if (files.isEmpty() && !classFolders.isEmpty()) {
                return classFolders(path, classFolders);
            }
            if (files.isEmpty()) {
                throw new InvalidDataException("data: folder " + path + " holds no images; expected PNG or JPEG files"
                        + " (or one sub-folder of them per class)");
            }
            return FileSource.scan(files, "folder " + path);
        }
        return switch (Kind.of(path)) {
            case IDX -> IdxSource.open(path, "IDX file " + path);
            case PNG, JPEG -> FileSource.scan(List.of(path), "image " + path);
            case OTHER -> throw new InvalidDataException("data: " + path + " is neither an IDX file nor a PNG or"
                    + " JPEG image (it starts with " + Kind.firstBytes(path) + ")");
        };
    }

    private static ImageSource classFolders(Path folder, List<Path> classFolders) throws IOException {
        List<Path> files = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (Path classFolder : classFolders) {
            List<Path> images = FileSource.listFolder(classFolder);
            if (images.isEmpty()) {
                throw new InvalidDataException("data: class folder " + classFolder + " holds no images; expected PNG or"
                        + " JPEG files in every sub-folder of " + folder);
            }
            for (Path image : images) {
                files.add(image);
                labels.add(names.size());
            }
            names.add(classFolder.getFileName().toString());
        }
        ImageSource images = FileSource.scan(files, "folder " + folder + " (" + names.size() + " class folders)");
        return images.withLabels(labels.stream().mapToInt(Integer::intValue).toArray(), names, "its class folders");
    }

    /**
     * Opens image files and folders of image files, in the order given (each folder's files in
     * sorted order). IDX files are not accepted here.
     *
     * @param paths PNG/JPEG files and folders holding them; at least one
     * @return the source
     * @throws NoSuchFileException if a path does not exist
     * @throws InvalidDataException if a file is not a PNG or JPEG image or there is no image at all
     * @throws IOException if reading fails
     */
    public static ImageSource ofPaths(List<Path> paths) throws IOException {
        Objects.requireNonNull(paths, "paths");
        List<Path> files = new ArrayList<>();
        for (Path path : paths) {
            if (!Files.exists(path)) {
                throw new NoSuchFileException(path.toString(), null, "no such file or folder");
            }
            files.addAll(Files.isDirectory(path) ? FileSource.listFolder(path) : List.of(path));
        }
        if (files.isEmpty()) {
            throw new InvalidDataException("data: no images in " + paths + "; expected PNG or JPEG files");
        }
        String description = paths.size() == 1
                ? (Files.isDirectory(paths.get(0)) ? "folder " : "image ") + paths.get(0)
                : files.size() + " image files";
        return FileSource.scan(files, description);
    }

    /**
     * One class label per image, where the source has them: Fashion-MNIST's (from the label file
     * beside the images), class sub-folders' (see {@link #open}), or attached with
     * {@link #withLabels} or {@link #withLabelFile}. Images read from a labelled source carry
     * their labels ({@link Images#hasLabels()}).
     *
     * @return a copy of the labels, or null if the source has none
     */
    public int[] labels() {
        return null;
    }

    /** @return the name of each class by label (sub-folder names, Fashion-MNIST's classes), or null */
    public List<String> classNames() {
        return null;
    }

    /**
     * @return the number of classes: as many as names if the classes are named, else the largest
     *     label plus one; 0 without labels
     */
    public int classCount() {
        if (classNames() != null) {
            return classNames().size();
        }
        int[] labels = labels();
        int max = -1;
        for (int label : labels == null ? new int[0] : labels) {
            max = Math.max(max, label);
        }
        return max + 1;
    }

    /**
     * These images with one class label each.
     *
     * @param labels one label per image, each 0 or more
     * @param classNames names by label, or null; if given, every label is below its size
     * @param origin where the labels come from, for {@link #description()}
     * @return the labelled source
     * @throws InvalidDataException if the count differs from the images' or a label is out of range
     */
    public ImageSource withLabels(int[] labels, List<String> classNames, String origin) throws InvalidDataException {
        Objects.requireNonNull(labels, "labels");
        if (labels.length != count()) {
            throw new InvalidDataException("data: " + origin + " holds " + labels.length + " labels for the "
                    + count() + " images of " + description() + "; expected one label per image");
        }
        int classes = classNames == null ? Integer.MAX_VALUE : classNames.size();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new InvalidDataException("data: label " + labels[i] + " of image " + i + " in " + origin
                        + " is outside [0, " + (classes - 1) + "]");
            }
        }
        ImageSource images = this instanceof LabelledSource ? ((LabelledSource) this).withoutLabels() : this;
        return new LabelledSource(images, labels.clone(), classNames == null ? null : List.copyOf(classNames), origin);
    }

    /**
     * These images with the labels of an IDX label file (magic 0x00000801, as Fashion-MNIST's
     * {@code train-labels-idx1-ubyte.gz}): one label per image, in order.
     *
     * @param file the label file, gzip-compressed or not
     * @return the labelled source
     * @throws InvalidDataException if the file is not an IDX label file or holds another count
     * @throws IOException if reading fails
     */
    public ImageSource withLabelFile(Path file) throws IOException {
        return withLabels(readLabelFile(file), null, "IDX label file " + file);
    }

    private static int[] readLabelFile(Path file) throws IOException {
        byte[] bytes = Idx.readLabels(file);
        int[] labels = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            labels[i] = bytes[i] & 0xFF;
        }
        return labels;
    }

    /** @return the number of images */
    public abstract int count();

    /** @return the height of the images (of the first image for files) */
    public abstract int height();

    /** @return the width of the images (of the first image for files) */
    public abstract int width();

    /** @return whether any image has colour; IDX images are gray */
    public abstract boolean isColour();

    /** @return the natural channel count of the data: 3 if any image has colour, else 1 */
    public int channels() {
        return isColour() ? 3 : 1;
    }

    /**
     * @param index image index, 0 to count-1
     * @return the image's file, or null for an IDX source
     * @throws IndexOutOfBoundsException if the index is outside the source
     */
    public abstract Path file(int index);

    /** @return whether the images come from image files (so {@link #file} is not null) */
    public abstract boolean hasFiles();

    /** @return what the source is, e.g. "folder data/train (1200 images)" */
    public abstract String description();

    /**
     * The first {@code limit} images of this source.
     *
     * @param limit images to keep, positive; more than {@link #count()} keeps all
     * @return a source of at most {@code limit} images
     * @throws IllegalArgumentException if limit is not positive
     */
    public abstract ImageSource limit(int limit);

    /**
     * Checks that every image is {@code height x width}.
     *
     * @param height expected height
     * @param width expected width
     * @throws InvalidDataException naming the first image of another size, its size and the
     *     expected one
     */
    public void requireSize(int height, int width) throws InvalidDataException {
        requireSize(height, width, "");
    }

    /**
     * Checks that every image is {@code height x width}, saying in an error where that size comes
     * from.
     *
     * @param height expected height
     * @param width expected width
     * @param expectedBy where the expected size comes from, e.g. "the model's size"; may be empty
     * @throws InvalidDataException naming the first image of another size, its size and the
     *     expected one
     */
    public abstract void requireSize(int height, int width, String expectedBy) throws InvalidDataException;

    /** Where {@link #height()} and {@link #width()} come from, for error messages. */
    abstract String sizeReason();

    /**
     * Reads all images.
     *
     * @param format channels and value conversion
     * @return the images, in source order
     * @throws InvalidDataException if an image cannot be decoded or the images differ in size
     * @throws IOException if reading fails
     */
    public DataSet read(ImageFormat format) throws IOException {
        int[] all = new int[count()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return read(format, new int[][] {all})[0];
    }

    /**
     * Splits the images into a training and a validation set by a seeded shuffle (see
     * {@link DataSplit}) and reads both in one pass.
     *
     * @param format channels and value conversion
     * @param validationFraction share of images for validation, in [0, 1); 0 gives no
     *     validation set
     * @param seed shuffle seed
     * @return the split
     * @throws IllegalArgumentException if the fraction is outside [0, 1) or leaves no training image
     * @throws InvalidDataException if an image cannot be decoded or the images differ in size
     * @throws IOException if reading fails
     */
    public DataSplit readSplit(ImageFormat format, double validationFraction, long seed) throws IOException {
        int[][] indices = DataSplit.indices(count(), validationFraction, seed);
        DataSet[] sets = read(format, new int[][] {indices[1], indices[0]});
        return new DataSplit(sets[0], indices[0].length == 0 ? null : sets[1]);
    }

    /**
     * Reads the images at the given indices into one array per index set. An index must appear in
     * at most one set.
     */
    private DataSet[] read(ImageFormat format, int[][] sets) throws IOException {
        Objects.requireNonNull(format, "format");
        requireSize(height(), width(), sizeReason());
        // Sides are at most Images.MAX_SIDE (checked from the headers), so this cannot overflow.
        int imageBytes = format.channels() * height() * width();
        int[] destination = new int[count()];
        int[] position = new int[count()];
        java.util.Arrays.fill(destination, -1);
        byte[][] arrays = new byte[sets.length][];
        for (int s = 0; s < sets.length; s++) {
            long bytes = (long) sets[s].length * imageBytes;
            if (bytes > Integer.MAX_VALUE - 8) {
                throw new InvalidDataException("data: " + sets[s].length + " images of " + format.channels() + " x "
                        + height() + " x " + width() + " need more bytes than a Java array holds; read fewer images");
            }
            arrays[s] = new byte[(int) bytes];
            for (int p = 0; p < sets[s].length; p++) {
                int index = sets[s][p];
                Objects.checkIndex(index, count());
                if (destination[index] >= 0) {
                    throw new IllegalArgumentException("read: image " + index + " is in two index sets");
                }
                destination[index] = s;
                position[index] = p;
            }
        }
        decode(format, (index, pixels) -> {
            int s = destination[index];
            if (s >= 0) {
                System.arraycopy(pixels, 0, arrays[s], position[index] * imageBytes, imageBytes);
            }
        }, lastNeeded(destination));
        DataSet[] result = new DataSet[sets.length];
        for (int s = 0; s < sets.length; s++) {
            CRC32C crc = new CRC32C();
            crc.update(arrays[s]);
            Images images = Images.adopt(arrays[s], sets[s].length, format.channels(), height(), width());
            int[] all = labels();
            if (all != null) {
                int[] picked = new int[sets[s].length];
                for (int p = 0; p < picked.length; p++) {
                    picked[p] = all[sets[s][p]];
                }
                images = images.withLabels(picked);
            }
            result[s] = new DataSet(this, images, sets[s].clone(), format, crc.getValue());
        }
        return result;
    }

    private static int lastNeeded(int[] destination) {
        for (int i = destination.length - 1; i >= 0; i--) {
            if (destination[i] >= 0) {
                return i;
            }
        }
        return -1;
    }

    /** Receives one decoded, converted image. */
    interface ImageSink {
        /**
         * @param index the image's index in the source
         * @param pixels its C x H x W values in the requested format (reused between calls)
         */
        void accept(int index, byte[] pixels);
    }

    /**
     * Decodes images 0..last in order, converting them to {@code format}, and hands each to the
     * sink. Images the sink does not want may be skipped cheaply where the format allows.
     */
    abstract void decode(ImageFormat format, ImageSink sink, int last) throws IOException;

    @Override
    public String toString() {
        return description();
    }

    /** The kind of a file, by its first bytes. */
    enum Kind {
        IDX, PNG, JPEG, OTHER;

        static Kind of(Path file) throws IOException {
            byte[] head = head(file, 4);
            if (head.length >= 4 && (head[0] & 0xFF) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G') {
                return PNG;
            }
            if (head.length >= 3 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xD8 && (head[2] & 0xFF) == 0xFF) {
                return JPEG;
            }
            if (head.length >= 2 && ((head[0] == 0 && head[1] == 0)
                    || ((head[0] & 0xFF) == 0x1F && (head[1] & 0xFF) == 0x8B))) {
                return IDX;
            }
            return OTHER;
        }

        static String firstBytes(Path file) throws IOException {
            byte[] head = head(file, 4);
            if (head.length == 0) {
                return "nothing: it is empty";
            }
            StringBuilder s = new StringBuilder();
            for (byte b : head) {
                s.append(s.length() == 0 ? "" : " ").append(String.format("%02X", b & 0xFF));
            }
            return s.toString();
        }

        private static byte[] head(Path file, int n) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                return in.readNBytes(n);
            }
        }
    }
}
