package org.pixelcnn4j.cli;

import picocli.CommandLine.Option;

/** {@code --data} and {@code --limit}: the images a command reads. */
final class DataOptions {
    @Option(names = "--data", paramLabel = "SOURCE", order = 2,
            description = "An IDX file (plain or gzip), a folder of PNG/JPEG images (sorted by name), "
                    + "'fashion-mnist' or 'fashion-mnist-test' (the training or test set of the Debian package "
                    + "dataset-fashion-mnist). Default: fashion-mnist for train, fashion-mnist-test for eval.")
    String data;

    @Option(names = "--labels", paramLabel = "FILE", order = 3,
            description = "An IDX label file (as train-labels-idx1-ubyte.gz) with one class label per image of "
                    + "--data, for a class-conditional model. Fashion-MNIST brings its own labels, and a folder "
                    + "with one sub-folder of images per class is labelled by its sub-folders.")
    java.nio.file.Path labels;

    @Option(names = "--limit", paramLabel = "N", order = 4,
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
