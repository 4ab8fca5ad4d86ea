package org.pixelcnn4j.cli;

import picocli.CommandLine.Option;

/** {@code --data} and {@code --limit}: the images a command reads. */
final class DataOptions {
    @Option(names = "--data", paramLabel = "SOURCE", order = 2,
            description = "An IDX file (plain or gzip), a folder of PNG/JPEG images (sorted by name), "
                    + "'fashion-mnist' or 'fashion-mnist-test' (the training or test set of the Debian package "
                    + "dataset-fashion-mnist). Default: fashion-mnist for train, fashion-mnist-test for eval.")
    String data;

    @Option(names = "--limit", paramLabel = "N", order = 3,
            description = "Use only the first N images (0: all). Default: ${DEFAULT-VALUE}.")
    int limit;

    /** @return the source given, or the command's default */
    String sourceOr(String defaultSource) {
        return data != null ? data : defaultSource;
    }

    /** @throws CliException (usage) for a negative limit */
    void check() {
        if (limit < 0) {
            throw CliException.usage("--limit: expected 0 (all) or a positive count, got " + limit);
        }
    }
}
