package org.pixelcnn4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code -m/--model}: the checkpoint a command reads. */
final class ModelFileOption {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE", order = 1,
            description = "The checkpoint. Default: ${DEFAULT-VALUE}.")
    Path model = Path.of("model.safetensors");
}
