package org.pixelcnn4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.InvalidDataException;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.DataSet;
import org.pixelcnn4j.data.DataSplit;
import org.pixelcnn4j.data.ImageFormat;
import org.pixelcnn4j.data.ImageSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pixelcnn4j train}: trains a new model, or continues one with {@code --resume}, saving
 * checkpoints with the run's settings in their metadata. Ctrl-C saves a checkpoint and exits with
 * {@value ExitCodes#INTERRUPTED}.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Train a PixelCNN and save it as a checkpoint (safetensors).",
            "",
            "--steps is the step count the model reaches: a new model trains that many steps, a resumed "
                    + "one continues to it. With --resume every setting comes from the checkpoint "
                    + "(options that contradict it are refused) and the run continues exactly as if it "
                    + "had never stopped: same batches, same losses.",
            "Ctrl-C stops after the current step, saves the checkpoint and exits with code 130.",
            ""})
final class TrainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DataOptions data;

    @Mixin
    BinarizeOption binarize;

    @Mixin
    ArchitectureOptions architecture;

    @Mixin
    ComputeOptions compute;

    @Option(names = "--validation-split", paramLabel = "F", order = 5,
            description = "Hold out this fraction of the images (seeded by --seed) and report their NLL at "
                    + "checkpoints and at the end. Default: ${DEFAULT-VALUE}.")
    double validationSplit;

    @Option(names = "--seed", paramLabel = "S", order = 19,
            description = "Seed of the initial weights, the validation split and the batch order. "
                    + "Default: ${DEFAULT-VALUE}.")
    long seed = 1;

    @Option(names = "--steps", paramLabel = "N", order = 20,
            description = "Train until the model has taken N steps in all. Default: 1000 for a new model, the "
                    + "checkpoint's target with --resume.")
    Long steps;

    @Option(names = "--epochs", paramLabel = "E", order = 21,
            description = "Instead of --steps: train until E passes over the training images.")
    Integer epochs;

    @Option(names = "--batch-size", paramLabel = "N", order = 22,
            description = "Images per step. Default: ${DEFAULT-VALUE}.")
    int batchSize = 32;

    @Option(names = "--lr", paramLabel = "RATE", order = 23,
            description = "Adam learning rate. Default: ${DEFAULT-VALUE}.")
    double learningRate = 1e-3;

    @Option(names = "--mutation-rate", paramLabel = "RATE", order = 24,
            description = "Train on mutated images: each sub-pixel replaced by a random value with this "
                    + "probability before each step (the background model of a likelihood ratio, 'ood "
                    + "--background': 0.1 to 0.3). Default: ${DEFAULT-VALUE} (off).")
    double mutationRate;

    @Option(names = "--weight-decay", paramLabel = "L2", order = 25,
            description = "L2 weight decay added to the gradient (torch.optim.Adam's weight_decay). "
                    + "Default: ${DEFAULT-VALUE} (off).")
    double weightDecay;

    @Option(names = "--background-model", order = 26,
            description = "Train the background model of a likelihood ratio ('ood --background'): "
                    + "--mutation-rate 0.2 and --weight-decay 1e-4 unless given.")
    boolean backgroundModel;

    @Option(names = "--checkpoint", paramLabel = "FILE", order = 30,
            description = "The checkpoint to write (and to read with --resume). Default: ${DEFAULT-VALUE}.")
    Path checkpoint = Path.of("model.safetensors");

    @Option(names = "--checkpoint-every", paramLabel = "N", order = 31,
            description = "Also save every N steps (0: only at the end). Default: 1000, the checkpoint's with --resume.")
    Integer checkpointEvery;

    @Option(names = "--resume", order = 32,
            description = "Continue training the checkpoint with the settings stored in it.")
    boolean resume;

    @Option(names = "--overwrite", order = 33,
            description = "Replace an existing checkpoint with a new model.")
    boolean overwrite;

    @Option(names = "--loss-csv", paramLabel = "FILE", order = 34,
            description = "Write every step's loss (step,loss_nats,bits_per_dim); continued with --resume.")
    Path lossCsv;

    @Option(names = "--log-every", paramLabel = "N", order = 35,
            description = "Without a progress bar: a log line every N steps. Default: ${DEFAULT-VALUE}.")
    int logEvery = 100;

    private static final int DEFAULT_STEPS = 1000;
    private static final int DEFAULT_CHECKPOINT_EVERY = 1000;

    /** Creates the command; picocli fills in the options. */
    TrainCommand() {
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        checkOptions();

        TrainingSettings stored = null;
        PixelCnnConfig config = null;
        if (resume) {
            Map<String, String> metadata = Inputs.readMetadata(checkpoint);
            stored = TrainingSettings.fromMetadata(metadata, checkpoint);
            try {
                config = PixelCnnConfig.fromMetadata(metadata);
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCodes.BAD_CHECKPOINT, "bad checkpoint: " + checkpoint + ": " + e.getMessage());
            }
            checkResumeOptions(stored, config);
        } else if (Files.exists(checkpoint) && !overwrite) {
            throw CliException.usage("checkpoint " + checkpoint + " exists; pass --resume to continue training it, or"
                    + " --overwrite to replace it with a new model");
        }

        String dataName = stored != null ? stored.data() : normalizedData(data.sourceOr(ImageSource.FASHION_MNIST));
        int dataLimit = stored != null ? stored.limit() : data.limit;
        String labelsName = stored != null ? stored.labels()
                : data.labels == null ? null : data.labels.toAbsolutePath().normalize().toString();
        ImageSource source = Inputs.openData(dataName, labelsName == null ? null : Path.of(labelsName), dataLimit);
        if (config == null) {
            config = architecture.toConfig(source.channels(), source.height(), source.width(), seed);
        }
        int threshold = stored != null ? stored.threshold()
                : config.head() == PixelCnnConfig.Head.BERNOULLI ? binarize.valueOrDefault() : -1;
        double split = stored != null ? stored.validationSplit() : validationSplit;
        long shuffleSeed = stored != null ? stored.seed() : seed;
        try {
            source.requireSize(config.height(), config.width(), "the model's size");
        } catch (InvalidDataException e) {
            throw Inputs.dataError(e);
        }
        err.println("data: " + source.description() + ", " + ImageFormat.forModel(config, Math.max(0, threshold))
                .describe());
        err.flush();
        DataSplit sets = Inputs.readSplit(source, ImageFormat.forModel(config, Math.max(0, threshold)), split,
                shuffleSeed);
        DataSet train = sets.train();
        DataSet validation = sets.validation();
        if (config.classes() > 0) {
            // Checked before the model is built: a conditional model needs labels in range.
            Inputs.forModel(train.images(), config, "the training data");
        }
        int batch = stored != null ? stored.batchSize() : batchSize;
        if (batch > train.count()) {
            throw CliException.usage("--batch-size " + batch + " is larger than the " + train.count()
                    + " training images; expected at most " + train.count());
        }
        if (stored != null) {
            checkSameData(stored, train, validation);
        }
        long stepsPerEpoch = train.count() / batch;
        long target = epochs != null ? epochs * stepsPerEpoch
                : steps != null ? steps
                : stored != null ? stored.targetSteps() : DEFAULT_STEPS;
        int every = checkpointEvery != null ? checkpointEvery
                : stored != null ? stored.checkpointEvery() : DEFAULT_CHECKPOINT_EVERY;
        double rate = stored != null ? stored.learningRate() : learningRate;
        TrainingSettings settings = new TrainingSettings(dataName, labelsName, dataLimit, threshold, batch, rate, split,
                shuffleSeed, target, every, train.count(), train.checksum(), validation == null ? 0 : validation.count(),
                validation == null ? 0 : validation.checksum(), stored != null ? stored.mutationRate() : mutationRate,
                stored != null ? stored.weightDecay() : weightDecay);

        Device device = compute.device();
        try (PixelCnn net = stored != null ? Inputs.loadModel(checkpoint, device)
                : PixelCnn.create(config, device)) {
            return train(net, train, validation, settings, stored != null, err, out);
        }
    }

    private int train(PixelCnn net, DataSet train, DataSet validation, TrainingSettings settings, boolean resumed,
            PrintWriter err, PrintWriter out) {
        long first = net.step();
        long target = settings.targetSteps();
        org.pixelcnn4j.Images trainImages = Inputs.forModel(train.images(), net.config(), "the training data");
        err.printf(Locale.ROOT, "model: %s, %,d parameters%n", Inputs.describe(net.config()), net.parameterCount());
        err.printf(Locale.ROOT, "training: %d training%s images, batch %d, lr %s, %s; %s%n", train.count(),
                validation == null ? "" : " + " + validation.count() + " validation", settings.batchSize(),
                settings.learningRate(), threads(), checkpointPlan(settings.checkpointEvery()));
        if (first >= target) {
            err.flush();
            out.printf(Locale.ROOT, "%s is at step %d already, the target is %d: nothing to train"
                    + " (raise --steps to train further)%n", checkpoint, first, target);
            out.flush();
            return ExitCodes.OK;
        }
        err.printf(Locale.ROOT, "%s at step %d, training to step %d%n", resumed ? "resuming " + checkpoint
                : "new model", first, target);
        err.flush();

        ProgressPrinter printer = new ProgressPrinter(err, compute.progress());
        TrainReporter reporter = new TrainReporter(printer, Math.max(1, logEvery), first, target,
                settings.batchSize(), net.config().dimensions());
        Validation lastValidation = null;
        try (LossLog losses = openLossLog(first, resumed); InterruptGuard guard = InterruptGuard.install()) {
            while (net.step() < target && !guard.stopRequested()) {
                long step = net.step();
                long end = settings.checkpointEvery() > 0
                        ? Math.min(target, (step / settings.checkpointEvery() + 1) * settings.checkpointEvery())
                        : target;
                TrainingConfig chunk = TrainingConfig.builder()
                        .setSteps((int) Math.min(Integer.MAX_VALUE, end - step))
                        .optBatchSize(settings.batchSize())
                        .optLearningRate(settings.learningRate())
                        .optShuffleSeed(settings.seed())
                        .optMutationRate(settings.mutationRate())
                        .optWeightDecay(settings.weightDecay())
                        .build();
                guard.enterTraining();
                try {
                    net.train(trainImages, chunk, p -> {
                        if (losses != null) {
                            losses.record(p);
                        }
                        reporter.onStep(p);
                    });
                } finally {
                    guard.leaveTraining();
                    if (losses != null) {
                        losses.flush();
                    }
                }
                if (!guard.stopRequested() && net.step() < target) {
                    lastValidation = validate(net, validation, settings.batchSize());
                    save(net, settings, lastValidation);
                    printer.line(String.format(Locale.ROOT, "step %d: saved %s%s", net.step(), checkpoint,
                            lastValidation == null ? "" : "; validation NLL " + lastValidation));
                }
            }
            printer.clear();
            if (guard.stopRequested()) {
                if (net.step() > first) {
                    save(net, settings, lastValidation);
                    err.printf(Locale.ROOT, "interrupted at step %d: saved %s; continue with: pixelcnn4j train"
                            + " --resume --checkpoint %s%n", net.step(), checkpoint, checkpoint);
                } else {
                    err.printf(Locale.ROOT, "interrupted before the first step; %s unchanged%n", checkpoint);
                }
                err.flush();
                return ExitCodes.INTERRUPTED;
            }
            lastValidation = validate(net, validation, settings.batchSize());
            save(net, settings, lastValidation);
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot write the loss log " + lossCsv + ": "
                    + Main.describe(e), e);
        }
        out.printf(Locale.ROOT, "trained steps %d -> %d in %s (%.0f images/s); loss %.2f nats, %.4f bits/dim"
                + " (mean of the last %d steps)%n", first, net.step(), ProgressPrinter.duration(
                reporter.elapsedSeconds()), reporter.imagesPerSecond(), reporter.recentLoss(),
                Inputs.bitsPerDim(reporter.recentLoss(), net.config()), Math.min(reporter.steps(),
                TrainReporter.WINDOW));
        if (lastValidation != null) {
            out.println("validation NLL: " + lastValidation + " (" + validation.count() + " images)");
        }
        out.println("saved " + checkpoint + " (step " + net.step() + ")");
        out.flush();
        return ExitCodes.OK;
    }

    /** The negative log-likelihood of the validation set, or null without one. */
    private static Validation validate(PixelCnn net, DataSet validation, int batch) {
        if (validation == null) {
            return null;
        }
        double nats = Inputs.mean(Inputs.nll(net, Inputs.forModel(validation.images(), net.config(),
                "the validation data"), batch, null));
        return new Validation(net.step(), nats, Inputs.bitsPerDim(nats, net.config()));
    }

    /** A validation result, stored in the checkpoint next to the settings. */
    private record Validation(long step, double nats, double bitsPerDim) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.2f nats/image, %.4f bits/dim", nats, bitsPerDim);
        }
    }

    private void save(PixelCnn net, TrainingSettings settings, Validation validation) {
        Map<String, String> metadata = new LinkedHashMap<>(settings.toMetadata());
        if (validation != null) {
            metadata.put(TrainingSettings.PREFIX + "validation_nats", Double.toString(validation.nats()));
            metadata.put(TrainingSettings.PREFIX + "validation_bits_per_dim", Double.toString(validation.bitsPerDim()));
            metadata.put(TrainingSettings.PREFIX + "validation_step", Long.toString(validation.step()));
        }
        try {
            Path parent = checkpoint.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            net.save(checkpoint, metadata);
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot write checkpoint " + checkpoint + ": "
                    + Main.describe(e), e);
        }
    }

    private LossLog openLossLog(long first, boolean resumed) throws IOException {
        return lossCsv == null ? null : LossLog.open(lossCsv, first, resumed);
    }

    private void checkOptions() {
        if (backgroundModel) {
            mutationRate = given("--mutation-rate") ? mutationRate : TrainingConfig.BACKGROUND_MUTATION_RATE;
            weightDecay = given("--weight-decay") ? weightDecay : TrainingConfig.BACKGROUND_WEIGHT_DECAY;
        }
        if (steps != null && epochs != null) {
            throw CliException.usage("--steps and --epochs both given; expected one of them");
        }
        if (steps != null && steps <= 0) {
            throw CliException.usage("--steps: expected a positive step count, got " + steps);
        }
        if (epochs != null && epochs <= 0) {
            throw CliException.usage("--epochs: expected a positive count, got " + epochs);
        }
        if (batchSize <= 0) {
            throw CliException.usage("--batch-size: expected a positive count, got " + batchSize);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw CliException.usage("--lr: expected a positive learning rate, got " + learningRate);
        }
        if (!(mutationRate >= 0 && mutationRate <= 1)) {
            throw CliException.usage("--mutation-rate: expected a fraction in [0, 1], got " + mutationRate);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw CliException.usage("--weight-decay: expected 0 or a positive value, got " + weightDecay);
        }
        compute.check();
        data.check();
        if (binarize.valueOrDefault() < 0 || binarize.valueOrDefault() > 255) {
            throw CliException.usage("--binarize-threshold: expected 0..255, got " + binarize.valueOrDefault());
        }
        if (!(validationSplit >= 0 && validationSplit < 1)) {
            throw CliException.usage("--validation-split: expected a fraction in [0, 1), got " + validationSplit);
        }
        if (checkpointEvery != null && checkpointEvery < 0) {
            throw CliException.usage("--checkpoint-every: expected 0 (only at the end) or a positive step count, got "
                    + checkpointEvery);
        }
        if (resume && overwrite) {
            throw CliException.usage("--resume and --overwrite contradict each other; expected one of them");
        }
        if (given("--binarize-threshold") && architecture.head == ArchitectureOptions.Head.categorical) {
            throw CliException.usage("--binarize-threshold applies to --head bernoulli only; a categorical model"
                    + " quantizes to --levels");
        }
        if (given("--levels") && architecture.head == ArchitectureOptions.Head.bernoulli && !resume) {
            throw CliException.usage("--levels applies to --head categorical only; a Bernoulli model has 2 levels");
        }
    }

    /** With --resume: options that would change the run must agree with the checkpoint. */
    private void checkResumeOptions(TrainingSettings stored, PixelCnnConfig config) {
        same("--data", stored.data(), normalizedData(data.sourceOr(ImageSource.FASHION_MNIST)));
        same("--limit", stored.limit(), data.limit);
        same("--binarize-threshold", stored.threshold(), binarize.valueOrDefault());
        same("--validation-split", stored.validationSplit(), validationSplit);
        same("--batch-size", stored.batchSize(), batchSize);
        same("--lr", stored.learningRate(), learningRate);
        if (backgroundModel && stored.mutationRate() == 0) {
            throw CliException.usage("--background-model: " + checkpoint + " was trained without mutated inputs; "
                    + "a background model has to be one from its first step");
        }
        same("--mutation-rate", stored.mutationRate(), mutationRate);
        same("--weight-decay", stored.weightDecay(), weightDecay);
        same("--seed", stored.seed(), seed);
        for (Object[] option : architecture.againstCheckpoint(config)) {
            same((String) option[0], option[1], option[2]);
        }
    }

    private void same(String option, Object stored, Object given) {
        if (given(option) && !Objects.equals(String.valueOf(stored), String.valueOf(given))) {
            throw CliException.usage(option + " " + given + " differs from the checkpoint's " + stored
                    + ": --resume continues with the settings stored in " + checkpoint
                    + "; leave the option out, or start a new model without --resume");
        }
    }

    private boolean given(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** The resumed run must see the same images, or its batches would differ. */
    private void checkSameData(TrainingSettings stored, DataSet train, DataSet validation) {
        int validationCount = validation == null ? 0 : validation.count();
        long validationChecksum = validation == null ? 0 : validation.checksum();
        if (stored.trainImages() != train.count() || stored.trainChecksum() != train.checksum()
                || stored.validationImages() != validationCount || stored.validationChecksum() != validationChecksum) {
            throw new CliException(ExitCodes.BAD_DATA, String.format(Locale.ROOT, "data: %s is not the data %s was"
                    + " trained on (then %d + %d images, CRC32C %x; now %d + %d, CRC32C %x); resuming on other data"
                    + " would not continue the same run", stored.data(), checkpoint, stored.trainImages(),
                    stored.validationImages(), stored.trainChecksum(), train.count(), validationCount,
                    train.checksum()));
        }
    }

    /** Fashion-MNIST names stay as they are; paths become absolute, so --resume works from anywhere. */
    private static String normalizedData(String name) {
        if (name.equals(ImageSource.FASHION_MNIST) || name.equals(ImageSource.FASHION_MNIST_TEST)) {
            return name;
        }
        return Path.of(name).toAbsolutePath().normalize().toString();
    }

    private String threads() {
        int threads = compute.threads;
        return threads == 0 ? Runtime.getRuntime().availableProcessors() + " threads (all cores)"
                : threads + (threads == 1 ? " thread" : " threads");
    }

    private String checkpointPlan(int every) {
        return "checkpoint " + checkpoint + (every > 0 ? " every " + every + " steps and at the end"
                : " at the end");
    }
}
