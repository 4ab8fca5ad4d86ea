package org.pixelcnn4j.cli;

import picocli.CommandLine.Option;

/** {@code --threads} and {@code --no-progress}: how every command that computes runs. */
final class ComputeOptions {
    @Option(names = "--threads", paramLabel = "N", order = 90,
            description = "Compute threads (0: all cores). Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--no-progress", order = 91,
            description = "Plain log lines instead of a progress bar, even on a terminal.")
    boolean noProgress;

    /** @throws CliException (usage) for a negative thread count */
    void check() {
        if (threads < 0) {
            throw CliException.usage("--threads: expected 0 (all cores) or a positive count, got " + threads);
        }
    }

    /** @return whether to draw a progress bar */
    boolean progress() {
        return ProgressPrinter.wanted(noProgress);
    }
}
