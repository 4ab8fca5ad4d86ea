package org.pixelcnn4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.InvalidDataException;
import org.pixelcnn4j.PixelCnnConfig;
import scala.Tuple2;

/**
 * A training set spread over the executors for {@link DataParallelTrainer}: images numbered
 * 0..N-1 in the order of their source, held as one block of consecutive images per partition,
 * decoded once into the model's values and cached (memory, then disk). A block lost with its
 * executor is rebuilt from the source, so the source must give the same rows in the same order
 * when read again (files, tables and {@link #of} do; a nondeterministic query does not).
 */
public final class TrainingData implements AutoCloseable {

    /** Images {@code first .. first+count-1} of the set: values and (conditional models) labels. */
    record Block(long first, int count, byte[] values, int[] labels) implements Serializable {
    }

    private final JavaRDD<Block> blocks;
    private final int count;
    private final int channels;
    private final int height;
    private final int width;
    private final boolean labelled;
    private final int partitions;
    private final List<Broadcast<?>> broadcasts = new ArrayList<>();

    private TrainingData(JavaRDD<Block> blocks, int channels, int height, int width, boolean labelled) {
        this.blocks = blocks.persist(StorageLevel.MEMORY_AND_DISK());
        long total = 0;
        int parts = 0;
        for (Block b : this.blocks.map(b -> new Block(b.first(), b.count(), null, null)).collect()) {
            total += b.count();
            parts++;
        }
        if (total == 0) {
            this.blocks.unpersist();
            throw new IllegalArgumentException("training data: expected at least one image, got none");
        }
        if (total > Integer.MAX_VALUE) {
            this.blocks.unpersist();
            throw new IllegalArgumentException("training data: at most " + Integer.MAX_VALUE + " images, got " + total);
        }
        this.count = (int) total;
        this.partitions = parts;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.labelled = labelled;
    }

    /**
     * Images held on the driver, split into {@code partitions} blocks of consecutive images (for
     * tests and data that fits one machine's memory; large sets come from {@link #fromDataset}).
     *
     * @param spark the session
     * @param images the training images, in the model's values (labelled for a conditional model)
     * @param partitions blocks, 1 to the number of images
     * @return the data, cached on the executors
     */
    public static TrainingData of(SparkSession spark, Images images, int partitions) {
        Objects.requireNonNull(images, "images");
        if (partitions <= 0 || partitions > images.count()) {
            throw new IllegalArgumentException("partitions: expected 1 to the " + images.count() + " images, got "
                    + partitions);
        }
        // The images travel once to each executor, in a broadcast; the tasks carry only their
        // range (a parallelized list would ship its slice inside every task of every step).
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int size = images.channels() * images.height() * images.width();
        Broadcast<byte[]> values = sc.broadcast(images.toArray());
        Broadcast<int[]> labels = images.hasLabels() ? sc.broadcast(images.labels()) : null;
        List<int[]> ranges = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            ranges.add(new int[] {(int) ((long) images.count() * p / partitions),
                (int) ((long) images.count() * (p + 1) / partitions)});
        }
        JavaRDD<Block> blocks = sc.parallelize(ranges, partitions).map(range -> new Block(range[0], range[1] - range[0],
                java.util.Arrays.copyOfRange(values.value(), range[0] * size, range[1] * size),
                labels == null ? null : java.util.Arrays.copyOfRange(labels.value(), range[0], range[1])));
        TrainingData data = new TrainingData(blocks, images.channels(), images.height(), images.width(),
                images.hasLabels());
        data.broadcasts.add(values);
        if (labels != null) {
            data.broadcasts.add(labels);
        }
        return data;
    }

    /**
     * The images of a DataFrame, in the forms {@link PixelCnnScorer} reads (binaryFile content,
     * the image source's struct, an array of intensities), binarized or quantized for the
     * model as the scorer does, numbered in the DataFrame's order, one block per partition.
     *
     * @param images the DataFrame
     * @param config the model's configuration (its shape, values and classes)
     * @param inputCol the image column, or null for the first of content, image and pixels
     * @param labelCol the label column (conditional models: integers in [0, classes)), or null
     * @param binarizeThreshold for a binary model: intensities above it become 1 (127 is the
     *     command line's)
     * @return the data, cached on the executors
     */
    public static TrainingData fromDataset(Dataset<Row> images, PixelCnnConfig config, String inputCol,
            String labelCol, int binarizeThreshold) {
        return fromDataset(images, config, inputCol, labelCol, binarizeThreshold, 0);
    }

    /**
     * As {@link #fromDataset(Dataset, PixelCnnConfig, String, String, int)}, with the rows first
     * merged into at most {@code partitions} partitions (coalesce: no shuffle, the order kept).
     * Every training step runs one task per partition, so a source of many small partitions
     * (binaryFile makes one per few files) trains faster merged to about one per executor core.
     *
     * @param partitions the most partitions to keep; 0 keeps the source's
     */
    public static TrainingData fromDataset(Dataset<Row> images, PixelCnnConfig config, String inputCol,
            String labelCol, int binarizeThreshold, int partitions) {
        if (partitions < 0) {
            throw new IllegalArgumentException("partitions: expected 0 (the source's) or a positive count, got "
                    + partitions);
        }
        if (partitions > 0 && partitions < images.rdd().getNumPartitions()) {
            images = images.coalesce(partitions);
        }
        ModelShape shape = ModelShape.of(config);
        if ((labelCol != null) != (shape.classes() > 0)) {
            throw new IllegalArgumentException(shape.classes() > 0
                    ? "labelCol: the model is conditioned on " + shape.classes() + " classes; name the label column"
                    : "labelCol: the model is unconditional; it takes no labels");
        }
        ImageColumn column = ImageColumn.resolve(images.schema(), inputCol);
        int labelIndex = labelCol == null ? -1 : images.schema().fieldIndex(labelCol);
        int threshold = binarizeThreshold;
        JavaRDD<Block> blocks = images.javaRDD().zipWithIndex().mapPartitions(
                (FlatMapFunction<Iterator<Tuple2<Row, Long>>, Block>) rows -> {
                    List<Tuple2<Row, Long>> all = new ArrayList<>();
                    rows.forEachRemaining(all::add);
                    if (all.isEmpty()) {
                        return java.util.Collections.emptyIterator();
                    }
                    List<Row> batch = new ArrayList<>(all.size());
                    int[] labels = labelIndex < 0 ? null : new int[all.size()];
                    for (int i = 0; i < all.size(); i++) {
                        Row row = all.get(i)._1();
                        batch.add(row);
                        if (labels != null) {
                            Object label = row.get(labelIndex);
                            long y = label == null ? -1 : ((Number) label).longValue();
                            if (y < 0 || y >= shape.classes()) {
                                throw new InvalidDataException(column.origin(row) + ": label " + label
                                        + " is outside [0, " + (shape.classes() - 1) + "]");
                            }
                            labels[i] = (int) y;
                        }
                    }
                    Images values = shape.format(threshold).convert(column.read(batch, shape));
                    return List.of(new Block(all.get(0)._2(), all.size(), values.toArray(), labels)).iterator();
                });
        return new TrainingData(blocks, shape.channels(), shape.height(), shape.width(), labelIndex >= 0);
    }

    /** @return images in the set */
    public int count() {
        return count;
    }

    /** @return partitions holding them (one block each, some perhaps empty) */
    public int partitions() {
        return partitions;
    }

    JavaRDD<Block> blocks() {
        return blocks;
    }

    int channels() {
        return channels;
    }

    int height() {
        return height;
    }

    int width() {
        return width;
    }

    boolean labelled() {
        return labelled;
    }

    /** Drops the cached blocks from the executors. */
    @Override
    public void close() {
        blocks.unpersist(false);
        for (Broadcast<?> b : broadcasts) {
            b.destroy();
        }
    }
}
