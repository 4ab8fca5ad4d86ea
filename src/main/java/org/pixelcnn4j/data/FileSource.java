package org.pixelcnn4j.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.InvalidDataException;

/** PNG and JPEG files, read with ImageIO. Sizes and colour are taken from the headers when opened. */
final class FileSource extends ImageSource {
    private final List<Path> files;
    private final int[] heights;
    private final int[] widths;
    private final boolean[] colour;
    private final String description;

    private FileSource(List<Path> files, int[] heights, int[] widths, boolean[] colour, String description) {
        this.files = files;
        this.heights = heights;
        this.widths = widths;
        this.colour = colour;
        this.description = description;
    }

    /** The files of a folder that count as data: not hidden, not folders; sorted by name. */
    static List<Path> listFolder(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> !Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        }
    }

    /** The visible sub-folders of a folder, in sorted order. */
    static List<Path> listSubfolders(Path folder) throws IOException {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(Files::isDirectory)
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        }
    }

    /** Reads the header of every file: size and colour; rejects files that are not PNG or JPEG. */
    static FileSource scan(List<Path> files, String description) throws IOException {
        int n = files.size();
        int[] heights = new int[n];
        int[] widths = new int[n];
        boolean[] colour = new boolean[n];
        for (int i = 0; i < n; i++) {
            Path file = files.get(i);
            Kind kind = Kind.of(file);
            if (kind != Kind.PNG && kind != Kind.JPEG) {
                String where = description.startsWith("folder ") ? " in " + description : "";
                throw new InvalidDataException("data: " + file + where + " is not a PNG or JPEG image (it starts with "
                        + Kind.firstBytes(file) + "); expected only PNG or JPEG images"
                        + (where.isEmpty() ? "" : " in a data folder (hidden files and subfolders are ignored)"));
            }
            try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
                Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(kind == Kind.PNG ? "png" : "jpeg");
                if (in == null || !readers.hasNext()) {
                    throw new InvalidDataException("data: no ImageIO reader for " + kind + " in this JVM (reading "
                            + file + ")");
                }
                ImageReader reader = readers.next();
                try {
                    reader.setInput(in, true, true);
                    heights[i] = reader.getHeight(0);
                    widths[i] = reader.getWidth(0);
                    if (heights[i] > Images.MAX_SIDE || widths[i] > Images.MAX_SIDE) {
                        throw new InvalidDataException("data: " + file + " is " + heights[i] + "x" + widths[i]
                                + " pixels (height x width); a model takes at most " + Images.MAX_SIDE + "x"
                                + Images.MAX_SIDE);
                    }
                    colour[i] = !isGray(reader.getRawImageType(0));
                } finally {
                    reader.dispose();
                }
            } catch (IOException | RuntimeException e) {
                if (e instanceof InvalidDataException) {
                    throw e;
                }
                throw new InvalidDataException("data: cannot read the " + kind + " header of " + file + ": "
                        + e.getMessage(), e);
            }
        }
        return new FileSource(List.copyOf(files), heights, widths, colour, description + " (" + n + " image"
                + (n == 1 ? ")" : "s)"));
    }

    /** Whether a raw image type is gray; a palette counts as gray when all its entries are. */
    private static boolean isGray(ImageTypeSpecifier type) {
        if (type == null) {
            return false;
        }
        ColorModel model = type.getColorModel();
        if (model instanceof IndexColorModel palette) {
            for (int i = 0; i < palette.getMapSize(); i++) {
                if (palette.getRed(i) != palette.getGreen(i) || palette.getGreen(i) != palette.getBlue(i)) {
                    return false;
                }
            }
            return true;
        }
        return model.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    }

    @Override
    public int count() {
        return files.size();
    }

    @Override
    public int height() {
        return heights[0];
    }

    @Override
    public int width() {
        return widths[0];
    }

    @Override
    public boolean isColour() {
        for (boolean c : colour) {
            if (c) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Path file(int index) {
        return files.get(Objects.checkIndex(index, files.size()));
    }

    @Override
    public boolean hasFiles() {
        return true;
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
        if (limit >= files.size()) {
            return this;
        }
        String what = description.replaceFirst(" \\(\\d+ images?\\)$", "");
        return new FileSource(files.subList(0, limit), java.util.Arrays.copyOf(heights, limit),
                java.util.Arrays.copyOf(widths, limit), java.util.Arrays.copyOf(colour, limit), what + " (first " + limit + " of " + files.size()
                        + " images)");
    }

    @Override
    public void requireSize(int height, int width, String expectedBy) throws InvalidDataException {
        for (int i = 0; i < files.size(); i++) {
            if (heights[i] != height || widths[i] != width) {
                throw new InvalidDataException("data: " + files.get(i) + " is " + heights[i] + "x" + widths[i]
                        + " pixels (height x width); expected " + height + "x" + width
                        + (expectedBy.isEmpty() ? "" : ", " + expectedBy)
                        + (files.size() > 1 ? " (all images must have the same size)" : ""));
            }
        }
    }

    @Override
    String sizeReason() {
        return "the size of the first image, " + files.get(0).getFileName();
    }

    @Override
    void decode(ImageFormat format, ImageSink sink, int last) throws IOException {
        for (int i = 0; i <= last; i++) {
            Path file = files.get(i);
            BufferedImage image;
            try {
                image = ImageIO.read(file.toFile());
            } catch (IOException | RuntimeException e) {
                throw new InvalidDataException("data: cannot decode " + file + ": " + e.getMessage(), e);
            }
            if (image == null) {
                throw new InvalidDataException("data: cannot decode " + file + ": not a PNG or JPEG image");
            }
            if (image.getHeight() != height() || image.getWidth() != width()) {
                throw new InvalidDataException("data: " + file + " is " + image.getHeight() + "x" + image.getWidth()
                        + " pixels (height x width); expected " + height() + "x" + width() + " (it changed while"
                        + " being read)");
            }
            Images one = Png.fromBufferedImages(List.of(image), format.channels());
            sink.accept(i, format.convert(one).toArray());
        }
    }
}
