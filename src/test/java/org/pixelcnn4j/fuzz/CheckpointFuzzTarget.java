package org.pixelcnn4j.fuzz;

import java.nio.file.Path;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.MalformedModelException;
import org.pixelcnn4j.PixelCnn;

/**
 * Fuzz target: any bytes as a checkpoint file through {@link PixelCnn#load} (the safetensors
 * reader, its header JSON, the metadata and the tensors against the configuration).
 *
 * <p>The contract: a {@link MalformedModelException} naming the problem, or a model. Any other
 * exception, an OutOfMemoryError or a JVM crash is a finding. Run by {@code fuzz/run.sh} with
 * Jazzer; the seeds and every finding's input are replayed by {@code FuzzCorpusTest}.
 */
public final class CheckpointFuzzTarget {

    private CheckpointFuzzTarget() {
    }

    public static void fuzzerTestOneInput(byte[] input) throws Exception {
        Path file = FuzzFiles.write("checkpoint.safetensors", input);
        try (PixelCnn model = PixelCnn.load(file, Device.cpu(1))) {
            model.parameterCount();
        } catch (MalformedModelException expected) {
            // the documented answer to a bad file
        }
    }
}
