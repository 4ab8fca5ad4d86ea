package org.pixelcnn4j.spark;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.InvalidDataException;
import org.pixelcnn4j.data.Png;

/**
 * The column of a DataFrame that holds the images, in one of the three forms Spark gives them,
 * read into 8-bit intensities of the model's shape (C x H x W, the layout of {@link Images}):
 * <ul>
 *   <li>binary: an encoded image, PNG or JPEG (or any format the JDK's ImageIO reads), as the
 *       {@code binaryFile} source gives it in {@code content};</li>
 *   <li>the struct of the {@code image} source (origin, height, width, nChannels, mode, data:
 *       rows of B, G, R(, A) bytes);</li>
 *   <li>an array of bytes (or shorts, ints, longs): the intensities 0..255 themselves, C x H x W
 *       (a byte below 0 is read as unsigned: -1 is 255).</li>
 * </ul>
 * Colour is turned into gray for a 1-channel model by the ITU-R BT.601 weights, gray repeated
 * into R, G and B for a 3-channel one, as {@link Png#fromBufferedImages} does.
 */
final class ImageColumn implements Serializable {
    private static final long serialVersionUID = 1L;

    enum Kind { ENCODED, SPARK_IMAGE, PIXELS }

    private final String name;
    private final int index;
    private final Kind kind;
    private final int pathIndex;  // the binaryFile source's "path" column, for messages; -1 if none

    private ImageColumn(String name, int index, Kind kind, int pathIndex) {
        this.name = name;
        this.index = index;
        this.kind = kind;
        this.pathIndex = pathIndex;
    }

    /**
     * The image column of {@code schema}: {@code name}, or with null the first of "content"
     * (binaryFile), "image" (the image source) and "pixels" that exists.
     *
     * @throws IllegalArgumentException if there is no such column or its type is none of the three
     */
    static ImageColumn resolve(StructType schema, String name) {
        String chosen = name;
        if (chosen == null) {
            for (String candidate : new String[] {"content", "image", "pixels"}) {
                if (List.of(schema.fieldNames()).contains(candidate)) {
                    chosen = candidate;
                    break;
                }
            }
            if (chosen == null) {
                throw new IllegalArgumentException("no image column: expected one named content (binaryFile), image "
                        + "(the image source) or pixels, or name it with optInputCol; the columns are "
                        + String.join(", ", schema.fieldNames()));
            }
        }
        if (!List.of(schema.fieldNames()).contains(chosen)) {
            throw new IllegalArgumentException("image column \"" + chosen + "\" does not exist; the columns are "
                    + String.join(", ", schema.fieldNames()));
        }
        int index = schema.fieldIndex(chosen);
        DataType type = schema.fields()[index].dataType();
        Kind kind;
        if (type instanceof BinaryType) {
            kind = Kind.ENCODED;
        } else if (type instanceof StructType struct && isSparkImage(struct)) {
            kind = Kind.SPARK_IMAGE;
        } else if (type instanceof ArrayType array && isInteger(array.elementType())) {
            kind = Kind.PIXELS;
        } else {
            throw new IllegalArgumentException("image column \"" + chosen + "\" has type " + type.simpleString()
                    + "; expected binary (encoded PNG or JPEG), the image source's struct, or an array of "
                    + "intensities (array<tinyint> or array<int>)");
        }
        int pathIndex = List.of(schema.fieldNames()).contains("path")
                && schema.fields()[schema.fieldIndex("path")].dataType().simpleString().equals("string")
                ? schema.fieldIndex("path") : -1;
        return new ImageColumn(chosen, index, kind, pathIndex);
    }

    private static boolean isSparkImage(StructType struct) {
        List<String> names = List.of(struct.fieldNames());
        return names.containsAll(List.of("height", "width", "nChannels", "data"));
    }

    private static boolean isInteger(DataType type) {
        return type instanceof ByteType || type instanceof ShortType || type instanceof IntegerType
                || type instanceof LongType;
    }

    String name() {
        return name;
    }

    Kind kind() {
        return kind;
    }

    /** Where a row's image came from, for messages: its path, the image source's origin, or the column. */
    String origin(Row row) {
        if (pathIndex >= 0 && !row.isNullAt(pathIndex)) {
            return row.getString(pathIndex);
        }
        if (kind == Kind.SPARK_IMAGE && !row.isNullAt(index)) {
            Row image = row.getStruct(index);
            List<String> fields = List.of(image.schema().fieldNames());
            if (fields.contains("origin") && !image.isNullAt(image.fieldIndex("origin"))) {
                return image.getString(image.fieldIndex("origin"));
            }
        }
        return "column " + name;
    }

    /**
     * The row's image as 8-bit intensities of {@code shape}'s channels, height and width into
     * {@code out} at {@code offset} ({@code shape.dimensions()} bytes).
     *
     * @throws InvalidDataException naming the image if it is null, cannot be decoded or has
     *     another size
     */
    void readInto(Row row, ModelShape shape, byte[] out, int offset) {
        if (row.isNullAt(index)) {
            throw new InvalidDataException(origin(row) + ": the image is null");
        }
        switch (kind) {
            case ENCODED -> readEncoded(row, shape, out, offset);
            case SPARK_IMAGE -> readSparkImage(row, shape, out, offset);
            case PIXELS -> readPixels(row, shape, out, offset);
            default -> throw new IllegalStateException(kind.toString());
        }
    }

    private void readEncoded(Row row, ModelShape shape, byte[] out, int offset) {
        byte[] bytes = (byte[]) row.get(index);
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new InvalidDataException(origin(row) + ": not a readable image (" + e.getMessage() + ")");
        }
        if (image == null) {
            throw new InvalidDataException(origin(row) + ": not an image ImageIO can read (" + bytes.length
                    + " bytes; expected PNG or JPEG)");
        }
        checkSize(row, shape, image.getHeight(), image.getWidth());
        Images one = Png.fromBufferedImages(List.of(image), shape.channels());
        System.arraycopy(one.toArray(), 0, out, offset, shape.dimensions());
    }

    private void readSparkImage(Row row, ModelShape shape, byte[] out, int offset) {
        Row image = row.getStruct(index);
        int height = image.getInt(image.fieldIndex("height"));
        int width = image.getInt(image.fieldIndex("width"));
        int channels = image.getInt(image.fieldIndex("nChannels"));
        byte[] data = (byte[]) image.get(image.fieldIndex("data"));
        checkSize(row, shape, height, width);
        if (channels != 1 && channels != 3 && channels != 4) {
            throw new InvalidDataException(origin(row) + ": expected 1, 3 or 4 channels, got " + channels);
        }
        if (data == null || data.length != height * width * channels) {
            throw new InvalidDataException(origin(row) + ": expected " + height * width * channels
                    + " bytes of image data, got " + (data == null ? "none" : data.length));
        }
        int plane = height * width;
        for (int p = 0; p < plane; p++) {
            int base = p * channels;
            int r;
            int g;
            int b;
            if (channels == 1) {
                r = data[base] & 0xFF;
                g = r;
                b = r;
            } else {  // B, G, R(, A): OpenCV's order, which the image source keeps
                b = data[base] & 0xFF;
                g = data[base + 1] & 0xFF;
                r = data[base + 2] & 0xFF;
            }
            if (shape.channels() == 1) {
                out[offset + p] = (byte) (channels == 1 ? r : (299 * r + 587 * g + 114 * b + 500) / 1000);
            } else {
                out[offset + p] = (byte) r;
                out[offset + plane + p] = (byte) g;
                out[offset + 2 * plane + p] = (byte) b;
            }
        }
    }

    private void readPixels(Row row, ModelShape shape, byte[] out, int offset) {
        List<Object> values = row.getList(index);
        if (values.size() != shape.dimensions()) {
            throw new InvalidDataException(origin(row) + ": expected " + shape.dimensions() + " intensities ("
                    + shape.channels() + " x " + shape.height() + " x " + shape.width() + "), got " + values.size());
        }
        for (int i = 0; i < values.size(); i++) {
            Object v = values.get(i);
            if (v == null) {
                throw new InvalidDataException(origin(row) + ": intensity " + i + " is null");
            }
            long x = ((Number) v).longValue();
            if (v instanceof Byte) {
                x &= 0xFF;
            }
            if (x < 0 || x > 255) {
                throw new InvalidDataException(origin(row) + ": intensity " + x + " at index " + i
                        + " is outside 0..255");
            }
            out[offset + i] = (byte) x;
        }
    }

    private void checkSize(Row row, ModelShape shape, int height, int width) {
        if (height != shape.height() || width != shape.width()) {
            throw new InvalidDataException(origin(row) + ": expected a " + shape.height() + "x" + shape.width()
                    + " image (the model's size), got " + height + "x" + width);
        }
    }

    /** The intensities of a list of rows, as one batch (not yet binarized or quantized). */
    Images read(List<Row> rows, ModelShape shape) {
        byte[] data = new byte[rows.size() * shape.dimensions()];
        for (int i = 0; i < rows.size(); i++) {
            readInto(rows.get(i), shape, data, i * shape.dimensions());
        }
        return Images.adopt(data, rows.size(), shape.channels(), shape.height(), shape.width());
    }

    static List<Row> take(java.util.Iterator<Row> rows, int max) {
        List<Row> batch = new ArrayList<>(max);
        while (batch.size() < max && rows.hasNext()) {
            batch.add(rows.next());
        }
        return batch;
    }
}
