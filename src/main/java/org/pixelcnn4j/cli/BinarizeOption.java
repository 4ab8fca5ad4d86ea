package org.pixelcnn4j.cli;

import picocli.CommandLine.Option;

/** {@code --binarize-threshold}: how intensities become the 0/1 pixels of a Bernoulli model. */
final class BinarizeOption {
    @Option(names = "--binarize-threshold", paramLabel = "T", order = 4,
            description = "Bernoulli models: intensities above T (0..255) become 1. Default: the checkpoint's, "
                    + "else " + Inputs.DEFAULT_THRESHOLD + ".")
    Integer threshold;

    /** @return the threshold given, or the default for a new model */
    int valueOrDefault() {
        return threshold != null ? threshold : Inputs.DEFAULT_THRESHOLD;
    }
}
