package org.pixelcnn4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.SamplingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pixelcnn4j sample}: draws images from a model into a grid and/or single PNGs. */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Draw images from a model and write them as a PNG grid (--grid) and/or one PNG each (--out-dir).",
            "The same seed and temperature give the same images for any batch size, thread count or "
                    + "sampler (cached or --naive).",
            ""})
final class SampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", order = 1,
            description = "The checkpoint. Default: ${DEFAULT-VALUE}.")
    Path model = Path.of("model.safetensors");

    @Option(names = {"-n", "--count"}, paramLabel = "N", order = 2,
            description = "Images to draw. Default: ${DEFAULT-VALUE}.")
    int count = 16;

    @Option(names = "--seed", paramLabel = "S", order = 3, description = "Random seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--temperature", paramLabel = "T", order = 4,
            description = "Below 1 sharpens, above 1 flattens the model's distributions. Default: ${DEFAULT-VALUE}.")
    double temperature = 1.0;

    @Option(names = "--grid", paramLabel = "FILE", order = 5,
            description = "Write all images as one PNG grid. Default: samples.png unless --out-dir is given.")
    Path grid;

    @Option(names = "--columns", paramLabel = "N", order = 6,
            description = "Images per grid row. Default: about the square root of --count.")
    Integer columns;

    @Option(names = "--scale", paramLabel = "N", order = 7,
            description = "Grid pixels per image pixel. Default: ${DEFAULT-VALUE}.")
    int scale = 4;

    @Option(names = "--out-dir", paramLabel = "DIR", order = 8,
            description = "Write every image as DIR/sample-NNNN.png (at its own size).")
    Path outDir;

    @Option(names = "--batch-size", paramLabel = "N", order = 9,
            description = "Images drawn together. Default: ${DEFAULT-VALUE}.")
    int batchSize = 64;

    @Option(names = "--naive", order = 10,
            description = "Use the naive sampler (a full forward pass per pixel): slow, same images.")
    boolean naive;

    @Option(names = "--threads", paramLabel = "N", order = 11,
            description = "Compute threads (0: all cores). Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--no-progress", order = 12, description = "No progress bar, even on a terminal.")
    boolean noProgress;

    /** Creates the command; picocli fills in the options. */
    SampleCommand() {
    }

    @Override
    public Integer call() {
        if (count <= 0) {
            throw CliException.usage("--count: expected a positive number of images, got " + count);
        }
        if (columns != null && columns <= 0) {
            throw CliException.usage("--columns: expected a positive count, got " + columns);
        }
        checkSampling(temperature, batchSize, scale, threads);
        Path gridFile = grid == null && outDir == null ? Path.of("samples.png") : grid;
        PrintWriter out = spec.commandLine().getOut();
        ProgressPrinter printer = new ProgressPrinter(spec.commandLine().getErr(), ProgressPrinter.wanted(noProgress));
        try (PixelCnn net = Inputs.loadModel(model, threads)) {
            long start = System.nanoTime();
            Images samples = net.sample(count, SamplingConfig.builder()
                    .optSeed(seed)
                    .optTemperature(temperature)
                    .optBatchSize(batchSize)
                    .optCached(!naive)
                    .optListener(new SamplingReporter(printer, "sampled"))
                    .build());
            printer.clear();
            double seconds = (System.nanoTime() - start) / 1e9;
            int levels = net.config().levels();
            try {
                if (gridFile != null) {
                    createParent(gridFile);
                    samples.writeGrid(gridFile, columns != null ? columns : (int) Math.ceil(Math.sqrt(count)), levels,
                            scale);
                }
                if (outDir != null) {
                    Files.createDirectories(outDir);
                    for (int i = 0; i < count; i++) {
                        samples.writePng(outDir.resolve(String.format(Locale.ROOT, "sample-%04d.png", i)), i, levels);
                    }
                }
            } catch (IOException e) {
                throw new CliException(ExitCodes.FAILURE, "cannot write the samples: " + Main.describe(e), e);
            }
            out.printf(Locale.ROOT, "drew %d image%s in %s (seed %d, temperature %s, %s sampler)%n", count,
                    count == 1 ? "" : "s", ProgressPrinter.duration(seconds), seed, temperature,
                    naive ? "naive" : "cached");
            if (gridFile != null) {
                out.println("wrote " + gridFile);
            }
            if (outDir != null) {
                out.println("wrote " + outDir.resolve("sample-0000.png") + (count > 1 ? " .. "
                        + outDir.resolve(String.format(Locale.ROOT, "sample-%04d.png", count - 1)) : ""));
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    /** Checks the options sample and complete share. */
    static void checkSampling(double temperature, int batchSize, int scale, int threads) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw CliException.usage("--temperature: expected a positive finite value, got " + temperature);
        }
        if (batchSize <= 0) {
            throw CliException.usage("--batch-size: expected a positive count, got " + batchSize);
        }
        if (scale < 1 || scale > 64) {
            throw CliException.usage("--scale: expected 1..64, got " + scale);
        }
        if (threads < 0) {
            throw CliException.usage("--threads: expected 0 (all cores) or a positive count, got " + threads);
        }
    }

    static void createParent(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }
}
