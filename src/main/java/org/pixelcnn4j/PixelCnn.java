package org.pixelcnn4j;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import org.pixelcnn4j.engine.AdamConfig;
import org.pixelcnn4j.engine.Config;
import org.pixelcnn4j.engine.Model;
import org.pixelcnn4j.engine.global.pixelcnn;
import org.pixelcnn4j.io.Safetensors;

/**
 * A PixelCNN computed by the native pixelcnn4j engine: train it, score images, draw samples,
 * save and load it.
 *
 * <p>A model owns native memory: close it (try-with-resources) when done. One model serves one
 * thread at a time; a call from a second thread while the first is inside the model throws
 * {@link IllegalStateException}. To work in parallel, use one model per thread (load the same
 * checkpoint several times) and give each a share of the cores with {@link Device#cpu(int)}.
 *
 * <pre>{@code
 * PixelCnnConfig config = PixelCnnConfig.builder().setImageShape(1, 28, 28).build();
 * Images train = FashionMnist.train(2000).binarize(127);
 * try (PixelCnn model = PixelCnn.create(config)) {
 *     model.train(train, TrainingConfig.builder().setSteps(300).build(),
 *             p -> System.out.println(p.step() + " " + p.bitsPerDim()));
 *     System.out.println(model.logLikelihood(train.slice(0, 100)));
 *     Png.writeGrid(model.sample(16, 42, 1.0), Path.of("samples.png"), 4, 2, 4);
 *     model.save(Path.of("model.safetensors"));
 * }
 * }</pre>
 */
public final class PixelCnn implements AutoCloseable {

    private static final double LN2 = Math.log(2.0);
    /** How the engine's messages about memory begin (pixelcnn::require_memory). */
    private static final String MEMORY_PREFIX = "memory: ";

    static {
        NativeLoader.load();
    }

    private final PixelCnnConfig config;
    private final Device device;
    private final Model model;
    private final AtomicReference<Thread> user = new AtomicReference<>();
    private volatile boolean closed;

    private PixelCnn(PixelCnnConfig config, Device device) {
        this.config = config;
        this.device = device;
        Config native_ = config.toNative(device);
        try {
            this.model = new Model(native_);
        } catch (RuntimeException e) {
            // The engine checks the memory a model needs against the machine before allocating.
            String message = String.valueOf(e.getMessage());
            if (message.startsWith(MEMORY_PREFIX)) {
                throw new IllegalArgumentException(config + ": " + message.substring(MEMORY_PREFIX.length()), e);
            }
            throw new PixelCnnException("engine: " + e.getMessage(), e);
        } finally {
            native_.close();
        }
    }

    /**
     * Creates a model with freshly initialised weights on the CPU, all threads.
     *
     * @param config the architecture
     * @return the model; close it when done
     */
    public static PixelCnn create(PixelCnnConfig config) {
        return create(config, Device.cpu());
    }

    /**
     * Creates a model with freshly initialised weights (from {@link PixelCnnConfig#seed()}).
     *
     * @param config the architecture
     * @param device where to compute
     * @return the model; close it when done
     * @throws IllegalArgumentException if the model would need more memory than the machine has
     *     (weights, gradients and Adam moments); the message says how much
     */
    public static PixelCnn create(PixelCnnConfig config, Device device) {
        if (config == null || device == null) {
            throw new NullPointerException("config and device must not be null");
        }
        return new PixelCnn(config, device);
    }

    /** @return the architecture of this model */
    public PixelCnnConfig config() {
        return config;
    }

    /** @return the device this model computes on */
    public Device device() {
        return device;
    }

    /** @return number of trainable values (masked taps included, as in PyTorch) */
    public long parameterCount() {
        boolean entered = enterForRead();
        try {
            return model.parameter_count();
        } finally {
            if (entered) {
                leave();
            }
        }
    }

    /**
     * Floating-point operations of one image's forward pass, counting only live (unmasked)
     * multiply-adds, 2 each: the work the engine does. For GFLOP/s figures.
     *
     * @return operations per image
     */
    public double forwardFlopsPerImage() {
        ensureOpen();
        return model.forward_flops_per_image();
    }

    /**
     * Floating-point operations of one training step per image on live taps: the forward pass
     * plus weight and input gradients.
     *
     * @return operations per image
     */
    public double trainingFlopsPerImage() {
        ensureOpen();
        return model.training_flops_per_image();
    }

    /**
     * The model's weights as PyTorch {@code state_dict} tensors, in order: names such as
     * {@code input.weight} and {@code blocks.0.conv1.bias}, convolution weights in (out, in, kh,
     * kw) layout with masked taps as zeros. Copies; changing them does not change the model.
     *
     * @return the tensors
     */
    public List<Safetensors.Tensor> stateDict() {
        boolean entered = enterForRead();
        try {
            return Checkpoints.tensors(model, pixelcnn.TENSOR_PARAM, "");
        } finally {
            if (entered) {
                leave();
            }
        }
    }

    /** @return optimiser steps taken so far (restored by {@link #load}) */
    public long step() {
        boolean entered = enterForRead();
        try {
            return model.adam_step_count();
        } finally {
            if (entered) {
                leave();
            }
        }
    }

    /**
     * Trains for {@link TrainingConfig#steps()} Adam steps on batches of {@code data}, with no
     * listener: {@link #train(Images, TrainingConfig, TrainingListener)} with null.
     *
     * @param data training images of this model's shape and levels
     * @param training steps, batch size and Adam settings
     * @return the progress of the last step taken, or null if interrupted before the first
     */
    public TrainingProgress train(Images data, TrainingConfig training) {
        return train(data, training, null);
    }

    /**
     * Trains for {@link TrainingConfig#steps()} Adam steps on batches of {@code data}.
     *
     * <p>The batch of each step depends only on the model's total step count and the shuffle
     * seed (see {@link TrainingConfig}), so training a loaded checkpoint continues exactly as the
     * uninterrupted run would. If the calling thread is interrupted, training stops after the
     * current step, keeps the interrupt flag set and returns the last step's progress.
     *
     * @param data training images of this model's shape and levels
     * @param training steps, batch size and Adam settings
     * @param listener receives every step; may be null
     * @return the progress of the last step taken, or null if interrupted before the first
     * @throws IllegalArgumentException if the images do not fit the model or the batch is
     *     larger than the data set
     * @throws PixelCnnException if the engine fails (for example the loss becomes NaN)
     */
    public TrainingProgress train(Images data, TrainingConfig training, TrainingListener listener) {
        checkImages(data, "training data");
        if (training.batchSize() > data.count()) {
            throw new IllegalArgumentException("batchSize: expected at most the " + data.count()
                    + " training images, got " + training.batchSize());
        }
        enter();
        try (AdamConfig adam = adamConfig(training)) {
            BatchOrder batches = new BatchOrder(data, training.batchSize(), training.shuffleSeed(),
                    training.mutationRate(), config.levels());
            TrainingProgress last = null;
            for (int i = 1; i <= training.steps(); i++) {
                if (Thread.currentThread().isInterrupted()) {
                    break;
                }
                byte[] batch = batches.batchForStep(model.adam_step_count());
                int[] labels = batches.labels();
                long t0 = System.nanoTime();
                float loss = EngineCalls.run(() -> model.train_step(batch, labels, training.batchSize(), adam));
                double seconds = (System.nanoTime() - t0) / 1e9;
                last = new TrainingProgress(model.adam_step_count(), i, training.steps(), loss,
                        loss / (config.dimensions() * LN2), training.batchSize() / seconds);
                if (listener != null) {
                    listener.onStep(last);
                }
            }
            return last;
        } finally {
            leave();
        }
    }

    // ---- data-parallel training: the pieces a distributed trainer (pixelcnn4j-spark) combines ----

    /**
     * Length of the flat vectors of weights and of gradients that data-parallel training
     * exchanges ({@link #packedWeights}, {@link #shareGradient}, {@link #applyGradient}): the
     * engine's own layout, the live taps of every tensor in order (smaller than
     * {@link #parameterCount()}, which counts masked taps too).
     *
     * @return floats per vector
     */
    public int packedSize() {
        boolean entered = enterForRead();
        try {
            return Math.toIntExact(model.packed_size());
        } finally {
            if (entered) {
                leave();
            }
        }
    }

    /** @return a copy of the weights as one flat vector of {@link #packedSize()} floats */
    public float[] packedWeights() {
        boolean entered = enterForRead();
        try {
            float[] out = new float[Math.toIntExact(model.packed_size())];
            model.read_packed(pixelcnn.TENSOR_PARAM, out);
            return out;
        } finally {
            if (entered) {
                leave();
            }
        }
    }

    /**
     * Sets every weight from a flat vector, as {@link #packedWeights()} of a model of the same
     * configuration gives it: how a worker takes the coordinator's weights each step.
     *
     * @param weights {@link #packedSize()} finite floats
     * @throws IllegalArgumentException if the length is wrong or a value is not finite (the model
     *     is then unchanged)
     */
    public void setPackedWeights(float[] weights) {
        checkPacked(weights, "weights");
        checkFinite(weights, "weights");
        enter();
        try {
            EngineCalls.run(() -> {
                model.write_packed(pixelcnn.TENSOR_PARAM, weights);
                return null;
            });
        } finally {
            leave();
        }
    }

    /**
     * The gradient of one share of a global batch: forward and backward over {@code share}, the
     * part of a batch of {@code globalBatchSize} images one worker holds. The gradient written
     * into {@code gradient} is that of the share's summed NLL divided by
     * {@code dimensions * globalBatchSize}, so that the shares' gradients summed are the
     * gradient {@link #train} uses for the whole batch (within float rounding: only the order of
     * the additions differs). The model's weights and Adam state are not changed.
     *
     * @param share this worker's images of the batch (labelled for a conditional model); may
     *     be empty (null), which gives a zero gradient
     * @param globalBatchSize images in the whole batch, at least the share's count
     * @param gradient receives {@link #packedSize()} floats
     * @return the sum of the share's per-image NLLs, nats
     * @throws IllegalArgumentException if the images do not fit the model, the counts disagree
     *     or the gradient array has the wrong length
     */
    public double shareGradient(Images share, int globalBatchSize, float[] gradient) {
        int count = share == null ? 0 : share.count();
        if (share != null && count > 0) {
            checkImages(share, "share");
        }
        checkPacked(gradient, "gradient");
        if (globalBatchSize < Math.max(1, count)) {
            throw new IllegalArgumentException("globalBatchSize: expected at least the share's " + Math.max(1, count)
                    + " image(s), got " + globalBatchSize);
        }
        enter();
        try {
            return EngineCalls.run(() -> {
                double nll = count == 0
                        ? model.forward_backward_share((byte[]) null, (int[]) null, 0, globalBatchSize)
                        : model.forward_backward_share(share.data(), share.labelData(), count, globalBatchSize);
                model.read_packed(pixelcnn.TENSOR_GRAD, gradient);
                return nll;
            });
        } finally {
            leave();
        }
    }

    /**
     * One Adam step from a gradient computed elsewhere (the sum of the workers'
     * {@link #shareGradient}s), with the Adam settings of {@code training}: after it the model
     * is where {@link #train} would have taken it with that gradient, its step count one higher.
     *
     * @param gradient {@link #packedSize()} finite floats
     * @param training the learning rate, betas, eps and clipping to apply (steps and batch size
     *     are not used)
     * @return the model's step count after the update
     * @throws IllegalArgumentException if the gradient has the wrong length or a value that is
     *     not finite
     * @throws PixelCnnException if the update would make a weight non-finite (the model is then
     *     unchanged)
     */
    public long applyGradient(float[] gradient, TrainingConfig training) {
        checkPacked(gradient, "gradient");
        checkFinite(gradient, "gradient");
        if (training == null) {
            throw new NullPointerException("training must not be null");
        }
        enter();
        try (AdamConfig adam = adamConfig(training)) {
            return EngineCalls.run(() -> {
                model.write_packed(pixelcnn.TENSOR_GRAD, gradient);
                model.adam_step(adam);
                return model.adam_step_count();
            });
        } finally {
            leave();
        }
    }

    /** The engine's Adam settings of a training configuration (the caller closes them). */
    private static AdamConfig adamConfig(TrainingConfig training) {
        return new AdamConfig()
                .learning_rate(training.learningRate())
                .beta1(training.beta1())
                .beta2(training.beta2())
                .eps(training.eps())
                .clip_norm(training.clipNorm())
                .weight_decay(training.weightDecay());
    }

    private void checkPacked(float[] vector, String what) {
        if (vector == null) {
            throw new NullPointerException(what + " must not be null");
        }
        int expected = packedSize();
        if (vector.length != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected
                    + " floats (packedSize() of this model), got " + vector.length);
        }
    }

    private static void checkFinite(float[] vector, String what) {
        for (int i = 0; i < vector.length; i++) {
            if (!Float.isFinite(vector[i])) {
                throw new IllegalArgumentException(what + ": value " + vector[i] + " at index " + i + " is not finite");
            }
        }
    }

    /**
     * Per-image negative log-likelihood of {@code images} under the model.
     *
     * @param images images of this model's shape, values in [0, levels-1]
     * @return nats and bits/dim per image
     * @throws IllegalArgumentException if the images do not fit the model
     */
    public Likelihood logLikelihood(Images images) {
        checkImages(images, "images");
        enter();
        try {
            double[] nll = new double[images.count()];
            EngineCalls.run(() -> {
                model.log_likelihood(images.data(), images.labelData(), images.count(), nll);
                return null;
            });
            return new Likelihood(nll, config.dimensions());
        } finally {
            leave();
        }
    }

    /**
     * Per-image negative log-likelihood of {@code images} and where it comes from: the nats of
     * every sub-pixel given the values before it, from the same forward pass (a conditional
     * model scores each image under its own label).
     *
     * @param images images of this model's shape, values in [0, levels-1]
     * @return the maps and the per-image totals, which equal {@link #logLikelihood}'s bit for bit
     * @throws IllegalArgumentException if the images do not fit the model, or their maps would
     *     not fit one Java array
     */
    public LikelihoodMap logLikelihoodMap(Images images) {
        checkImages(images, "images");
        long values = (long) images.count() * config.dimensions();
        if (values > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("images: the maps of " + images.count() + " images would need "
                    + values + " floats, more than one Java array holds; score fewer images per call");
        }
        enter();
        try {
            double[] nll = new double[images.count()];
            float[] maps = new float[(int) values];
            EngineCalls.run(() -> {
                model.log_likelihood_map(images.data(), images.labelData(), images.count(), nll, maps);
                return null;
            });
            return new LikelihoodMap(new Likelihood(nll, config.dimensions()), maps, config.channels(),
                    config.height(), config.width());
        } finally {
            leave();
        }
    }

    /**
     * Per-image negative log-likelihood of {@code images} given one class, -log p(x | label), for
     * a class-conditional model (the images' own labels, if any, are ignored).
     *
     * @param images images of this model's shape, values in [0, levels-1]
     * @param label the class every image is scored under, in [0, classes)
     * @return nats and bits/dim per image
     * @throws IllegalArgumentException if the model is unconditional or the label out of range
     */
    public Likelihood logLikelihood(Images images, int label) {
        if (images == null) {
            throw new NullPointerException("images must not be null");
        }
        requireConditional("logLikelihood(images, label)");
        checkLabel(label, "label");
        int[] labels = new int[images.count()];
        java.util.Arrays.fill(labels, label);
        return logLikelihood(images.withLabels(labels));
    }

    /**
     * Class scores of a class-conditional model: {@code scores[i][y] = log p(x_i | y)} in nats,
     * for every image and every class. With a prior p(y) they give the posterior p(y | x) by
     * Bayes' rule (the argmax under a uniform prior is a generative classifier), and
     * max or log-sum-exp over y an unconditional score for anomaly detection.
     *
     * @param images images of this model's shape (their labels, if any, are ignored)
     * @return one row per image, one column per class
     * @throws IllegalArgumentException if the model is unconditional or the images do not fit
     */
    public double[][] classScores(Images images) {
        if (images == null) {
            throw new NullPointerException("images must not be null");
        }
        requireConditional("classScores");
        double[][] scores = new double[images.count()][config.classes()];
        for (int y = 0; y < config.classes(); y++) {
            double[] nats = logLikelihood(images, y).natsArray();
            for (int i = 0; i < nats.length; i++) {
                scores[i][y] = -nats[i];
            }
        }
        return scores;
    }

    /**
     * The model's logits for {@code images}, in N x K x H x W order, where K is C for a Bernoulli
     * head and C*levels for a categorical one (the logits of channel c are c*levels .. c*levels +
     * levels - 1). For inspection and interoperability; training and scoring do not need it.
     *
     * @param images images of this model's shape
     * @return the logits
     */
    public float[] logits(Images images) {
        checkImages(images, "images");
        enter();
        try {
            int k = model.logit_channels();
            long size = (long) images.count() * k * config.height() * config.width();
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("images: " + images.count()
                        + " images give more logits than a Java array holds; pass fewer");
            }
            float[] out = new float[(int) size];
            EngineCalls.run(() -> {
                model.logits(images.data(), images.labelData(), images.count(), out);
                return null;
            });
            return out;
        } finally {
            leave();
        }
    }

    /**
     * Draws {@code count} images with the cached sampler (seed and temperature as given, other
     * settings default). Same as {@code sample(count, SamplingConfig.builder().optSeed(seed)
     * .optTemperature(temperature).build())}.
     *
     * @param count images to draw, positive
     * @param seed random seed
     * @param temperature positive; below 1 sharpens, above 1 flattens the distributions
     * @return the samples, values in [0, levels-1]
     */
    public Images sample(int count, long seed, double temperature) {
        return sample(count, SamplingConfig.builder().optSeed(seed).optTemperature(temperature).build());
    }

    /**
     * Draws {@code count} images by ancestral sampling in raster order (for colour images R, then
     * G, then B at each pixel).
     *
     * <p>The cached sampler (default) keeps each layer's recent input rows and computes only the
     * current position, so an image costs about one forward pass; the naive sampler runs a full
     * forward pass per pixel and channel. Both give the same images: the value of pixel p, channel
     * c of image i comes from a counter-based generator keyed by (seed, i, p, c), so results do not
     * depend on the batch size or thread count either.
     *
     * @param count images to draw, positive
     * @param sampling seed, temperature, batch size, algorithm, listener, cancellation
     * @return the samples, values in [0, levels-1]
     * @throws java.util.concurrent.CancellationException if cancelled or interrupted (checked
     *     after every row); the model stays usable
     */
    public Images sample(int count, SamplingConfig sampling) {
        if (count <= 0) {
            throw new IllegalArgumentException("count: expected a positive number of images, got " + count);
        }
        if (config.classes() > 0) {
            throw new IllegalArgumentException("sample: the model is conditioned on " + config.classes()
                    + " classes; give one label per image: sample(labels, sampling)");
        }
        return draw(count, null, sampling);
    }

    /**
     * Draws one image per label from a class-conditional model, image i from p(x | labels[i]),
     * as {@link #sample(int, SamplingConfig)} draws (same generator: image i of a call is the
     * same whatever the batch size).
     *
     * @param labels one class in [0, classes) per image to draw
     * @param sampling seed, temperature, batch size, algorithm, listener, cancellation
     * @return the samples, labelled with {@code labels}
     * @throws IllegalArgumentException if the model is unconditional or a label is out of range
     */
    public Images sample(int[] labels, SamplingConfig sampling) {
        if (labels == null) {
            throw new NullPointerException("labels must not be null");
        }
        if (labels.length == 0) {
            throw new IllegalArgumentException("labels: expected at least one image, got none");
        }
        requireConditional("sample(labels, sampling)");
        for (int i = 0; i < labels.length; i++) {
            checkLabel(labels[i], "labels[" + i + "]");
        }
        return draw(labels.length, labels.clone(), sampling).withLabels(labels);
    }

    private Images draw(int count, int[] labels, SamplingConfig sampling) {
        byte[] buf = new byte[imageArraySize(count, "count")];
        enter();
        try {
            new SamplingRun(model, config, sampling).drawInto(buf, null, labels, count);
            return Images.wrap(buf, count, config.channels(), config.height(), config.width());
        } finally {
            leave();
        }
    }

    /**
     * Completes partially known images: pixel values where {@code known} is nonzero are kept
     * exactly, the others are sampled in raster order, each conditioned on everything before it,
     * known or sampled. For example, with the top half known, the bottom half is drawn from the
     * model given the top half ({@link Images#rowMask} builds that mask).
     *
     * @param images images of this model's shape; values at unknown positions are ignored
     * @param known same shape as {@code images}: nonzero marks a known value
     * @param sampling seed, temperature, batch size, algorithm, listener, cancellation
     * @return the completed images
     * @throws IllegalArgumentException if the shapes differ from the model's or a known value is
     *     out of range
     * @throws java.util.concurrent.CancellationException if cancelled or interrupted
     */
    public Images complete(Images images, Images known, SamplingConfig sampling) {
        if (images == null || known == null) {
            throw new NullPointerException("images and known must not be null");
        }
        if (known.count() != images.count() || known.channels() != images.channels()
                || known.height() != images.height() || known.width() != images.width()) {
            throw new IllegalArgumentException(String.format(
                    "known: expected a mask of the images' shape %d x %d x %d x %d, got %d x %d x %d x %d",
                    images.count(), images.channels(), images.height(), images.width(), known.count(),
                    known.channels(), known.height(), known.width()));
        }
        byte[] mask = known.data();
        byte[] buf = images.toArray();
        for (int i = 0; i < buf.length; i++) {
            if (mask[i] == 0) {
                buf[i] = 0; // unknown: the value is drawn, whatever the caller left there
            }
        }
        Images knownValues = Images.wrap(buf, images.count(), images.channels(), images.height(), images.width());
        checkImages(images.hasLabels() ? knownValues.withLabels(images.labelData()) : knownValues,
                "images (known values)");
        enter();
        try {
            new SamplingRun(model, config, sampling).drawInto(buf, mask, images.labelData(), images.count());
            Images done = Images.wrap(buf, images.count(), config.channels(), config.height(), config.width());
            return images.hasLabels() ? done.withLabels(images.labelData()) : done;
        } finally {
            leave();
        }
    }

    private int imageArraySize(int count, String what) {
        long bytes = (long) count * config.dimensions();
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(what + ": " + count + " images of " + config.dimensions()
                    + " values do not fit in one Java array");
        }
        return (int) bytes;
    }

    /**
     * Saves weights, configuration and optimiser state to a safetensors file. The write is
     * atomic: a temporary file in the same directory is renamed over {@code file}, so an existing
     * file stays intact if anything fails.
     *
     * <p>Weights are stored under PyTorch {@code state_dict} names ({@code input.weight},
     * {@code blocks.0.conv1.weight}, ...) in (out, in, kh, kw) layout with masked taps as zeros;
     * Adam's moments under {@code optimizer.exp_avg.<name>} and
     * {@code optimizer.exp_avg_sq.<name>}; the configuration and step count in the metadata.
     *
     * @param file destination
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        save(file, Map.of());
    }

    /**
     * Saves like {@link #save(Path)}, adding the caller's own metadata entries (for example the
     * training settings of a command-line run, to resume with). Keys must not start with
     * {@code model.}, {@code training.step}, {@code format} or {@code checksum.}: those belong to
     * pixelcnn4j. Read them back with {@link #readMetadata(Path)}.
     *
     * @param file destination
     * @param extraMetadata additional string entries for the safetensors header
     * @throws IOException if writing fails
     * @throws IllegalArgumentException if a key is reserved
     */
    public void save(Path file, Map<String, String> extraMetadata) throws IOException {
        Checkpoints.checkExtraKeys(extraMetadata);
        boolean entered = enterForRead();
        try {
            Checkpoints.write(file, extraMetadata, config, model);
        } finally {
            if (entered) {
                leave();
            }
        }
    }

    /**
     * Reads the metadata of a checkpoint (configuration, step, the caller's extra entries)
     * without creating a model. The file is fully verified (checksum included).
     *
     * @param file the checkpoint
     * @return the metadata entries
     * @throws MalformedModelException if the file is truncated, corrupted or not a checkpoint
     * @throws IOException if reading fails
     */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        return Checkpoints.readMetadata(file);
    }

    /**
     * Loads a model saved by {@link #save}, on the CPU with all threads.
     *
     * @param file the checkpoint
     * @return the model, ready to train on, score or sample
     * @throws NoSuchFileException if the file does not exist
     * @throws MalformedModelException if the file is truncated, corrupted or not a pixelcnn4j
     *     checkpoint, or if its metadata describes another model than its tensors hold (checked
     *     before anything is allocated)
     * @throws IllegalArgumentException if the model would need more memory than the machine has
     * @throws IOException if reading fails
     */
    public static PixelCnn load(Path file) throws IOException {
        return load(file, Device.cpu());
    }

    /**
     * Loads a model saved by {@link #save}.
     *
     * @param file the checkpoint
     * @param device where to compute
     * @return the model
     * @throws NoSuchFileException if the file does not exist
     * @throws MalformedModelException if the file is truncated, corrupted or not a pixelcnn4j
     *     checkpoint, or if its metadata describes another model than its tensors hold (checked
     *     before anything is allocated)
     * @throws IllegalArgumentException if the model would need more memory than the machine has
     * @throws IOException if reading fails
     */
    public static PixelCnn load(Path file, Device device) throws IOException {
        Checkpoints.Contents checkpoint = Checkpoints.read(file);
        PixelCnn result;
        try {
            result = new PixelCnn(checkpoint.config, device);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        try {
            Checkpoints.restore(checkpoint, result.model);
            return result;
        } catch (IOException | RuntimeException e) {
            result.close();
            throw e;
        }
    }

    /**
     * Frees the native model. Further calls throw {@link IllegalStateException}; closing twice
     * is harmless.
     *
     * @throws IllegalStateException if another thread is using the model right now
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        enter();
        try {
            closed = true;
            model.close();
        } finally {
            user.set(null);
        }
    }

    /** @return whether {@link #close()} has been called */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "PixelCnn[" + config + ", " + device + (closed ? ", closed" : "") + "]";
    }

    // ---- package-private access for the oracle tests ----

    /** The native model, for tests in this package. The caller must not close it. */
    Model engineModel() {
        ensureOpen();
        return model;
    }

    // ---- internals ----

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this PixelCnn is closed; create or load a new one");
        }
    }

    /** Marks the calling thread as the model's user; rejects closed models and second threads. */
    private void enter() {
        ensureOpen();
        Thread me = Thread.currentThread();
        if (!user.compareAndSet(null, me)) {
            Thread other = user.get();
            if (other == me) {
                throw new IllegalStateException("this PixelCnn is already running a call on this thread: a "
                        + "listener called back into it. A listener may call config(), device(), step(), "
                        + "parameterCount(), stateDict(), save(...), isClosed() and the flop counts; training, "
                        + "scoring, sampling and close() must wait until the running call returns");
            }
            throw new IllegalStateException("this PixelCnn is in use by thread \""
                    + (other == null ? "?" : other.getName())
                    + "\"; a model serves one thread at a time (use one model per thread)");
        }
        if (closed) {
            user.set(null);
            ensureOpen();
        }
    }

    /**
     * Like {@link #enter}, but lets through a call from one of this model's own listeners (the
     * same thread, the model between two steps or rows): for reads that leave the engine as it
     * is, such as saving a checkpoint every few hundred steps.
     *
     * @return whether this call entered, and so must leave
     */
    private boolean enterForRead() {
        ensureOpen();
        if (user.get() == Thread.currentThread()) {
            return false;
        }
        enter();
        return true;
    }

    private void leave() {
        user.set(null);
    }

    private void requireConditional(String what) {
        if (config.classes() == 0) {
            throw new IllegalArgumentException(what + ": the model is unconditional (classes = 0); "
                    + "class labels need a gated model built with optClasses");
        }
    }

    private void checkLabel(int label, String what) {
        if (label < 0 || label >= config.classes()) {
            throw new IllegalArgumentException(String.format("%s: label %d is outside [0, %d] (the model's %d classes)",
                    what, label, config.classes() - 1, config.classes()));
        }
    }

    private void checkImages(Images images, String what) {
        if (images == null) {
            throw new NullPointerException(what + " must not be null");
        }
        if (images.count() <= 0) {
            throw new IllegalArgumentException(what + ": expected at least one image, got an empty batch");
        }
        if (config.classes() > 0 && !images.hasLabels()) {
            throw new IllegalArgumentException(what + ": the model is conditioned on " + config.classes()
                    + " classes; expected labelled images (Images.withLabels), got unlabelled ones");
        }
        if (config.classes() == 0 && images.hasLabels()) {
            throw new IllegalArgumentException(what + ": the images carry class labels but the model is "
                    + "unconditional; pass images.withoutLabels(), or build a gated model with optClasses");
        }
        if (images.hasLabels()) {
            int[] labels = images.labelData();
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] >= config.classes()) {
                    throw new IllegalArgumentException(String.format(
                            "%s: label %d of image %d is outside [0, %d] (the model's %d classes)", what, labels[i], i,
                            config.classes() - 1, config.classes()));
                }
            }
        }
        if (images.channels() != config.channels() || images.height() != config.height()
                || images.width() != config.width()) {
            throw new IllegalArgumentException(String.format(
                    "%s: expected images of %d channel(s) x %dx%d, got %d channel(s) x %dx%d", what,
                    config.channels(), config.height(), config.width(), images.channels(),
                    images.height(), images.width()));
        }
        byte[] data = images.data();
        int max = config.levels() - 1;
        for (int i = 0; i < data.length; i++) {
            int v = data[i] & 0xFF;
            if (v > max) {
                int perImage = config.dimensions();
                throw new IllegalArgumentException(String.format(
                        "%s: pixel value %d in image %d is outside [0, %d]%s", what, v, i / perImage, max,
                        config.head() == PixelCnnConfig.Head.BERNOULLI
                                ? " (a Bernoulli model needs binarized images: Images.binarize)"
                                : " (quantize the images to " + config.levels() + " levels: Images.quantize)"));
            }
        }
    }
}
