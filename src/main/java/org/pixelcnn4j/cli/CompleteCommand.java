package org.pixelcnn4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.data.DataSet;
import org.pixelcnn4j.data.ImageFormat;
import org.pixelcnn4j.data.ImageSource;
import org.pixelcnn4j.data.Png;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pixelcnn4j complete}: keeps the known pixels of images and draws the rest from a model. */
@Command(name = "complete", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Complete images: keep the known pixels and draw the others from the model, in raster order, "
                    + "each given everything before it.",
            "The known pixels are the white ones of a mask PNG (--mask; one for all images or one per "
                    + "image) or the top rows (--known-rows). Writes DIR/NAME.png per image and, with --grid, "
                    + "a grid of original | known pixels (unknown in gray) | completion per image.",
            ""})
final class CompleteCommand implements Callable<Integer> {
    /** The gray that marks unknown pixels in the grid. */
    private static final int UNKNOWN_GRAY = 128;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelFileOption modelFile;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    BinarizeOption binarize;

    @Mixin
    ComputeOptions compute;

    @Parameters(paramLabel = "IMAGE", arity = "1..*",
            description = "PNG/JPEG images, or folders of them, of the model's size.")
    List<Path> images;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Known known;

    /** Which pixels are known: a mask or the top rows. */
    static final class Known {
        @Option(names = "--mask", paramLabel = "PNG", required = true,
                description = "Mask image(s) or a folder of them, white = known: one for all images, or one per "
                        + "image in the same order.")
        List<Path> masks;

        @Option(names = "--known-rows", paramLabel = "N", required = true,
                description = "The top N rows are known, the rest is drawn.")
        Integer rows;
    }

    @Option(names = "--label", paramLabel = "N", order = 4,
            description = "A class-conditional model: complete every image as one of class N.")
    Integer label;

    @Option(names = "--out-dir", paramLabel = "DIR", order = 2,
            description = "Where the completed PNGs go. Default: ${DEFAULT-VALUE}.")
    Path outDir = Path.of("completions");

    @Option(names = "--grid", paramLabel = "FILE", order = 3,
            description = "Also write a grid: original | known pixels | completion, one row per image.")
    Path grid;

    /** Creates the command; picocli fills in the options. */
    CompleteCommand() {
    }

    @Override
    public Integer call() {
        sampling.check();
        compute.check();
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> metadata = Inputs.readMetadata(modelFile.model);
        try (PixelCnn net = Inputs.loadModel(modelFile.model, compute.device())) {
            PixelCnnConfig config = net.config();
            if (binarize.threshold != null && config.head() != PixelCnnConfig.Head.BERNOULLI) {
                throw CliException.usage("--binarize-threshold applies to Bernoulli models; " + modelFile.model
                        + " is categorical with " + config.levels() + " levels");
            }
            DataSet set = Inputs.readForModel(Inputs.openImages(images), config, Inputs.threshold(binarize.threshold, metadata));
            Images mask = known.rows != null ? rowMask(set, config) : masks(set, config);
            ProgressPrinter printer = new ProgressPrinter(spec.commandLine().getErr(), compute.progress());
            Images partial = set.images();
            if (config.classes() > 0) {
                if (label == null) {
                    throw CliException.usage("--label: " + modelFile.model + " is conditioned on " + config.classes()
                            + " classes; give the class to complete the images as (0.." + (config.classes() - 1) + ")");
                }
                if (label < 0 || label >= config.classes()) {
                    throw CliException.usage("--label: expected a class in 0.." + (config.classes() - 1) + ", got "
                            + label);
                }
                int[] labels = new int[set.count()];
                java.util.Arrays.fill(labels, label);
                partial = partial.withLabels(labels);
            } else if (label != null) {
                throw CliException.usage("--label: " + modelFile.model + " is unconditional (trained without --classes)");
            }
            Images completed = net.complete(partial, mask,
                    sampling.toConfig(new SamplingReporter(printer, "completed")));
            printer.clear();
            try {
                Files.createDirectories(outDir);
                Set<String> used = new HashSet<>();
                for (int i = 0; i < set.count(); i++) {
                    Png.write(completed, outDir.resolve(outputName(set.fileName(i), used)), i, config.levels());
                }
                if (grid != null) {
                    SampleCommand.createParent(grid);
                    Png.writeGrid(gridImages(set.images(), mask, completed, config.levels()), grid, 3, 256, sampling.scale);
                }
            } catch (IOException e) {
                throw new CliException(ExitCodes.FAILURE, "cannot write the completions: " + Main.describe(e), e);
            }
            out.printf(Locale.ROOT, "completed %d image%s (seed %d, temperature %s); wrote them to %s%n", set.count(),
                    set.count() == 1 ? "" : "s", sampling.seed, sampling.temperature, outDir);
            if (grid != null) {
                out.println("wrote " + grid);
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    private Images rowMask(DataSet set, PixelCnnConfig config) {
        if (known.rows < 0 || known.rows > config.height()) {
            throw CliException.usage("--known-rows: expected 0.." + config.height() + " (the model's height), got "
                    + known.rows);
        }
        return Images.rowMask(set.count(), config.channels(), config.height(), config.width(), known.rows);
    }

    /** Reads the mask PNGs: white (above 127) is known; one mask for all images or one per image. */
    private Images masks(DataSet set, PixelCnnConfig config) {
        ImageSource source = Inputs.openImages(known.masks);
        DataSet masks;
        try {
            source.requireSize(config.height(), config.width(), "the model's size");
            masks = source.read(ImageFormat.binarized(config.channels(), 127));
        } catch (IOException | RuntimeException e) {
            throw Inputs.dataError(e);
        }
        if (masks.count() == set.count()) {
            return masks.images();
        }
        if (masks.count() != 1) {
            throw CliException.usage("got " + masks.count() + " masks for " + set.count() + " images; expected one"
                    + " mask for all images or one per image");
        }
        return masks.images().select(new int[set.count()]);
    }

    /** NAME.png from the input's file name, numbered when two inputs share a name. */
    private static String outputName(String fileName, Set<String> used) {
        int dot = fileName.lastIndexOf('.');
        String stem = dot > 0 ? fileName.substring(0, dot) : fileName;
        String name = stem + ".png";
        for (int k = 2; !used.add(name); k++) {
            name = stem + "-" + k + ".png";
        }
        return name;
    }

    /** Original, known pixels (unknown in gray) and completion of each image, at 256 levels. */
    private static Images gridImages(Images originals, Images mask, Images completed, int levels) {
        byte[] orig = originals.toArray();
        byte[] known = mask.toArray();
        byte[] done = completed.toArray();
        int n = originals.count();
        int size = orig.length / n;
        byte[] cells = new byte[3 * orig.length];
        int max = levels - 1;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < size; j++) {
                int k = i * size + j;
                int original = ((orig[k] & 0xFF) * 255 + max / 2) / max;
                cells[(3 * i) * size + j] = (byte) original;
                cells[(3 * i + 1) * size + j] = (byte) (known[k] != 0 ? original : UNKNOWN_GRAY);
                cells[(3 * i + 2) * size + j] = (byte) (((done[k] & 0xFF) * 255 + max / 2) / max);
            }
        }
        return Images.of(cells, 3 * n, originals.channels(), originals.height(), originals.width());
    }
}
