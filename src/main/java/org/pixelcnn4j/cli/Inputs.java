package org.pixelcnn4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntConsumer;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.PixelCnnException;
import org.pixelcnn4j.data.DataSet;
import org.pixelcnn4j.data.DataSplit;
import org.pixelcnn4j.data.ImageFormat;
import org.pixelcnn4j.data.ImageSource;

/**
 * What the commands read: data sets and checkpoints, with their failures turned into one-line
 * errors carrying the exit codes {@link ExitCodes#BAD_DATA} and {@link ExitCodes#BAD_CHECKPOINT}.
 */
final class Inputs {
    /** Metadata key of the binarization threshold a model was trained with. */
    static final String THRESHOLD_KEY = "train.binarize_threshold";
    /** Threshold used when neither the option nor the checkpoint gives one. */
    static final int DEFAULT_THRESHOLD = 127;

    private Inputs() {
    }

    /** Opens a data set by name or path, keeping its first {@code limit} images (0: all). */
    static ImageSource openData(String name, int limit) {
        return openData(name, null, limit);
    }

    /**
     * Opens a data set by name or path with the labels of an IDX label file (null: the data's
     * own, if any), keeping its first {@code limit} images (0: all).
     */
    static ImageSource openData(String name, Path labels, int limit) {
        try {
            ImageSource source = ImageSource.named(name);
            if (labels != null) {
                if (!Files.exists(labels)) {
                    throw new NoSuchFileException(labels.toString(), null, "no such label file (--labels)");
                }
                source = source.withLabelFile(labels);
            }
            return limit > 0 ? source.limit(limit) : source;
        } catch (IOException | PixelCnnException e) {
            throw dataError(e);
        }
    }

    /**
     * The images as the model takes them: labels kept for a class-conditional model (which needs
     * them), dropped for an unconditional one.
     *
     * @throws CliException (usage) if a conditional model gets unlabelled images
     */
    static Images forModel(Images images, PixelCnnConfig config, String where) {
        if (config.classes() == 0) {
            return images.withoutLabels();
        }
        if (!images.hasLabels()) {
            throw CliException.usage("the model is conditioned on " + config.classes() + " classes, but " + where
                    + " has no labels; give --labels FILE (an IDX label file), or a folder with one sub-folder of"
                    + " images per class");
        }
        int[] labels = images.labels();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= config.classes()) {
                throw CliException.usage("label " + labels[i] + " of image " + i + " in " + where + " is outside the"
                        + " model's " + config.classes() + " classes (0.." + (config.classes() - 1) + ")");
            }
        }
        return images;
    }

    /** Opens image files and folders of them. */
    static ImageSource openImages(java.util.List<Path> paths) {
        try {
            return ImageSource.ofPaths(paths);
        } catch (IOException | PixelCnnException e) {
            throw dataError(e);
        }
    }

    /** Checks the size of every image against the model's and reads them in the model's format. */
    static DataSet readForModel(ImageSource source, PixelCnnConfig config, int threshold) {
        try {
            source.requireSize(config.height(), config.width(), "the model's size");
            return source.read(ImageFormat.forModel(config, threshold));
        } catch (IOException | PixelCnnException e) {
            throw dataError(e);
        }
    }

    /** Reads a training/validation split. */
    static DataSplit readSplit(ImageSource source, ImageFormat format, double fraction, long seed) {
        try {
            return source.readSplit(format, fraction, seed);
        } catch (IOException | PixelCnnException e) {
            throw dataError(e);
        }
    }

    static CliException dataError(Exception e) {
        String m = Main.message(e);
        return new CliException(ExitCodes.BAD_DATA, m.startsWith("data: ") ? m : "data: " + m, e);
    }

    /** Reads and verifies the metadata of a checkpoint. */
    static Map<String, String> readMetadata(Path checkpoint) {
        requireCheckpoint(checkpoint);
        try {
            return PixelCnn.readMetadata(checkpoint);
        } catch (IOException | RuntimeException e) {
            throw checkpointError(checkpoint, e);
        }
    }

    /** Loads a checkpoint to compute with {@code threads} threads (0: all). */
    static PixelCnn loadModel(Path checkpoint, int threads) {
        return loadModel(checkpoint, Device.cpu(threads));
    }

    /** Loads a checkpoint to compute on {@code device}. */
    static PixelCnn loadModel(Path checkpoint, Device device) {
        requireCheckpoint(checkpoint);
        try {
            return PixelCnn.load(checkpoint, device);
        } catch (IOException | IllegalArgumentException e) {
            throw checkpointError(checkpoint, e);
        }
    }

    private static void requireCheckpoint(Path checkpoint) {
        if (!Files.exists(checkpoint)) {
            throw new CliException(ExitCodes.BAD_CHECKPOINT, "checkpoint " + checkpoint + " does not exist;"
                    + " expected a model written by 'pixelcnn4j train --checkpoint " + checkpoint + "'");
        }
        if (Files.isDirectory(checkpoint)) {
            throw new CliException(ExitCodes.BAD_CHECKPOINT, "checkpoint " + checkpoint
                    + " is a folder; expected a .safetensors file written by 'pixelcnn4j train'");
        }
    }

    private static CliException checkpointError(Path checkpoint, Exception e) {
        if (e instanceof NoSuchFileException) {
            return new CliException(ExitCodes.BAD_CHECKPOINT, "checkpoint " + checkpoint + " does not exist", e);
        }
        String m = Main.message(e);
        return new CliException(ExitCodes.BAD_CHECKPOINT, "bad checkpoint: "
                + (m.contains(checkpoint.toString()) ? m : checkpoint + ": " + m), e);
    }

    /** The binarization threshold: the option if given, else the checkpoint's, else 127. */
    static int threshold(Integer option, Map<String, String> metadata) {
        if (option != null) {
            if (option < 0 || option > 255) {
                throw CliException.usage("--binarize-threshold: expected 0..255, got " + option);
            }
            return option;
        }
        String stored = metadata.get(THRESHOLD_KEY);
        if (stored == null) {
            return DEFAULT_THRESHOLD;
        }
        try {
            return Integer.parseInt(stored);
        } catch (NumberFormatException e) {
            throw new CliException(ExitCodes.BAD_CHECKPOINT, "bad checkpoint: " + THRESHOLD_KEY
                    + " is \"" + stored + "\", expected an integer 0..255");
        }
    }

    /**
     * Per-image negative log-likelihoods in nats, computed {@code batch} images at a time so that
     * the engine's buffers stay small.
     */
    static double[] nll(PixelCnn model, Images images, int batch, IntConsumer imagesDone) {
        double[] nats = new double[images.count()];
        for (int first = 0; first < images.count(); first += batch) {
            int end = Math.min(images.count(), first + batch);
            Likelihood part = model.logLikelihood(images.slice(first, end));
            for (int i = first; i < end; i++) {
                nats[i] = part.nats(i - first);
            }
            if (imagesDone != null) {
                imagesDone.accept(end);
            }
        }
        return nats;
    }

    /** A model's architecture in one line, e.g. "1x28x28, bernoulli, hidden 64, ...". */
    static String describe(PixelCnnConfig c) {
        String head = c.head() == PixelCnnConfig.Head.BERNOULLI ? "bernoulli" : "categorical " + c.levels() + " levels";
        String shape = c.channels() + "x" + c.height() + "x" + c.width();
        if (c.architecture() == PixelCnnConfig.Architecture.GATED) {
            return "Gated PixelCNN, " + shape + ", " + head + ", " + c.blocks() + (c.blocks() == 1 ? " layer" : " layers")
                    + " of " + c.hiddenChannels() + " channels, head " + c.headChannels() + ", kernels "
                    + c.inputKernel() + "/" + c.blockKernel()
                    + (c.skipConnections() ? ", skip connections" : ", no skip connections") + ", "
                    + (c.classes() == 0 ? "unconditional" : "conditioned on " + c.classes() + " classes")
                    + ", seed " + c.seed();
        }
        return shape + ", " + head + ", hidden " + c.hiddenChannels() + ", residual " + c.residualChannels()
                + ", head " + c.headChannels() + ", " + c.blocks() + (c.blocks() == 1 ? " block" : " blocks")
                + ", kernels " + c.inputKernel() + "/" + c.blockKernel() + ", seed " + c.seed();
    }

    /** The mean of values. */
    static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    /** Nats per image to bits per dimension. */
    static double bitsPerDim(double nats, PixelCnnConfig config) {
        return nats / (config.dimensions() * Math.log(2));
    }
}
