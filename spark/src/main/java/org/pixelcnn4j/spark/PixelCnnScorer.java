package org.pixelcnn4j.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.InvalidDataException;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.ood.InputComplexity;
import org.pixelcnn4j.ood.LikelihoodRatio;
import org.pixelcnn4j.ood.OodEvaluation;

/**
 * Scores the images of a DataFrame by exact log-likelihood, on the executors: {@link #transform}
 * adds the per-image negative log-likelihood in nats ({@value #NLL}) and in bits per dimension
 * ({@value #BITS_PER_DIM}), and for a class-conditional model {@value #CLASS_NLL}, the NLL under
 * each class, {@code -log p(x | y)}. The numbers are those {@link PixelCnn#logLikelihood} gives
 * on one machine, bit for bit. With a background model ({@link Builder#optBackgroundCheckpoint})
 * it adds the likelihood ratio ({@value #LIKELIHOOD_RATIO}, {@link LikelihoodRatio}), with
 * compressors ({@link Builder#optComplexity}) the input-complexity scores ({@code complexity},
 * {@code complexity_ID}, {@link InputComplexity}): the out-of-distribution scores of
 * {@link OodEvaluation}, the same numbers.
 *
 * <p>The model travels once to each executor, as its checkpoint bytes in a broadcast; each task
 * thread opens a native model from them on its first row (with spark.task.cpus engine threads)
 * and the executor keeps it for the next task until idle. The native library loads from the
 * pixelcnn4j native jar on the executors' class path (spark.jars), with no install.
 *
 * <pre>{@code
 * Dataset<Row> files = spark.read().format("binaryFile").load("hdfs:///images/*.png");
 * try (PixelCnnScorer scorer = PixelCnnScorer.builder(spark).setCheckpoint(Path.of("model.safetensors")).build()) {
 *     scorer.transform(files).select("path", "nll", "bits_per_dim").write().parquet("scores");
 * }
 * }</pre>
 */
public final class PixelCnnScorer implements AutoCloseable {
    /** Column of the per-image NLL, nats. */
    public static final String NLL = "nll";
    /** Column of the per-image NLL, bits per dimension. */
    public static final String BITS_PER_DIM = "bits_per_dim";
    /** Column of a conditional model's NLL under each class, nats: array of one double per class. */
    public static final String CLASS_NLL = "class_nll";
    /** Column of the likelihood ratio, NLL minus the background model's NLL, nats. */
    public static final String LIKELIHOOD_RATIO = "likelihood_ratio";

    private final ModelSource source;
    private final ModelSource background;
    private final List<InputComplexity.Compressor> compressors;
    private final String inputCol;
    private final String labelCol;
    private final int threshold;
    private final int batchSize;
    private boolean closed;

    private PixelCnnScorer(Builder b, ModelSource source, ModelSource background) {
        this.source = source;
        this.background = background;
        this.compressors = List.copyOf(b.compressors);
        this.inputCol = b.inputCol;
        this.labelCol = b.labelCol;
        this.threshold = b.threshold;
        this.batchSize = b.batchSize;
    }

    /**
     * @param spark the session whose executors score
     * @return a builder; a checkpoint or a model must be set
     */
    public static Builder builder(SparkSession spark) {
        return new Builder(spark);
    }

    /**
     * Adds the score columns to {@code images} (lazily: the scores are computed when an action
     * runs). Rows keep their order and every other column.
     *
     * <p>For a conditional model, {@value #NLL} is {@code -log p(x | label)} with the label
     * column (optLabelCol), or without one {@code -log p(x)} under a uniform prior over the
     * classes, {@code -log(mean_y p(x | y))}.
     *
     * @param images a DataFrame with an image column (see {@link Builder#optInputCol})
     * @return the DataFrame with the score columns appended
     * @throws IllegalArgumentException if the image column is missing or of another type, or a
     *     score column already exists
     * @throws IllegalStateException if the scorer is closed
     */
    public Dataset<Row> transform(Dataset<Row> images) {
        if (closed) {
            throw new IllegalStateException("this PixelCnnScorer is closed");
        }
        StructType in = images.schema();
        ImageColumn column = ImageColumn.resolve(in, inputCol);
        ModelShape shape = source.shape();
        int labelIndex = -1;
        if (labelCol != null) {
            if (shape.classes() == 0) {
                throw new IllegalArgumentException("optLabelCol: the model is unconditional; it has no classes to "
                        + "score under");
            }
            if (!List.of(in.fieldNames()).contains(labelCol)) {
                throw new IllegalArgumentException("label column \"" + labelCol + "\" does not exist; the columns are "
                        + String.join(", ", in.fieldNames()));
            }
            labelIndex = in.fieldIndex(labelCol);
        }
        List<StructField> fields = new ArrayList<>(List.of(in.fields()));
        for (String name : outputColumns()) {
            if (List.of(in.fieldNames()).contains(name)) {
                throw new IllegalArgumentException("the input already has a column \"" + name
                        + "\"; drop or rename it before scoring");
            }
            fields.add(name.equals(CLASS_NLL)
                    ? DataTypes.createStructField(CLASS_NLL, DataTypes.createArrayType(DataTypes.DoubleType, false),
                            false)
                    : DataTypes.createStructField(name, DataTypes.DoubleType, false));
        }
        StructType out = DataTypes.createStructType(fields);
        ScorePartition task = new ScorePartition(source, background, compressors, column, labelIndex, threshold,
                batchSize);
        return images.mapPartitions(task, Encoders.row(out));
    }

    /** The columns {@link #transform} appends, in order. */
    List<String> outputColumns() {
        List<String> names = new ArrayList<>(List.of(NLL, BITS_PER_DIM));
        if (source.shape().classes() > 0) {
            names.add(CLASS_NLL);
        }
        if (background != null) {
            names.add(LIKELIHOOD_RATIO);
        }
        for (InputComplexity.Compressor c : compressors) {
            names.add(OodEvaluation.complexityName(c));
        }
        return names;
    }

    /** Drops the model's broadcast on the executors and the driver. Closing twice is harmless. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            source.destroy();
            if (background != null) {
                background.destroy();
            }
        }
    }

    /** One partition's rows, scored in batches with a model borrowed for the task. */
    private static final class ScorePartition implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final ModelSource source;
        private final ModelSource background;
        private final List<InputComplexity.Compressor> compressors;
        private final ImageColumn column;
        private final int labelIndex;
        private final int threshold;
        private final int batchSize;

        ScorePartition(ModelSource source, ModelSource background, List<InputComplexity.Compressor> compressors,
                ImageColumn column, int labelIndex, int threshold, int batchSize) {
            this.source = source;
            this.background = background;
            this.compressors = compressors;
            this.column = column;
            this.labelIndex = labelIndex;
            this.threshold = threshold;
            this.batchSize = batchSize;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return new Iterator<>() {
                private PixelCnn model;
                private PixelCnn backgroundModel;
                private Iterator<Row> scored = Collections.emptyIterator();

                @Override
                public boolean hasNext() {
                    while (!scored.hasNext() && rows.hasNext()) {
                        scored = scoreBatch(ImageColumn.take(rows, batchSize)).iterator();
                    }
                    return scored.hasNext();
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return scored.next();
                }

                private List<Row> scoreBatch(List<Row> batch) {
                    if (model == null) {
                        model = ExecutorModels.borrowForTask(source);
                        backgroundModel = background == null ? null : ExecutorModels.borrowForTask(background);
                    }
                    ModelShape shape = source.shape();
                    Images images = shape.format(threshold).convert(column.read(batch, shape));
                    double[] nll;
                    double[][] classNll = null;
                    if (shape.classes() > 0) {
                        double[][] logp = model.classScores(images);
                        classNll = new double[batch.size()][];
                        for (int i = 0; i < batch.size(); i++) {
                            classNll[i] = new double[shape.classes()];
                            for (int y = 0; y < shape.classes(); y++) {
                                classNll[i][y] = -logp[i][y];
                            }
                        }
                        nll = labelIndex >= 0 ? model.logLikelihood(images.withLabels(labels(batch, shape)))
                                .natsArray() : uniformPriorNll(logp);
                    } else {
                        nll = model.logLikelihood(images).natsArray();
                    }
                    // The extra scores, one array each, in the order of outputColumns().
                    List<double[]> extra = new ArrayList<>();
                    if (backgroundModel != null) {
                        double[] q = backgroundModel.logLikelihood(images).natsArray();
                        double[] ratio = new double[nll.length];
                        for (int i = 0; i < ratio.length; i++) {
                            ratio[i] = nll[i] - q[i];
                        }
                        extra.add(ratio);
                    }
                    for (InputComplexity.Compressor c : compressors) {
                        extra.add(InputComplexity.scores(nll, InputComplexity.bits(images, shape.levels(), c)));
                    }
                    double perBit = shape.dimensions() * Math.log(2.0);
                    List<Row> out = new ArrayList<>(batch.size());
                    for (int i = 0; i < batch.size(); i++) {
                        Row row = batch.get(i);
                        int n = row.length();
                        Object[] values = new Object[n + 2 + (classNll == null ? 0 : 1) + extra.size()];
                        for (int f = 0; f < n; f++) {
                            values[f] = row.get(f);
                        }
                        int k = n;
                        values[k++] = nll[i];
                        values[k++] = nll[i] / perBit;
                        if (classNll != null) {
                            values[k++] = classNll[i];  // a double[]: Spark's encoder takes primitive arrays
                        }
                        for (double[] score : extra) {
                            values[k++] = score[i];
                        }
                        out.add(RowFactory.create(values));
                    }
                    return out;
                }
            };
        }

        private int[] labels(List<Row> batch, ModelShape shape) {
            int[] labels = new int[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                Row row = batch.get(i);
                if (row.isNullAt(labelIndex)) {
                    throw new InvalidDataException(column.origin(row) + ": the label is null");
                }
                long label = ((Number) row.get(labelIndex)).longValue();
                if (label < 0 || label >= shape.classes()) {
                    throw new InvalidDataException(column.origin(row) + ": label " + label + " is outside [0, "
                            + (shape.classes() - 1) + "] (the model's " + shape.classes() + " classes)");
                }
                labels[i] = (int) label;
            }
            return labels;
        }
    }

    /** -log(mean_y p(x | y)), by log-sum-exp: the NLL of the class mixture with a uniform prior. */
    static double[] uniformPriorNll(double[][] logp) {
        double[] nll = new double[logp.length];
        for (int i = 0; i < logp.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : logp[i]) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (double v : logp[i]) {
                sum += Math.exp(v - max);
            }
            nll[i] = -(max + Math.log(sum / logp[i].length));
        }
        return nll;
    }

    /** Builds a {@link PixelCnnScorer}. */
    public static final class Builder {
        private final SparkSession spark;
        private Path checkpoint;
        private PixelCnn model;
        private String inputCol;
        private String labelCol;
        private int threshold = 127;
        private int batchSize = 256;
        private Path backgroundCheckpoint;
        private PixelCnn backgroundModel;
        private List<InputComplexity.Compressor> compressors = List.of();

        private Builder(SparkSession spark) {
            this.spark = Objects.requireNonNull(spark, "spark");
        }

        /**
         * @param checkpoint a checkpoint written by {@link PixelCnn#save}, read on the driver
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
         * @param inputCol the image column; by default the first of content, image and pixels
         * @return this builder
         */
        public Builder optInputCol(String inputCol) {
            this.inputCol = inputCol;
            return this;
        }

        /**
         * @param labelCol for a conditional model: a column of class labels (integers) to score
         *     each image under; by default the uniform-prior mixture of the classes
         * @return this builder
         */
        public Builder optLabelCol(String labelCol) {
            this.labelCol = labelCol;
            return this;
        }

        /**
         * @param threshold for a binary model: intensities above it become 1 (default 127, the
         *     command line's)
         * @return this builder
         */
        public Builder optBinarizeThreshold(int threshold) {
            if (threshold < 0 || threshold > 255) {
                throw new IllegalArgumentException("binarize threshold: expected 0..255, got " + threshold);
            }
            this.threshold = threshold;
            return this;
        }

        /**
         * @param batchSize images a task scores per engine call (default 256)
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batchSize: expected a positive count, got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * @param checkpoint a background model of the same images ({@link LikelihoodRatio}), read
         *     on the driver: adds the {@value PixelCnnScorer#LIKELIHOOD_RATIO} column
         * @return this builder
         */
        public Builder optBackgroundCheckpoint(Path checkpoint) {
            this.backgroundCheckpoint = Objects.requireNonNull(checkpoint, "checkpoint");
            this.backgroundModel = null;
            return this;
        }

        /**
         * @param model a background model of the same images, as it is when {@link #build} runs:
         *     adds the {@value PixelCnnScorer#LIKELIHOOD_RATIO} column
         * @return this builder
         */
        public Builder optBackgroundModel(PixelCnn model) {
            this.backgroundModel = Objects.requireNonNull(model, "model");
            this.backgroundCheckpoint = null;
            return this;
        }

        /**
         * @param compressors compressors whose input-complexity scores to add, one column each
         *     ({@link OodEvaluation#complexityName}: {@code complexity} for PNG)
         * @return this builder
         * @throws IllegalArgumentException if one is given twice
         */
        public Builder optComplexity(InputComplexity.Compressor... compressors) {
            List<InputComplexity.Compressor> list = List.of(compressors);
            if (new java.util.HashSet<>(list).size() != list.size()) {
                throw new IllegalArgumentException("optComplexity: each compressor once, got " + list);
            }
            this.compressors = list;
            return this;
        }

        /**
         * Reads the models (a corrupt checkpoint fails here) and broadcasts them.
         *
         * @return the scorer
         * @throws IOException if a checkpoint cannot be read
         * @throws IllegalStateException if neither a checkpoint nor a model was set
         * @throws IllegalArgumentException if the background model's images differ from the
         *     model's, or a compressor does not encode them losslessly
         */
        public PixelCnnScorer build() throws IOException {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            ModelSource source = ModelSource.ofEither(sc, checkpoint, model, "PixelCnnScorer");
            ModelSource background = null;
            try {
                ModelShape shape = source.shape();
                for (InputComplexity.Compressor c : compressors) {
                    if (!c.supports(shape.channels(), shape.levels())) {
                        throw new IllegalArgumentException("optComplexity: " + c.id() + " does not encode the model's "
                                + "images (" + shape + ") losslessly");
                    }
                }
                if (backgroundCheckpoint != null || backgroundModel != null) {
                    background = ModelSource.ofEither(sc, backgroundCheckpoint, backgroundModel, "background");
                    ModelShape b = background.shape();
                    if (b.channels() != shape.channels() || b.height() != shape.height() || b.width() != shape.width()
                            || b.levels() != shape.levels()) {
                        throw new IllegalArgumentException("background: expected a model of the same images as the "
                                + "model (" + shape + "), got " + b);
                    }
                }
                return new PixelCnnScorer(this, source, background);
            } catch (IOException | RuntimeException e) {
                source.destroy();
                if (background != null) {
                    background.destroy();
                }
                throw e;
            }
        }
    }
}
