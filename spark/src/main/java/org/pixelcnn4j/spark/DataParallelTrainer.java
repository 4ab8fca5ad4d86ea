package org.pixelcnn4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.pixelcnn4j.BatchSchedule;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Mutation;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.TrainingListener;
import org.pixelcnn4j.TrainingProgress;

/**
 * Synchronous data-parallel training on Spark: every step's batch, the one
 * {@link PixelCnn#train} would take at that step ({@link BatchSchedule}: same shuffle seed, same
 * images), is split over the executors by where its images are cached; each partition computes
 * the gradient of its share ({@link PixelCnn#shareGradient}, scaled for the batch's mean), the
 * driver sums the shares in partition order and takes one Adam step on its model
 * ({@link PixelCnn#applyGradient}), and the next step's weights go out again. The driver's model
 * is the only one that is updated, so every executor computes with the same weights, and the
 * result equals one machine's training on the same batches within float rounding (only the
 * order of the gradient's additions differs).
 *
 * <p>Why a result stage summed on the driver, and neither treeAggregate nor a barrier stage:
 * treeAggregate merges partial sums in the order tasks finish, so float sums (and with them the
 * weights) would change from run to run; a barrier stage needs every task slot at once and
 * restarts the whole stage when one task fails, and its allGather carries strings. Here each
 * partition's gradient comes back in the job's result (Spark keeps results in partition order),
 * is added in double in that order, and a lost executor only makes Spark rerun its tasks, which
 * compute the same shares again: the weights are the same, bit for bit, with or without the
 * failure, on any number of executors for the same partitioning. The cost is one gradient per
 * non-empty partition into the driver each step (see README "Scaling out" for the figures).
 *
 * <p>Checkpoints are written by the driver with {@link PixelCnn#save} (atomically), in the
 * format and with the step count of one-machine training: loading one and training on resumes
 * exactly, here or on one machine.
 *
 * <pre>{@code
 * try (TrainingData data = TrainingData.fromDataset(files, config, null, null, 127);
 *      PixelCnn model = PixelCnn.create(config)) {
 *     DataParallelTrainer.builder(spark).optCheckpoint(Path.of("model.safetensors"), 500).build()
 *             .train(model, data, TrainingConfig.builder().setSteps(5000).optBatchSize(256).build(), null);
 * }
 * }</pre>
 */
public final class DataParallelTrainer {
    private final JavaSparkContext sc;
    private final Path checkpoint;
    private final int checkpointEvery;

    private DataParallelTrainer(Builder b) {
        this.sc = JavaSparkContext.fromSparkContext(b.spark.sparkContext());
        this.checkpoint = b.checkpoint;
        this.checkpointEvery = b.checkpointEvery;
    }

    /**
     * @param spark the session whose executors compute the gradients
     * @return a builder
     */
    public static Builder builder(SparkSession spark) {
        return new Builder(spark);
    }

    /**
     * Trains {@code model} (on the driver) for {@link TrainingConfig#steps()} steps on batches of
     * {@code data}, continuing from the model's step count as {@link PixelCnn#train} does. If
     * the calling thread is interrupted, training stops after the current step.
     *
     * @param model the model to update; its step count picks the first batch
     * @param data the training set, of the model's shape (labelled for a conditional model)
     * @param training steps, batch size, Adam settings and shuffle seed
     * @param listener receives every step on the calling thread; may be null
     * @return the progress of the last step, or null if interrupted before the first
     * @throws IllegalArgumentException if the data does not fit the model or the batch is
     *     larger than the data set
     */
    public TrainingProgress train(PixelCnn model, TrainingData data, TrainingConfig training,
            TrainingListener listener) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(training, "training");
        PixelCnnConfig config = model.config();
        if (data.channels() != config.channels() || data.height() != config.height()
                || data.width() != config.width()) {
            throw new IllegalArgumentException(String.format("training data: expected images of %d channel(s) x %dx%d,"
                    + " got %d x %dx%d", config.channels(), config.height(), config.width(), data.channels(),
                    data.height(), data.width()));
        }
        if (data.labelled() != (config.classes() > 0)) {
            throw new IllegalArgumentException(config.classes() > 0
                    ? "training data: the model is conditioned on " + config.classes() + " classes; expected labels"
                    : "training data: the images carry labels but the model is unconditional");
        }
        int batchSize = training.batchSize();
        if (batchSize > data.count()) {
            throw new IllegalArgumentException("batchSize: expected at most the " + data.count()
                    + " training images, got " + batchSize);
        }
        BatchSchedule schedule = new BatchSchedule(data.count(), batchSize, training.shuffleSeed());
        // The executors' models: this model's structure once; their weights come with every step.
        ModelSource source = ModelSource.ofModel(sc, model, true);
        double bitsPerNat = 1.0 / (config.dimensions() * Math.log(2.0));
        TrainingProgress last = null;
        try {
            for (int i = 1; i <= training.steps(); i++) {
                if (Thread.currentThread().isInterrupted()) {
                    break;
                }
                long t0 = System.nanoTime();
                StepResult step = step(model, source, data, schedule.indices(model.step()), training);
                double seconds = (System.nanoTime() - t0) / 1e9;
                double loss = step.nllSum() / batchSize;
                last = new TrainingProgress(step.stepAfter(), i, training.steps(), loss, loss * bitsPerNat,
                        batchSize / seconds);
                if (checkpoint != null && (step.stepAfter() % checkpointEvery == 0 || i == training.steps())) {
                    save(model);
                }
                if (listener != null) {
                    listener.onStep(last);
                }
            }
            return last;
        } finally {
            source.destroy();
        }
    }

    private record StepResult(long stepAfter, double nllSum) {
    }

    /** One step: weights and batch out, the partitions' gradients back, summed, one Adam step. */
    private StepResult step(PixelCnn model, ModelSource source, TrainingData data, int[] batch,
            TrainingConfig training) {
        Broadcast<StepInput> input = sc.broadcast(new StepInput(model.packedWeights(), batch, model.step(),
                training.mutationRate(), training.shuffleSeed()));
        try {
            List<Share> shares = data.blocks().map(new ShareGradient(source, input)).collect();
            int size = model.packedSize();
            double[] sum = new double[size];
            double nll = 0;
            int images = 0;
            for (Share share : shares) {
                if (share.count() == 0) {
                    continue;
                }
                images += share.count();
                nll += share.nllSum();
                float[] g = share.gradient();
                for (int j = 0; j < size; j++) {
                    sum[j] += g[j];
                }
            }
            if (images != batch.length) {
                throw new IllegalStateException("the partitions held " + images + " of the batch's " + batch.length
                        + " images: the training data changed while it was read");
            }
            float[] gradient = new float[size];
            for (int j = 0; j < size; j++) {
                gradient[j] = (float) sum[j];
            }
            return new StepResult(model.applyGradient(gradient, training), nll);
        } finally {
            input.destroy();
        }
    }

    private void save(PixelCnn model) {
        try {
            model.save(checkpoint);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the checkpoint " + checkpoint + ": " + e.getMessage(), e);
        }
    }

    /**
     * What every task of a step needs: the weights to compute with, the batch's image indices,
     * and what mutates them (the step, the mutation rate, the shuffle seed: {@link Mutation}).
     */
    record StepInput(float[] weights, int[] batch, long step, double mutationRate, long shuffleSeed)
            implements Serializable {
    }

    /** A partition's part of a step: its gradient (null when it holds none of the batch), NLL sum and count. */
    record Share(float[] gradient, double nllSum, int count) implements Serializable {
    }

    /** Executor side of a step: the share of the batch this block holds, and its gradient. */
    private static final class ShareGradient implements Function<TrainingData.Block, Share> {
        private static final long serialVersionUID = 1L;
        private final ModelSource source;
        private final Broadcast<StepInput> input;

        ShareGradient(ModelSource source, Broadcast<StepInput> input) {
            this.source = source;
            this.input = input;
        }

        @Override
        public Share call(TrainingData.Block block) {
            StepInput step = input.value();
            int[] batch = step.batch();
            int n = 0;
            for (int index : batch) {
                if (index >= block.first() && index < block.first() + block.count()) {
                    n++;
                }
            }
            if (n == 0) {
                return new Share(null, 0, 0);
            }
            ModelShape shape = source.shape();
            int size = shape.dimensions();
            byte[] values = new byte[n * size];
            int[] labels = block.labels() == null ? null : new int[n];
            int k = 0;
            for (int slot = 0; slot < batch.length; slot++) {  // in the batch's order
                long local = batch[slot] - block.first();
                if (local >= 0 && local < block.count()) {
                    System.arraycopy(block.values(), (int) local * size, values, k * size, size);
                    // Mutated as PixelCnn.train mutates the image in this slot of this step.
                    Mutation.apply(values, k * size, size, shape.levels(), step.mutationRate(), step.shuffleSeed(),
                            step.step(), slot);
                    if (labels != null) {
                        labels[k] = block.labels()[(int) local];
                    }
                    k++;
                }
            }
            Images share = Images.adopt(values, n, shape.channels(), shape.height(), shape.width());
            if (labels != null) {
                share = share.withLabels(labels);
            }
            PixelCnn model = ExecutorModels.borrowForTask(source);
            model.setPackedWeights(step.weights());
            float[] gradient = new float[step.weights().length];
            double nll = model.shareGradient(share, batch.length, gradient);
            return new Share(gradient, nll, n);
        }
    }

    /** Builds a {@link DataParallelTrainer}. */
    public static final class Builder {
        private final SparkSession spark;
        private Path checkpoint;
        private int checkpointEvery;

        private Builder(SparkSession spark) {
            this.spark = Objects.requireNonNull(spark, "spark");
        }

        /**
         * Saves the driver's model to {@code file} every {@code everySteps} steps of its step
         * count and after the last step (atomically: a crash leaves the previous checkpoint).
         *
         * @param file the checkpoint file
         * @param everySteps positive
         * @return this builder
         */
        public Builder optCheckpoint(Path file, int everySteps) {
            if (everySteps <= 0) {
                throw new IllegalArgumentException("everySteps: expected a positive count, got " + everySteps);
            }
            this.checkpoint = Objects.requireNonNull(file, "file");
            this.checkpointEvery = everySteps;
            return this;
        }

        /** @return the trainer */
        public DataParallelTrainer build() {
            return new DataParallelTrainer(this);
        }
    }
}
