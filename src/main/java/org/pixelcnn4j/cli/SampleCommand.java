package org.pixelcnn4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.data.Png;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    ModelFileOption modelFile;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    ComputeOptions compute;

    @Option(names = {"-n", "--count"}, paramLabel = "N", order = 2,
            description = "Images to draw; for a class-conditional model without --label, images of each class"
                    + " (one grid row per class). Default: 16, or 8 per class.")
    Integer count;

    @Option(names = "--label", paramLabel = "N", order = 3,
            description = "A class-conditional model: draw every image from class N.")
    Integer label;

    @Option(names = "--grid", paramLabel = "FILE", order = 5,
            description = "Write all images as one PNG grid. Default: samples.png unless --out-dir is given.")
    Path grid;

    @Option(names = "--columns", paramLabel = "N", order = 6,
            description = "Images per grid row. Default: about the square root of --count.")
    Integer columns;

    @Option(names = "--out-dir", paramLabel = "DIR", order = 8,
            description = "Write every image as DIR/sample-NNNN.png (at its own size).")
    Path outDir;

    /** Creates the command; picocli fills in the options. */
    SampleCommand() {
    }

    @Override
    public Integer call() {
        if (count != null && count <= 0) {
            throw CliException.usage("--count: expected a positive number of images, got " + count);
        }
        if (columns != null && columns <= 0) {
            throw CliException.usage("--columns: expected a positive count, got " + columns);
        }
        sampling.check();
        compute.check();
        Path gridFile = grid == null && outDir == null ? Path.of("samples.png") : grid;
        PrintWriter out = spec.commandLine().getOut();
        ProgressPrinter printer = new ProgressPrinter(spec.commandLine().getErr(), compute.progress());
        try (PixelCnn net = Inputs.loadModel(modelFile.model, compute.device())) {
            int classes = net.config().classes();
            if (label != null && classes == 0) {
                throw CliException.usage("--label: " + modelFile.model + " is unconditional (trained without --classes)");
            }
            if (label != null && (label < 0 || label >= classes)) {
                throw CliException.usage("--label: expected a class in 0.." + (classes - 1) + ", got " + label);
            }
            // A conditional model without --label: a row of images for every class.
            boolean perClass = classes > 0 && label == null;
            int perDraw = count != null ? count : perClass ? 8 : 16;
            int[] labels = null;
            if (classes > 0) {
                labels = new int[perClass ? perDraw * classes : perDraw];
                for (int i = 0; i < labels.length; i++) {
                    labels[i] = perClass ? i / perDraw : label;
                }
            }
            long start = System.nanoTime();
            org.pixelcnn4j.SamplingConfig config = sampling.toConfig(new SamplingReporter(printer, "sampled"));
            Images samples = labels != null ? net.sample(labels, config) : net.sample(perDraw, config);
            int drawn = samples.count();
            int gridColumns = columns != null ? columns : perClass ? perDraw : (int) Math.ceil(Math.sqrt(drawn));
            printer.clear();
            double seconds = (System.nanoTime() - start) / 1e9;
            int levels = net.config().levels();
            try {
                if (gridFile != null) {
                    createParent(gridFile);
                    Png.writeGrid(samples, gridFile, gridColumns, levels, sampling.scale);
                }
                if (outDir != null) {
                    Files.createDirectories(outDir);
                    for (int i = 0; i < drawn; i++) {
                        Png.write(samples, outDir.resolve(String.format(Locale.ROOT, "sample-%04d.png", i)), i, levels);
                    }
                }
            } catch (IOException e) {
                throw new CliException(ExitCodes.FAILURE, "cannot write the samples: " + Main.describe(e), e);
            }
            out.printf(Locale.ROOT, "drew %d image%s%s in %s (seed %d, temperature %s, %s sampler)%n", drawn,
                    drawn == 1 ? "" : "s", perClass ? " (" + perDraw + " of each of " + classes + " classes, a row"
                    + " each)" : label != null ? " of class " + label : "", ProgressPrinter.duration(seconds),
                    sampling.seed, sampling.temperature, sampling.naive ? "naive" : "cached");
            if (gridFile != null) {
                out.println("wrote " + gridFile);
            }
            if (outDir != null) {
                out.println("wrote " + outDir.resolve("sample-0000.png") + (drawn > 1 ? " .. "
                        + outDir.resolve(String.format(Locale.ROOT, "sample-%04d.png", drawn - 1)) : ""));
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    static void createParent(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }
}
