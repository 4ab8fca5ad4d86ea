package org.pixelcnn4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.data.DataSet;
import org.pixelcnn4j.data.ImageSource;
import org.pixelcnn4j.ood.InputComplexity;
import org.pixelcnn4j.ood.OodEvaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pixelcnn4j ood}: how well each likelihood-based score tells two data sets apart. */
@Command(name = "ood", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Score an in-distribution and an out-of-distribution data set with every likelihood-based "
                    + "anomaly score and report how well each separates them: AUROC, AUPRC (OOD positive) and "
                    + "the false-positive rate at 95% true-positive rate.",
            "Scores (higher = more unusual): nll (nats), bits_per_dim, likelihood_ratio (NLL minus the "
                    + "--background model's NLL; train that one with 'train --background-model'), complexity (NLL "
                    + "in bits minus the PNG length in bits; complexity_NAME for the other --compressors).",
            "Writes DIR/scores.csv (every image), DIR/summary.json, DIR/histograms/SCORE.png and, with --maps, "
                    + "DIR/maps/SET-SCORE.png.",
            ""})
final class OodCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelFileOption modelFile;

    @Option(names = "--background", paramLabel = "FILE", order = 2,
            description = "A background model (same image shape), for the likelihood-ratio score.")
    Path background;

    @Option(names = "--in", paramLabel = "SOURCE", required = true, order = 3,
            description = "In-distribution images: an IDX file, a folder of PNG/JPEG images, 'fashion-mnist' or "
                    + "'fashion-mnist-test'.")
    String in;

    @Option(names = "--out", paramLabel = "SOURCE", required = true, order = 4,
            description = "Out-of-distribution images, in any of the same forms.")
    String out;

    @Option(names = "--limit", paramLabel = "N", order = 5,
            description = "Use only the first N images of each set (0: all). Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--compressors", paramLabel = "LIST", split = ",", order = 6,
            description = "The lossless compressors of the complexity scores, comma-separated: png (the score "
                    + "'complexity'), gif, tiff_lzw, tiff_deflate, tiff_packbits, ccitt_t6 (binary images), deflate "
                    + "(the others' scores are complexity_NAME). Default: png.")
    List<String> compressors = List.of("png");

    @Option(names = "--maps", paramLabel = "N", order = 7,
            description = "Also draw, for every score and both sets, the N images it ranks most unusual with "
                    + "their per-pixel maps (NLL; with --background both models' and the ratio's): "
                    + "DIR/maps/SET-SCORE.png. Default: ${DEFAULT-VALUE} (none).")
    int maps;

    @Option(names = "--output", paramLabel = "DIR", order = 8,
            description = "Where the reports go. Default: ${DEFAULT-VALUE}.")
    Path output = Path.of("ood-report");

    @Mixin
    BinarizeOption binarize;

    @Mixin
    ComputeOptions compute;

    /** Creates the command; picocli fills in the options. */
    OodCommand() {
    }

    @Override
    public Integer call() {
        compute.check();
        if (limit < 0) {
            throw CliException.usage("--limit: expected 0 (all) or a positive count, got " + limit);
        }
        if (maps < 0 || maps > 1000) {
            throw CliException.usage("--maps: expected 0 (none) to 1000 images, got " + maps);
        }
        InputComplexity.Compressor[] chosen = new InputComplexity.Compressor[compressors.size()];
        for (int i = 0; i < chosen.length; i++) {
            try {
                chosen[i] = InputComplexity.Compressor.of(compressors.get(i));
            } catch (IllegalArgumentException e) {
                throw CliException.usage("--compressors: " + e.getMessage());
            }
        }
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> metadata = Inputs.readMetadata(modelFile.model);
        try (PixelCnn model = Inputs.loadModel(modelFile.model, compute.device());
                PixelCnn bg = background == null ? null : Inputs.loadModel(background, compute.device())) {
            PixelCnnConfig config = model.config();
            if (config.classes() > 0) {
                throw CliException.usage("ood: " + modelFile.model + " is class-conditional; the OOD scores need an "
                        + "unconditional model (an OOD image has no label)");
            }
            if (binarize.threshold != null && config.head() != PixelCnnConfig.Head.BERNOULLI) {
                throw CliException.usage("--binarize-threshold applies to Bernoulli models; " + modelFile.model
                        + " is categorical with " + config.levels() + " levels");
            }
            int threshold = Inputs.threshold(binarize.threshold, metadata);
            Images inImages = read(in, config, threshold, "--in");
            Images outImages = read(out, config, threshold, "--out");
            ProgressPrinter printer = new ProgressPrinter(err, compute.progress());
            OodEvaluation.Result result;
            OodEvaluation evaluation;
            try {
                evaluation = OodEvaluation.of(model).optBackground(bg).optCompressors(chosen);
                result = evaluation
                        .optProgress((done, total) -> printer.bar((double) done / total,
                                "scored " + done + "/" + total + " image passes", done.equals(total)))
                        .evaluate(inImages, outImages);
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
            printer.clear();
            try {
                Files.createDirectories(output);
                result.writeCsv(output.resolve("scores.csv"));
                result.writeJson(output.resolve("summary.json"));
                result.writeHistograms(output.resolve("histograms"));
                if (maps > 0) {
                    for (OodEvaluation.Score score : result.scores()) {
                        evaluation.writeMostUnusual(inImages, score.in(), maps,
                                output.resolve("maps").resolve("in-" + score.name() + ".png"));
                        evaluation.writeMostUnusual(outImages, score.out(), maps,
                                output.resolve("maps").resolve("out-" + score.name() + ".png"));
                    }
                }
            } catch (IOException e) {
                throw new CliException(ExitCodes.FAILURE, "could not write the reports in " + output + ": " + e.getMessage(),
                        e);
            }
            stdout.printf("in: %s (%d images), out: %s (%d images)%n", in, inImages.count(), out, outImages.count());
            stdout.print(result);
            stdout.println("wrote " + output.resolve("scores.csv") + ", " + output.resolve("summary.json") + ", "
                    + output.resolve("histograms") + (maps > 0 ? ", " + output.resolve("maps") : ""));
            stdout.flush();
            return ExitCodes.OK;
        }
    }

    private Images read(String source, PixelCnnConfig config, int threshold, String what) {
        ImageSource images = Inputs.openData(source, limit);
        DataSet set = Inputs.readForModel(images, config, threshold);
        return Inputs.forModel(set.images().withoutLabels(), config, what);
    }
}
