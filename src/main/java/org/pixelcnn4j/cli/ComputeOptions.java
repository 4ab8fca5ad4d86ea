package org.pixelcnn4j.cli;

import org.pixelcnn4j.Device;
import picocli.CommandLine.Option;

/** {@code --device}, {@code --threads} and {@code --no-progress}: how every command that computes runs. */
final class ComputeOptions {
    @Option(names = "--device", paramLabel = "DEVICE", order = 89,
            description = "cpu, or cuda:INDEX for an NVIDIA GPU (needs the -gpu engine and a driver). "
                    + "Default: ${DEFAULT-VALUE}.")
    String device = "cpu";

    @Option(names = "--threads", paramLabel = "N", order = 90,
            description = "Compute threads (0: all cores). Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--no-progress", order = 91,
            description = "Plain log lines instead of a progress bar, even on a terminal.")
    boolean noProgress;

    /** @throws CliException (usage) for a negative thread count or a device this machine cannot give */
    void check() {
        if (threads < 0) {
            throw CliException.usage("--threads: expected 0 (all cores) or a positive count, got " + threads);
        }
        device();  // before any data is read
    }

    /**
     * @return the device to compute on: the CPU with {@code --threads}, or the GPU {@code --device} names
     * @throws CliException (usage) for a device that is not one, or a GPU this machine cannot give
     */
    Device device() {
        String spec = device == null ? "cpu" : device.trim();
        if (spec.equals("cpu")) {
            return Device.cpu(threads);
        }
        try {
            return Device.parse(spec);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw CliException.usage("--device: " + e.getMessage());
        }
    }

    /** @return whether to draw a progress bar */
    boolean progress() {
        return ProgressPrinter.wanted(noProgress);
    }
}
