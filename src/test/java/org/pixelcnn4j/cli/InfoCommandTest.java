package org.pixelcnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.PixelCnn;

/** {@code pixelcnn4j info}: configuration, parameters, step and stored settings. */
class InfoCommandTest {
    @TempDir
    Path dir;

    @Test
    void showsModelStepAndTrainingSettings() throws IOException {
        Path model = Cli.trained(dir, 3);
        Cli.Result r = Cli.run("info", "--model", model.toString());
        assertEquals(0, r.code(), r.toString());
        long parameters;
        try (PixelCnn net = PixelCnn.load(model)) {
            parameters = net.parameterCount();
        }
        assertTrue(r.out().contains("model: 1x8x8, bernoulli, hidden 4, residual 2, head 4, 1 block, kernels 3/3"),
                r.out());
        assertTrue(r.out().contains(String.format("parameters: %,d", parameters)), r.out());
        assertTrue(r.out().contains("training step: 3"), r.out());
        assertTrue(r.out().contains("  data: " + dir.resolve("bars.idx").toAbsolutePath()), r.out());
        assertTrue(r.out().contains("  batch_size: 8"), r.out());
        assertTrue(r.out().contains("  target_steps: 3"), r.out());
    }
}
