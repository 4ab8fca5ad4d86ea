package org.pixelcnn4j.cli;

import org.pixelcnn4j.SamplingConfig;
import org.pixelcnn4j.SamplingListener;
import picocli.CommandLine.Option;

/** The options of the commands that draw pixels ({@code sample}, {@code complete}). */
final class SamplingOptions {
    @Option(names = "--seed", paramLabel = "S", order = 20, description = "Random seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--temperature", paramLabel = "T", order = 21,
            description = "Below 1 sharpens, above 1 flattens the model's distributions. Default: ${DEFAULT-VALUE}.")
    double temperature = 1.0;

    @Option(names = "--batch-size", paramLabel = "N", order = 22,
            description = "Images drawn together. Default: ${DEFAULT-VALUE}.")
    int batchSize = 64;

    @Option(names = "--naive", order = 23,
            description = "Use the naive sampler (a full forward pass per pixel): slow, same images.")
    boolean naive;

    @Option(names = "--scale", paramLabel = "N", order = 24,
            description = "Grid pixels per image pixel. Default: ${DEFAULT-VALUE}.")
    int scale = 4;

    /** @throws CliException (usage) for an option out of range */
    void check() {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw CliException.usage("--temperature: expected a positive finite value, got " + temperature);
        }
        if (batchSize <= 0) {
            throw CliException.usage("--batch-size: expected a positive count, got " + batchSize);
        }
        if (scale < 1 || scale > 64) {
            throw CliException.usage("--scale: expected 1..64, got " + scale);
        }
    }

    /** @return the sampling settings, reporting to {@code listener} */
    SamplingConfig toConfig(SamplingListener listener) {
        return SamplingConfig.builder()
                .optSeed(seed)
                .optTemperature(temperature)
                .optBatchSize(batchSize)
                .optCached(!naive)
                .optListener(listener)
                .build();
    }
}
