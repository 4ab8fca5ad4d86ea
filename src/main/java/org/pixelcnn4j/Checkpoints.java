package org.pixelcnn4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pixelcnn4j.engine.Model;
import org.pixelcnn4j.engine.global.pixelcnn;
import org.pixelcnn4j.io.Safetensors;

/**
 * The checkpoint of a model, a safetensors file: weights under their PyTorch {@code state_dict}
 * names in (out, in, kh, kw) layout with masked taps as zeros, Adam's moments under
 * {@code optimizer.exp_avg.<name>} and {@code optimizer.exp_avg_sq.<name>} (once a step was taken),
 * and the configuration, step count and the caller's entries in the metadata.
 */
final class Checkpoints {

    /** Checkpoint format tag written into the safetensors metadata. */
    static final String FORMAT = "pixelcnn4j/1";
    /** Name prefixes of the Adam moments in a checkpoint; weights keep their state_dict names. */
    static final String ADAM_M_PREFIX = "optimizer.exp_avg.";
    static final String ADAM_V_PREFIX = "optimizer.exp_avg_sq.";

    private Checkpoints() {
    }

    /** A verified checkpoint, read but not yet restored into a model. */
    static final class Contents {
        final Path file;
        final PixelCnnConfig config;
        final long steps;
        final Map<String, Safetensors.Tensor> tensors;

        private Contents(Path file, PixelCnnConfig config, long steps, Map<String, Safetensors.Tensor> tensors) {
            this.file = file;
            this.config = config;
            this.steps = steps;
            this.tensors = tensors;
        }
    }

    /** @throws IllegalArgumentException if a caller's metadata key belongs to pixelcnn4j */
    static void checkExtraKeys(Map<String, String> extraMetadata) {
        for (String key : extraMetadata.keySet()) {
            if (key.startsWith("model.") || key.equals("training.step") || key.equals("format")
                    || key.startsWith("checksum.") || key.equals("__metadata__")) {
                throw new IllegalArgumentException("metadata key \"" + key + "\" is reserved by pixelcnn4j");
            }
        }
    }

    /** Writes the model's weights, Adam state, configuration and step, atomically (keys checked first). */
    static void write(Path file, Map<String, String> extraMetadata, PixelCnnConfig config, Model model)
            throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>(extraMetadata);
        metadata.put("format", FORMAT);
        metadata.putAll(config.toMetadata());
        long steps = model.adam_step_count();
        metadata.put("training.step", Long.toString(steps));
        List<Safetensors.Tensor> tensors = new ArrayList<>(tensors(model, pixelcnn.TENSOR_PARAM, ""));
        if (steps > 0) {
            tensors.addAll(tensors(model, pixelcnn.TENSOR_ADAM_M, ADAM_M_PREFIX));
            tensors.addAll(tensors(model, pixelcnn.TENSOR_ADAM_V, ADAM_V_PREFIX));
        }
        Safetensors.write(file, metadata, tensors);
    }

    /** The metadata of a checkpoint, fully verified (checksum included). */
    static Map<String, String> readMetadata(Path file) throws IOException {
        requireExists(file);
        return Safetensors.read(file).metadata();
    }

    /** Reads and verifies a checkpoint: format, configuration and step; tensors by name. */
    static Contents read(Path file) throws IOException {
        requireExists(file);
        Safetensors.Contents contents = Safetensors.read(file);
        Map<String, String> metadata = contents.metadata();
        String format = metadata.get("format");
        if (!FORMAT.equals(format)) {
            throw new MalformedModelException(file + ": not a pixelcnn4j checkpoint (metadata format is "
                    + (format == null ? "missing" : "\"" + format + "\"") + ", expected \"" + FORMAT + "\")");
        }
        PixelCnnConfig config;
        long steps;
        try {
            config = PixelCnnConfig.fromMetadata(metadata);
            String step = metadata.getOrDefault("training.step", "0");
            try {
                steps = Long.parseLong(step);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("training.step: expected an integer, got \"" + step + "\"", e);
            }
        } catch (IllegalArgumentException e) {
            throw new MalformedModelException(file + ": invalid model metadata: " + e.getMessage(), e);
        }
        if (steps < 0) {
            throw new MalformedModelException(file + ": training.step is negative: " + steps);
        }
        Map<String, Safetensors.Tensor> byName = new HashMap<>();
        long weightValues = 0;
        for (Safetensors.Tensor t : contents.tensors()) {
            byName.put(t.name(), t);
            if (!t.name().startsWith(ADAM_M_PREFIX) && !t.name().startsWith(ADAM_V_PREFIX)) {
                weightValues += t.data().length;
            }
        }
        // Before a model is built: a small file whose metadata claims huge widths must not get
        // the memory of the model it describes. Tensors the model does not know are ignored (and
        // counted here), so the file must hold at least the model's values; restore() then checks
        // each tensor's name and shape.
        long expected = parameterCount(config);
        if (weightValues < expected) {
            throw new MalformedModelException(String.format(java.util.Locale.ROOT,
                    "%s: the metadata describes a model of %,d parameters (%s), but the file's weight tensors"
                    + " hold only %,d values", file, expected, config, weightValues));
        }
        return new Contents(file, config, steps, byName);
    }

    /** Parameters of a model of {@code config}, from the engine, without building the model. */
    static long parameterCount(PixelCnnConfig config) {
        try (org.pixelcnn4j.engine.Config c = config.toNative(0)) {
            return EngineCalls.run(() -> pixelcnn.parameter_count(c));
        }
    }

    /** Sets a model of the checkpoint's configuration to the checkpoint's weights, moments and step. */
    static void restore(Contents checkpoint, Model model) throws MalformedModelException {
        boolean moments = checkpoint.steps > 0;
        for (int i = 0; i < model.tensor_count(); i++) {
            restoreTensor(checkpoint, model, pixelcnn.TENSOR_PARAM, i, "", true);
            restoreTensor(checkpoint, model, pixelcnn.TENSOR_ADAM_M, i, ADAM_M_PREFIX, moments);
            restoreTensor(checkpoint, model, pixelcnn.TENSOR_ADAM_V, i, ADAM_V_PREFIX, moments);
        }
        model.set_adam_step_count(checkpoint.steps);
    }

    /** Every tensor of one kind (weights, Adam moments), in the model's order, named with a prefix. */
    static List<Safetensors.Tensor> tensors(Model model, int kind, String prefix) {
        List<Safetensors.Tensor> tensors = new ArrayList<>();
        for (int i = 0; i < model.tensor_count(); i++) {
            float[] data = new float[(int) model.tensor_size(i)];
            model.read_tensor(kind, i, data);
            tensors.add(new Safetensors.Tensor(prefix + model.tensor_name(i), shapeOf(model, i), data));
        }
        return tensors;
    }

    private static void restoreTensor(Contents checkpoint, Model model, int kind, int index, String prefix,
            boolean required) throws MalformedModelException {
        String name = prefix + model.tensor_name(index);
        Safetensors.Tensor t = checkpoint.tensors.get(name);
        if (t == null) {
            if (required) {
                throw new MalformedModelException(checkpoint.file + ": tensor \"" + name + "\" is missing");
            }
            return;
        }
        long[] expected = shapeOf(model, index);
        if (!Arrays.equals(expected, t.shape())) {
            throw new MalformedModelException(checkpoint.file + ": tensor \"" + name + "\" has shape "
                    + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(expected));
        }
        try {
            model.write_tensor(kind, index, t.data());
        } catch (RuntimeException e) {
            throw new MalformedModelException(checkpoint.file + ": " + e.getMessage(), e);
        }
    }

    private static long[] shapeOf(Model model, int index) {
        long[] shape = new long[model.tensor_rank(index)];
        for (int a = 0; a < shape.length; a++) {
            shape[a] = model.tensor_dim(index, a);
        }
        return shape;
    }

    private static void requireExists(Path file) throws NoSuchFileException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "checkpoint file does not exist");
        }
    }
}
