package org.pixelcnn4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings of a {@code pixelcnn4j train} run, stored in the checkpoint's metadata under
 * {@code train.*} so that {@code --resume} continues the same run and {@code info} can show them.
 *
 * @param data the data set: "fashion-mnist" or an absolute path
 * @param labels the IDX label file given with --labels (an absolute path), or null
 * @param limit images used from the data set, 0 for all
 * @param threshold binarization threshold, or -1 for a categorical model
 * @param batchSize images per step
 * @param learningRate Adam's learning rate
 * @param validationSplit share of the images held out for validation
 * @param seed seed of the validation split and of the batch order
 * @param targetSteps the step count the run trains to
 * @param checkpointEvery steps between checkpoints, 0 for only at the end
 * @param trainImages number of training images
 * @param trainChecksum CRC32C of the training images as read
 * @param validationImages number of validation images
 * @param validationChecksum CRC32C of the validation images as read, 0 if there are none
 * @param mutationRate fraction of sub-pixels mutated before each step (0 = off; absent in older
 *     checkpoints, which read as 0)
 * @param weightDecay Adam's L2 weight decay (0 = off; absent in older checkpoints)
 */
record TrainingSettings(String data, String labels, int limit, int threshold, int batchSize, double learningRate,
        double validationSplit, long seed, long targetSteps, int checkpointEvery, int trainImages,
        long trainChecksum, int validationImages, long validationChecksum, double mutationRate, double weightDecay) {

    /** Prefix of the metadata keys. */
    static final String PREFIX = "train.";

    /** @return the settings as checkpoint metadata entries */
    Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(PREFIX + "data", data);
        if (labels != null) {
            m.put(PREFIX + "labels", labels);
        }
        m.put(PREFIX + "limit", Integer.toString(limit));
        if (threshold >= 0) {
            m.put(Inputs.THRESHOLD_KEY, Integer.toString(threshold));
        }
        m.put(PREFIX + "batch_size", Integer.toString(batchSize));
        m.put(PREFIX + "learning_rate", Double.toString(learningRate));
        m.put(PREFIX + "validation_split", Double.toString(validationSplit));
        m.put(PREFIX + "seed", Long.toString(seed));
        m.put(PREFIX + "target_steps", Long.toString(targetSteps));
        m.put(PREFIX + "checkpoint_every", Integer.toString(checkpointEvery));
        m.put(PREFIX + "train_images", Integer.toString(trainImages));
        m.put(PREFIX + "train_checksum", Long.toHexString(trainChecksum));
        m.put(PREFIX + "validation_images", Integer.toString(validationImages));
        m.put(PREFIX + "validation_checksum", Long.toHexString(validationChecksum));
        if (mutationRate > 0) {
            m.put(PREFIX + "mutation_rate", Double.toString(mutationRate));
        }
        if (weightDecay > 0) {
            m.put(PREFIX + "weight_decay", Double.toString(weightDecay));
        }
        return m;
    }

    /** @return whether the metadata holds settings of {@code pixelcnn4j train} */
    static boolean present(Map<String, String> metadata) {
        return metadata.containsKey(PREFIX + "data");
    }

    /**
     * Reads the settings back.
     *
     * @param metadata the checkpoint's metadata
     * @param file the checkpoint, for messages
     * @return the settings
     * @throws CliException ({@link ExitCodes#BAD_CHECKPOINT}) if an entry is missing or malformed
     */
    static TrainingSettings fromMetadata(Map<String, String> metadata, Path file) {
        if (!present(metadata)) {
            throw new CliException(ExitCodes.BAD_CHECKPOINT, "checkpoint " + file + " holds no training settings"
                    + " (it was not written by 'pixelcnn4j train'); --resume needs them");
        }
        Reader r = new Reader(metadata, file);
        return new TrainingSettings(r.string("data"), metadata.get(PREFIX + "labels"), r.integer("limit"),
                metadata.containsKey(Inputs.THRESHOLD_KEY) ? r.integer("binarize_threshold") : -1,
                r.integer("batch_size"), r.decimal("learning_rate"), r.decimal("validation_split"),
                r.longValue("seed", 10), r.longValue("target_steps", 10), r.integer("checkpoint_every"),
                r.integer("train_images"), r.longValue("train_checksum", 16), r.integer("validation_images"),
                r.longValue("validation_checksum", 16),
                metadata.containsKey(PREFIX + "mutation_rate") ? r.decimal("mutation_rate") : 0.0,
                metadata.containsKey(PREFIX + "weight_decay") ? r.decimal("weight_decay") : 0.0);
    }

    private record Reader(Map<String, String> metadata, Path file) {
        String string(String key) {
            String v = metadata.get(PREFIX + key);
            if (v == null) {
                throw new CliException(ExitCodes.BAD_CHECKPOINT, "bad checkpoint: " + file + " lacks the training"
                        + " setting " + PREFIX + key);
            }
            return v;
        }

        int integer(String key) {
            return (int) longValue(key, 10);
        }

        long longValue(String key, int radix) {
            String v = string(key);
            try {
                return radix == 16 ? Long.parseUnsignedLong(v, 16) : Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw malformed(key, v);
            }
        }

        double decimal(String key) {
            String v = string(key);
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw malformed(key, v);
            }
        }

        private CliException malformed(String key, String value) {
            return new CliException(ExitCodes.BAD_CHECKPOINT, "bad checkpoint: " + file + " has " + PREFIX + key
                    + " = \"" + value + "\", expected a number");
        }
    }
}
