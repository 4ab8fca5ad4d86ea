package org.pixelcnn4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;

/**
 * A model as the executors get it: its checkpoint bytes in a Spark broadcast (sent once to each
 * executor, not with every task), a key naming them, and the shape the driver read from them.
 * Executors open native models from it through {@link ExecutorModels}, one per task thread.
 */
final class ModelSource implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String key;
    private final Broadcast<byte[]> checkpoint;
    private final ModelShape shape;

    private ModelSource(String key, Broadcast<byte[]> checkpoint, ModelShape shape) {
        this.key = key;
        this.checkpoint = checkpoint;
        this.shape = shape;
    }

    /**
     * The checkpoint at {@code file}, verified on the driver first (a corrupt file fails here,
     * with the loader's message, not in a task).
     */
    static ModelSource ofCheckpoint(JavaSparkContext sc, Path file) throws IOException {
        PixelCnnConfig config;
        try (PixelCnn model = PixelCnn.load(file)) {
            config = model.config();
        }
        byte[] bytes = Files.readAllBytes(file);
        return new ModelSource("checkpoint-" + sha256(bytes), sc.broadcast(bytes), ModelShape.of(config));
    }

    /**
     * A snapshot of {@code model} as it is now. With {@code privateCopies} the key is unique, so
     * the executors' models of this source are never handed to another job (a trainer changes
     * their weights every step).
     */
    static ModelSource ofModel(JavaSparkContext sc, PixelCnn model, boolean privateCopies) {
        byte[] bytes = checkpointBytes(model);
        String key = privateCopies ? "private-" + UUID.randomUUID() : "checkpoint-" + sha256(bytes);
        return new ModelSource(key, sc.broadcast(bytes), ModelShape.of(model.config()));
    }

    /**
     * What a builder was given: a checkpoint file (read and verified here) or a model (its state
     * now), shared under its content's key.
     *
     * @throws IllegalStateException naming {@code what} if neither was given
     */
    static ModelSource ofEither(JavaSparkContext sc, Path checkpoint, PixelCnn model, String what)
            throws IOException {
        if (checkpoint != null) {
            return ofCheckpoint(sc, checkpoint);
        }
        if (model != null) {
            return ofModel(sc, model, false);
        }
        throw new IllegalStateException(what + ": set a checkpoint or a model");
    }

    /** The model's checkpoint, as {@link PixelCnn#save} writes it. */
    static byte[] checkpointBytes(PixelCnn model) {
        try {
            Path file = Files.createTempFile("pixelcnn4j-spark-", ".safetensors");
            try {
                model.save(file);
                return Files.readAllBytes(file);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not snapshot the model for the executors: " + e.getMessage(), e);
        }
    }

    String key() {
        return key;
    }

    /** The checkpoint bytes: on an executor, fetched from the broadcast on first use. */
    byte[] bytes() {
        return checkpoint.value();
    }

    ModelShape shape() {
        return shape;
    }

    /** Drops the broadcast's blocks on the executors and the driver (the source is then unusable). */
    void destroy() {
        checkpoint.destroy();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
