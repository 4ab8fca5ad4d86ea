package org.pixelcnn4j.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.SamplingConfig;

/**
 * Draws images on the executors: N images over P partitions, image {@code i} keyed by its global
 * index {@code i} in the engine's counter-based generator (seed, image, position, channel), so
 * the images are those {@link PixelCnn#sample(int, SamplingConfig)} draws on one machine with the
 * same seed and temperature, whatever P, the batch size or the executors.
 *
 * <p>Rows: {@value #INDEX} (long, 0..N-1), {@value #LABEL} (int, conditional models only) and
 * {@value #PIXELS} (binary: the C x H x W values of the image, 0..levels-1, the layout of
 * {@link Images}); {@link #toImages} gathers them into one batch on the driver.
 *
 * <pre>{@code
 * try (PixelCnnSampler sampler = PixelCnnSampler.builder(spark).setModel(model).build()) {
 *     Dataset<Row> rows = sampler.sample(100_000, 64, SamplingConfig.ofSeed(7));
 *     rows.write().parquet("samples");
 * }
 * }</pre>
 */
public final class PixelCnnSampler implements AutoCloseable {
    /** Column of the image's global index. */
    public static final String INDEX = "index";
    /** Column of a conditional model's class label. */
    public static final String LABEL = "label";
    /** Column of the image's values, C x H x W bytes. */
    public static final String PIXELS = "pixels";

    private final JavaSparkContext sc;
    private final SparkSession spark;
    private final ModelSource source;
    private final List<Broadcast<?>> broadcasts = new ArrayList<>();
    private boolean closed;

    private PixelCnnSampler(SparkSession spark, ModelSource source) {
        this.spark = spark;
        this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        this.source = source;
    }

    /**
     * @param spark the session whose executors draw
     * @return a builder; a checkpoint or a model must be set
     */
    public static Builder builder(SparkSession spark) {
        return new Builder(spark);
    }

    /**
     * Draws {@code count} images from an unconditional model (lazily: when an action runs).
     *
     * @param count images, positive
     * @param partitions partitions (tasks) to draw them in, positive
     * @param sampling seed, temperature, batch size and algorithm (its listener, cancellation
     *     and first index are not used: indices run from 0)
     * @return one row per image
     * @throws IllegalArgumentException if the model is conditional or a count is not positive
     */
    public Dataset<Row> sample(long count, int partitions, SamplingConfig sampling) {
        if (source.shape().classes() > 0) {
            throw new IllegalArgumentException("sample: the model is conditioned on " + source.shape().classes()
                    + " classes; give one label per image: sample(labels, partitions, sampling)");
        }
        return draw(count, null, partitions, sampling);
    }

    /**
     * Draws one image per label from a class-conditional model, image {@code i} from
     * {@code p(x | labels[i])}, as {@link PixelCnn#sample(int[], SamplingConfig)} does.
     *
     * @param labels one class in [0, classes) per image
     * @param partitions partitions to draw them in, positive
     * @param sampling seed, temperature, batch size and algorithm
     * @return one row per image, with its label
     * @throws IllegalArgumentException if the model is unconditional or a label is out of range
     */
    public Dataset<Row> sample(int[] labels, int partitions, SamplingConfig sampling) {
        Objects.requireNonNull(labels, "labels");
        int classes = source.shape().classes();
        if (classes == 0) {
            throw new IllegalArgumentException("sample(labels, ...): the model is unconditional (classes = 0)");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("labels[" + i + "]: label " + labels[i] + " is outside [0, "
                        + (classes - 1) + "]");
            }
        }
        return draw(labels.length, labels.clone(), partitions, sampling);
    }

    private Dataset<Row> draw(long count, int[] labels, int partitions, SamplingConfig sampling) {
        if (closed) {
            throw new IllegalStateException("this PixelCnnSampler is closed");
        }
        Objects.requireNonNull(sampling, "sampling");
        if (count <= 0) {
            throw new IllegalArgumentException("count: expected a positive number of images, got " + count);
        }
        if (partitions <= 0) {
            throw new IllegalArgumentException("partitions: expected a positive count, got " + partitions);
        }
        Broadcast<int[]> labelBroadcast = null;
        if (labels != null) {
            labelBroadcast = sc.broadcast(labels);
            broadcasts.add(labelBroadcast);
        }
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField(INDEX, DataTypes.LongType, false));
        if (labels != null) {
            fields.add(DataTypes.createStructField(LABEL, DataTypes.IntegerType, false));
        }
        fields.add(DataTypes.createStructField(PIXELS, DataTypes.BinaryType, false));
        DrawPartition task = new DrawPartition(source, labelBroadcast, sampling.seed(), sampling.temperature(),
                sampling.batchSize(), sampling.cached());
        return spark.range(0, count, 1, partitions).mapPartitions(task, Encoders.row(DataTypes.createStructType(fields)));
    }

    /**
     * Gathers sampled rows on the driver into one batch, image {@code i} at position {@code i}
     * (labelled for a conditional model).
     *
     * @param rows rows of {@link #sample}, any order, every index 0..N-1 once
     * @param channels the model's channels
     * @param height the model's height
     * @param width the model's width
     * @return the images
     * @throws IllegalArgumentException if an index is missing, repeated or a row has another size
     */
    public static Images toImages(List<Row> rows, int channels, int height, int width) {
        int n = rows.size();
        int size = channels * height * width;
        byte[] data = new byte[n * size];
        int[] labels = null;
        boolean[] seen = new boolean[n];
        for (Row row : rows) {
            long index = row.getLong(row.fieldIndex(INDEX));
            if (index < 0 || index >= n || seen[(int) index]) {
                throw new IllegalArgumentException("image index " + index + " is outside 0.." + (n - 1)
                        + " or repeated");
            }
            seen[(int) index] = true;
            byte[] pixels = (byte[]) row.get(row.fieldIndex(PIXELS));
            if (pixels.length != size) {
                throw new IllegalArgumentException("image " + index + ": expected " + size + " values, got "
                        + pixels.length);
            }
            System.arraycopy(pixels, 0, data, (int) index * size, size);
            if (List.of(row.schema().fieldNames()).contains(LABEL)) {
                if (labels == null) {
                    labels = new int[n];
                }
                labels[(int) index] = row.getInt(row.fieldIndex(LABEL));
            }
        }
        Images images = Images.adopt(data, n, channels, height, width);
        return labels == null ? images : images.withLabels(labels);
    }

    /** Drops the broadcasts (the model's, the labels') on the executors. Closing twice is harmless. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (Broadcast<?> b : broadcasts) {
                b.destroy();
            }
            source.destroy();
        }
    }

    /** One partition's indices (contiguous runs, as spark.range gives them), drawn batch by batch. */
    private static final class DrawPartition implements MapPartitionsFunction<Long, Row> {
        private static final long serialVersionUID = 1L;
        private final ModelSource source;
        private final Broadcast<int[]> labels;
        private final long seed;
        private final double temperature;
        private final int batchSize;
        private final boolean cached;

        DrawPartition(ModelSource source, Broadcast<int[]> labels, long seed, double temperature, int batchSize,
                boolean cached) {
            this.source = source;
            this.labels = labels;
            this.seed = seed;
            this.temperature = temperature;
            this.batchSize = batchSize;
            this.cached = cached;
        }

        @Override
        public Iterator<Row> call(Iterator<Long> indices) {
            List<Row> out = new ArrayList<>();
            PixelCnn model = null;
            long runStart = -1;
            long runEnd = -1;
            while (true) {
                boolean more = indices.hasNext();
                long next = more ? indices.next() : -1;
                boolean extends_ = more && next == runEnd;
                if (!extends_ && runStart >= 0) {
                    if (model == null) {
                        model = ExecutorModels.borrowForTask(source);
                    }
                    drawRun(model, runStart, runEnd, out);
                    runStart = -1;
                }
                if (!more) {
                    break;
                }
                if (runStart < 0) {
                    runStart = next;
                }
                runEnd = next + 1;
            }
            return out.iterator();
        }

        private void drawRun(PixelCnn model, long start, long end, List<Row> out) {
            ModelShape shape = source.shape();
            for (long first = start; first < end; first += batchSize) {
                int n = (int) Math.min(batchSize, end - first);
                SamplingConfig sampling = SamplingConfig.builder().optSeed(seed).optTemperature(temperature)
                        .optBatchSize(batchSize).optCached(cached).optFirstIndex(first).build();
                Images images;
                int[] batchLabels = null;
                if (labels != null) {
                    batchLabels = java.util.Arrays.copyOfRange(labels.value(), (int) first, (int) first + n);
                    images = model.sample(batchLabels, sampling);
                } else {
                    images = model.sample(n, sampling);
                }
                byte[] data = images.toArray();
                int size = shape.dimensions();
                for (int i = 0; i < n; i++) {
                    byte[] pixels = java.util.Arrays.copyOfRange(data, i * size, (i + 1) * size);
                    out.add(batchLabels == null ? RowFactory.create(first + i, pixels)
                            : RowFactory.create(first + i, batchLabels[i], pixels));
                }
            }
        }
    }

    /** Builds a {@link PixelCnnSampler}. */
    public static final class Builder {
        private final SparkSession spark;
        private Path checkpoint;
        private PixelCnn model;

        private Builder(SparkSession spark) {
            this.spark = Objects.requireNonNull(spark, "spark");
        }

        /**
         * @param checkpoint a checkpoint written by {@link PixelCnn#save}
         * @return this builder
         */
        public Builder setCheckpoint(Path checkpoint) {
            this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
            this.model = null;
            return this;
        }

        /**
         * @param model a model whose weights, as they are when {@link #build} runs, the executors get
         * @return this builder
         */
        public Builder setModel(PixelCnn model) {
            this.model = Objects.requireNonNull(model, "model");
            this.checkpoint = null;
            return this;
        }

        /**
         * @return the sampler
         * @throws IOException if the checkpoint cannot be read
         * @throws IllegalStateException if neither a checkpoint nor a model was set
         */
        public PixelCnnSampler build() throws IOException {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            return new PixelCnnSampler(spark, ModelSource.ofEither(sc, checkpoint, model, "PixelCnnSampler"));
        }
    }
}
