package org.pixelcnn4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.data.DataSet;
import org.pixelcnn4j.data.ImageSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code pixelcnn4j eval}: the negative log-likelihood of a data set, per image on request. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Score images by their negative log-likelihood (NLL) under a model: the mean in nats per image "
                    + "and in bits per dimension, and with --csv every image's score, most unusual (highest "
                    + "NLL) first.",
            "Images are converted as the model was trained: binarized at the checkpoint's threshold for a "
                    + "Bernoulli model, quantized to its levels for a categorical one.",
            ""})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelFileOption modelFile;

    @Mixin
    DataOptions data;

    @Mixin
    BinarizeOption binarize;

    @Mixin
    ComputeOptions compute;

    @Option(names = "--csv", paramLabel = "FILE", order = 5,
            description = "Write index,nats,bits_per_dim(,file) per image, most unusual first.")
    Path csv;

    @Option(names = "--batch-size", paramLabel = "N", order = 6,
            description = "Images scored together. Default: ${DEFAULT-VALUE}.")
    int batchSize = 64;

    /** Creates the command; picocli fills in the options. */
    EvalCommand() {
    }

    @Override
    public Integer call() {
        data.check();
        compute.check();
        if (batchSize <= 0) {
            throw CliException.usage("--batch-size: expected a positive count, got " + batchSize);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> metadata = Inputs.readMetadata(modelFile.model);
        try (PixelCnn net = Inputs.loadModel(modelFile.model, compute.device())) {
            PixelCnnConfig config = net.config();
            if (binarize.threshold != null && config.head() != PixelCnnConfig.Head.BERNOULLI) {
                throw CliException.usage("--binarize-threshold applies to Bernoulli models; " + modelFile.model
                        + " is categorical with " + config.levels() + " levels");
            }
            ImageSource source = Inputs.openData(data.sourceOr(ImageSource.FASHION_MNIST_TEST), data.labels,
                    data.limit);
            DataSet set = Inputs.readForModel(source, config, Inputs.threshold(binarize.threshold, metadata));
            Images images = Inputs.forModel(set.images(), config, "the data");
            int n = set.count();
            ProgressPrinter printer = new ProgressPrinter(err, compute.progress());
            double[] nats;
            double[][] scores = null;
            if (config.classes() == 0) {
                nats = Inputs.nll(net, images, batchSize,
                        done -> printer.bar((double) done / n, "scored " + done + "/" + n + " images", done == n));
            } else {
                // A conditional model scores every image under every class, log p(x | y); its NLL
                // under its own label is one of those scores, not another pass.
                scores = new double[n][];
                nats = new double[n];
                for (int first = 0; first < n; first += batchSize) {
                    int end = Math.min(n, first + batchSize);
                    double[][] part = net.classScores(images.slice(first, end));
                    System.arraycopy(part, 0, scores, first, end - first);
                    printer.bar((double) end / n, "scored " + end + "/" + n + " images under every class", end == n);
                }
                for (int i = 0; i < n; i++) {
                    nats[i] = -scores[i][images.label(i)];
                }
            }
            printer.clear();
            double mean = Inputs.mean(nats);
            out.println("data: " + source.description() + ", " + set.format().describe());
            out.printf(Locale.ROOT, "NLL: %.2f nats/image, %.4f bits/dim (%d images%s)%n", mean,
                    Inputs.bitsPerDim(mean, config), n, scores == null ? "" : ", each under its own label");
            if (scores != null) {
                int correct = 0;
                for (int i = 0; i < n; i++) {
                    correct += argmax(scores[i]) == images.label(i) ? 1 : 0;
                }
                out.printf(Locale.ROOT, "classification by the largest log p(x | class): %d of %d correct (%.1f%%)%n",
                        correct, n, 100.0 * correct / n);
            }
            if (csv != null) {
                Integer[] order = writeCsv(set, images, nats, scores, config, source.classNames());
                int top = order[0];
                out.printf(Locale.ROOT, "wrote %s, most unusual first: image %d%s, %.2f nats%n", csv,
                        set.sourceIndex(top), set.source().hasFiles() ? " (" + set.fileName(top) + ")" : "",
                        nats[top]);
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Writes the scores sorted by NLL, highest first; returns that order. With class scores: the
     * image's label, the class of the largest score, and log p(x | class) for every class.
     */
    private Integer[] writeCsv(DataSet set, Images images, double[] nats, double[][] scores, PixelCnnConfig config,
            List<String> classNames) {
        Integer[] order = new Integer[nats.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> nats[a] != nats[b] ? Double.compare(nats[b], nats[a]) : Integer.compare(a, b));
        boolean files = set.source().hasFiles();
        try {
            Path parent = csv.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (Writer w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
                StringBuilder header = new StringBuilder("index,nats,bits_per_dim");
                if (files) {
                    header.append(",file");
                }
                if (scores != null) {
                    header.append(",label,predicted");
                    for (int y = 0; y < config.classes(); y++) {
                        String name = classNames != null && y < classNames.size() ? classNames.get(y) : Integer.toString(y);
                        header.append(",").append(csvField("log_p_given_" + name));
                    }
                }
                w.write(header + "\n");
                for (int i : order) {
                    w.write(String.format(Locale.ROOT, "%d,%.4f,%.6f", set.sourceIndex(i), nats[i],
                            Inputs.bitsPerDim(nats[i], config)));
                    if (files) {
                        w.write("," + csvField(set.fileName(i)));
                    }
                    if (scores != null) {
                        w.write("," + images.label(i) + "," + argmax(scores[i]));
                        for (double score : scores[i]) {
                            w.write(String.format(Locale.ROOT, ",%.4f", score));
                        }
                    }
                    w.write("\n");
                }
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot write " + csv + ": " + Main.describe(e), e);
        }
        return order;
    }

    /** A CSV field, quoted when it holds a comma, a quote or a line break. */
    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }
}
