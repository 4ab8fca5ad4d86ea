package org.pixelcnn4j.ood;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiConsumer;
import javax.imageio.ImageIO;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.io.AtomicFiles;

/**
 * Scores an in-distribution and an out-of-distribution set with every likelihood-based OOD
 * score and says how well each separates them (AUROC, AUPRC, FPR at 95% TPR). Higher scores
 * mean "more unusual":
 * <ul>
 *   <li>{@code nll}: -log p(x), nats (Nalisnick et al. 2019 show it can point the wrong way);</li>
 *   <li>{@code bits_per_dim}: the same per dimension (it ranks the same for images of one size);</li>
 *   <li>{@code likelihood_ratio}: -(log p(x) - log p_background(x)) = NLL(x) - NLL_background(x),
 *       with a background model trained on mutated inputs (Ren et al. 2019;
 *       {@link org.pixelcnn4j.TrainingConfig.Builder#optMutationRate}), when one is given;</li>
 *   <li>{@code complexity}: S(x) = NLL(x) in bits - L(x), L the PNG length in bits (Serra et al.
 *       2020; {@link InputComplexity}); {@code complexity_ID} for the other compressors of
 *       {@link #optCompressors} ({@code complexity_tiff_lzw}, ...).</li>
 * </ul>
 *
 * <pre>{@code
 * OodEvaluation evaluation = OodEvaluation.of(model).optBackground(background);
 * OodEvaluation.Result result = evaluation.evaluate(test, other);
 * result.writeCsv(Path.of("scores.csv"));
 * result.writeJson(Path.of("summary.json"));
 * result.writeHistograms(Path.of("histograms"));
 * evaluation.writeMostUnusual(other, result.score("nll").out(), 8, Path.of("maps.png"));
 * }</pre>
 */
public final class OodEvaluation {
    /** Images scored per engine call, and so per progress report. */
    static final int CHUNK = 500;

    private final PixelCnn model;
    private PixelCnn background;
    private List<InputComplexity.Compressor> compressors = List.of(InputComplexity.Compressor.PNG);
    private BiConsumer<Long, Long> progress;

    private OodEvaluation(PixelCnn model) {
        this.model = Objects.requireNonNull(model, "model");
    }

    /**
     * @param model the model trained on the in-distribution data
     * @return an evaluation with that model and no background model
     */
    public static OodEvaluation of(PixelCnn model) {
        return new OodEvaluation(model);
    }

    /**
     * @param background a model of the same shape trained on mutated inputs; adds the
     *     likelihood-ratio score
     * @return this evaluation
     */
    public OodEvaluation optBackground(PixelCnn background) {
        this.background = background;
        return this;
    }

    /**
     * @param compressors the compressors of the complexity scores, one score each (the default is
     *     PNG alone, the score {@code complexity}; another's is {@code complexity_ID})
     * @return this evaluation
     * @throws IllegalArgumentException if none is given or one twice
     */
    public OodEvaluation optCompressors(InputComplexity.Compressor... compressors) {
        List<InputComplexity.Compressor> list = List.of(compressors);
        if (list.isEmpty() || new java.util.HashSet<>(list).size() != list.size()) {
            throw new IllegalArgumentException("compressors: expected at least one, each once, got " + list);
        }
        this.compressors = list;
        return this;
    }

    /**
     * @param compressor a compressor
     * @return the name of its complexity score: {@code complexity} for PNG, {@code complexity_ID} for the others
     */
    public static String complexityName(InputComplexity.Compressor compressor) {
        return compressor == InputComplexity.Compressor.PNG ? "complexity" : "complexity_" + compressor.id();
    }

    /**
     * @param progress called after every chunk of images with (images scored, images in all),
     *     on the calling thread; may be null
     * @return this evaluation
     */
    public OodEvaluation optProgress(BiConsumer<Long, Long> progress) {
        this.progress = progress;
        return this;
    }

    /** One score of both sets and how well it separates them. */
    public record Score(String name, double[] in, double[] out, OodMetrics.Summary summary) {
    }

    /**
     * Scores both sets.
     *
     * @param in in-distribution images, in the model's values (labelled for a conditional model)
     * @param out out-of-distribution images, the same shape
     * @return every score of every image and the measures of each score
     * @throws IllegalArgumentException if the images do not fit the models
     */
    public Result evaluate(Images in, Images out) {
        Objects.requireNonNull(out, "out");
        return evaluate(in, List.of(out)).get(0);
    }

    /**
     * Scores one in-distribution set against several out-of-distribution sets, the
     * in-distribution set once.
     *
     * @param in in-distribution images, in the model's values (labelled for a conditional model)
     * @param outs out-of-distribution sets, each the same shape
     * @return one result per out-of-distribution set, in order
     * @throws IllegalArgumentException if the images do not fit the models
     */
    public List<Result> evaluate(Images in, List<Images> outs) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(outs, "outs");
        if (background != null) {
            LikelihoodRatio.of(model, background);  // checks that the models fit each other
        }
        for (InputComplexity.Compressor c : compressors) {
            if (!c.supports(model.config().channels(), model.config().levels())) {
                throw new IllegalArgumentException("compressors: " + c.id() + " does not encode this model's images ("
                        + model.config().channels() + " channel(s), " + model.config().levels() + " levels) losslessly");
            }
        }
        long images = in.count();
        for (Images out : outs) {
            images += Objects.requireNonNull(out, "outs: a null set").count();
        }
        long total = images * (background == null ? 1 : 2);
        long[] done = {0};
        double[][] inScores = scores(in, done, total);
        List<String> names = new ArrayList<>(List.of("nll", "bits_per_dim"));
        if (background != null) {
            names.add("likelihood_ratio");
        }
        for (InputComplexity.Compressor c : compressors) {
            names.add(complexityName(c));
        }
        List<Result> results = new ArrayList<>();
        for (Images out : outs) {
            double[][] outScores = scores(out, done, total);
            List<Score> result = new ArrayList<>();
            for (int k = 0; k < names.size(); k++) {
                result.add(new Score(names.get(k), inScores[k], outScores[k], OodMetrics.summarize(inScores[k],
                        outScores[k])));
            }
            results.add(new Result(result));
        }
        return results;
    }

    /** The scores of one set: nll, bits/dim, [likelihood ratio], complexity per compressor, each per image. */
    private double[][] scores(Images images, long[] done, long total) {
        int n = images.count();
        double[] nll = new double[n];
        double[] bits = new double[n];
        double[] ratio = background == null ? null : new double[n];
        for (int from = 0; from < n; from += CHUNK) {
            int to = Math.min(n, from + CHUNK);
            Images part = images.slice(from, to);
            Likelihood l = model.logLikelihood(part);
            for (int i = from; i < to; i++) {
                nll[i] = l.nats(i - from);
                bits[i] = l.bitsPerDim(i - from);
            }
            report(done, to - from, total);
            if (background != null) {
                Likelihood b = background.logLikelihood(part);
                for (int i = from; i < to; i++) {
                    ratio[i] = nll[i] - b.nats(i - from);
                }
                report(done, to - from, total);
            }
        }
        List<double[]> scores = new ArrayList<>(List.of(nll, bits));
        if (ratio != null) {
            scores.add(ratio);
        }
        for (InputComplexity.Compressor c : compressors) {
            scores.add(InputComplexity.scores(nll, InputComplexity.bits(images, model.config().levels(), c)));
        }
        return scores.toArray(new double[0][]);
    }

    /**
     * Writes the {@code count} images a score ranks most unusual, most unusual first, with their
     * per-pixel maps, as one PNG (atomically): with a background model each row holds the image,
     * both models' NLL maps and the likelihood ratio's map ({@link LikelihoodRatioMap#writeHeatMaps}),
     * without one the image and its NLL map ({@link org.pixelcnn4j.data.Png#writeHeatMaps}).
     *
     * @param images a set that was evaluated
     * @param scores its scores under one measure ({@link Score#in()} or {@link Score#out()})
     * @param count how many images to draw (fewer if the set is smaller), at least 1
     * @param png the destination file; its folder is created if needed
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException if the scores are not one per image or count is below 1
     */
    public void writeMostUnusual(Images images, double[] scores, int count, Path png) throws IOException {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(scores, "scores");
        Objects.requireNonNull(png, "png");
        if (scores.length != images.count()) {
            throw new IllegalArgumentException("writeMostUnusual: " + scores.length + " scores for " + images.count()
                    + " images");
        }
        if (count < 1) {
            throw new IllegalArgumentException("writeMostUnusual: expected a count of at least 1, got " + count);
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        int[] chosen = new int[Math.min(count, order.length)];
        for (int i = 0; i < chosen.length; i++) {
            chosen[i] = order[i];
        }
        Images top = images.select(chosen);
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        int levels = model.config().levels();
        int scale = Math.max(1, Math.min(8, 128 / Math.max(top.height(), top.width())));
        if (background != null) {
            LikelihoodRatio.of(model, background).map(top).writeHeatMaps(top, levels, scale, png);
        } else {
            org.pixelcnn4j.data.Png.writeHeatMaps(top, model.logLikelihoodMap(top), levels, 0, scale, png);
        }
    }

    private void report(long[] done, int images, long total) {
        done[0] += images;
        if (progress != null) {
            progress.accept(done[0], total);
        }
    }

    /** Every score of an evaluation, with writers for its reports. */
    public static final class Result {
        private final List<Score> scores;

        Result(List<Score> scores) {
            this.scores = List.copyOf(scores);
        }

        /** @return the scores, in the order nll, bits_per_dim, [likelihood_ratio], complexity (per compressor) */
        public List<Score> scores() {
            return scores;
        }

        /**
         * @param name a score's name
         * @return that score
         * @throws IllegalArgumentException if there is none of that name
         */
        public Score score(String name) {
            for (Score s : scores) {
                if (s.name().equals(name)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("no score \"" + name + "\"; the scores are " + names());
        }

        private List<String> names() {
            List<String> names = new ArrayList<>();
            for (Score s : scores) {
                names.add(s.name());
            }
            return names;
        }

        /**
         * One row per image: set (in or out), index in its set, then every score. Atomic; the
         * folder is created if needed.
         *
         * @param file the CSV file
         * @throws IOException if it cannot be written
         */
        public void writeCsv(Path file) throws IOException {
            StringBuilder csv = new StringBuilder("set,index");
            for (Score s : scores) {
                csv.append(',').append(s.name());
            }
            csv.append('\n');
            for (String set : new String[] {"in", "out"}) {
                int n = set.equals("in") ? scores.get(0).in().length : scores.get(0).out().length;
                for (int i = 0; i < n; i++) {
                    csv.append(set).append(',').append(i);
                    for (Score s : scores) {
                        csv.append(',').append(String.format(Locale.ROOT, "%.6f",
                                set.equals("in") ? s.in()[i] : s.out()[i]));
                    }
                    csv.append('\n');
                }
            }
            writeText(file, csv.toString());
        }

        /**
         * The measures of every score, and the set sizes, as JSON. Atomic; the folder is created
         * if needed.
         *
         * @param file the JSON file
         * @throws IOException if it cannot be written
         */
        public void writeJson(Path file) throws IOException {
            StringBuilder json = new StringBuilder("{\n");
            json.append(String.format(Locale.ROOT, "  \"in_count\": %d,%n  \"out_count\": %d,%n  \"scores\": {%n",
                    scores.get(0).in().length, scores.get(0).out().length));
            for (int k = 0; k < scores.size(); k++) {
                Score s = scores.get(k);
                json.append(String.format(Locale.ROOT, "    \"%s\": {\"auroc\": %.6f, \"auprc\": %.6f, "
                        + "\"fpr_at_95_tpr\": %.6f}%s%n", s.name(), s.summary().auroc(), s.summary().auprc(),
                        s.summary().fprAt95Tpr(), k + 1 < scores.size() ? "," : ""));
            }
            json.append("  }\n}\n");
            writeText(file, json.toString());
        }

        /**
         * One PNG per score in {@code directory} ({@code NAME.png}): the histograms of both sets
         * over the same bins, in-distribution blue, out-of-distribution orange. Each is written
         * atomically; the folder is created if needed.
         *
         * @param directory the folder
         * @throws IOException if a file cannot be written
         */
        public void writeHistograms(Path directory) throws IOException {
            Files.createDirectories(directory);
            for (Score s : scores) {
                BufferedImage plot = histogram(s);
                ByteArrayOutputStream png = new ByteArrayOutputStream();
                ImageIO.write(plot, "png", png);
                byte[] bytes = png.toByteArray();
                AtomicFiles.write(directory.resolve(s.name() + ".png"), out -> out.write(ByteBuffer.wrap(bytes)));
            }
        }

        /** @return one line per score: its name and measures */
        @Override
        public String toString() {
            StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%-24s %7s %7s %9s%n", "score", "AUROC",
                    "AUPRC", "FPR@95"));
            for (Score s : scores) {
                text.append(String.format(Locale.ROOT, "%-24s %7.4f %7.4f %9.4f%n", s.name(), s.summary().auroc(),
                        s.summary().auprc(), s.summary().fprAt95Tpr()));
            }
            return text.toString();
        }

        private static void writeText(Path file, String text) throws IOException {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(file, out -> {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            });
        }

        static BufferedImage histogram(Score s) {
            int width = 640;
            int height = 360;
            int left = 50;
            int right = 20;
            int top = 40;
            int bottom = 40;
            int bins = 40;
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (double[] set : new double[][] {s.in(), s.out()}) {
                for (double v : set) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
            if (hi <= lo) {
                hi = lo + 1;
            }
            double[][] density = new double[2][bins];
            double peak = 0;
            double[][] sets = {s.in(), s.out()};
            for (int k = 0; k < 2; k++) {
                for (double v : sets[k]) {
                    int b = (int) Math.min(bins - 1, Math.floor((v - lo) / (hi - lo) * bins));
                    density[k][b] += 1.0 / sets[k].length;  // fractions: sets of any size compare
                }
                for (double d : density[k]) {
                    peak = Math.max(peak, d);
                }
            }
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            try {
                g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, width, height);
                int plotW = width - left - right;
                int plotH = height - top - bottom;
                Color[] colors = {new Color(31, 119, 180, 150), new Color(255, 127, 14, 150)};
                for (int k = 0; k < 2; k++) {
                    g.setColor(colors[k]);
                    for (int b = 0; b < bins; b++) {
                        int x0 = left + b * plotW / bins;
                        int x1 = left + (b + 1) * plotW / bins;
                        int h = (int) Math.round(density[k][b] / peak * plotH);
                        g.fillRect(x0, top + plotH - h, Math.max(1, x1 - x0 - 1), h);
                    }
                }
                g.setColor(Color.DARK_GRAY);
                g.setStroke(new BasicStroke(1f));
                g.drawLine(left, top + plotH, left + plotW, top + plotH);
                g.drawLine(left, top, left, top + plotH);
                try {
                    g.drawString(String.format(Locale.ROOT, "%s   AUROC %.3f   AUPRC %.3f   FPR@95%%TPR %.3f", s.name(),
                            s.summary().auroc(), s.summary().auprc(), s.summary().fprAt95Tpr()), left, 22);
                    g.drawString(String.format(Locale.ROOT, "%.4g", lo), left, height - 15);
                    String max = String.format(Locale.ROOT, "%.4g", hi);
                    g.drawString(max, left + plotW - g.getFontMetrics().stringWidth(max), height - 15);
                    g.setColor(colors[0]);
                    g.drawString("in-distribution (" + s.in().length + ")", left + plotW / 2 - 160, height - 15);
                    g.setColor(colors[1].darker());
                    g.drawString("out-of-distribution (" + s.out().length + ")", left + plotW / 2 + 10, height - 15);
                } catch (RuntimeException | Error noFonts) {
                    // A JDK without fonts draws the bars only.
                }
            } finally {
                g.dispose();
            }
            return image;
        }
    }
}
