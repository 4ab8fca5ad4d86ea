package org.pixelcnn4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.SamplingConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.Png;

/**
 * Model quality at an equal wall-clock budget (bench/quality.sh): each model trains on the 60,000
 * Fashion-MNIST training images for the same number of minutes on this machine (batch 32, Adam
 * 1e-3 unless --lr, the same shuffle and initialisation seeds), then is scored on the 10,000 test images
 * (scoring not counted in the budget), and draws a grid of samples. Conditional models train on
 * p(x | label) and are scored under each test image's own label.
 *
 * <pre>
 *   Quality --minutes 10 --runs plain-256,gated-256,gated-256-c,plain-binary,gated-binary,gated48-256 --out DIR
 *   Quality --steps 2000 --threads 1 --lr 2e-3 --runs plain-256,gated-256 --out DIR
 * </pre>
 */
public final class Quality {

    /** A run: a reference model of BENCHMARKS.md, conditional on the 10 classes or not. */
    record Run(String name, PixelCnnConfig config, boolean conditional) {
    }

    static Run run(String name) {
        PixelCnnConfig plain256 = Models.config(Models.FM_256);
        PixelCnnConfig gated256 = Models.config(Models.FM_GATED);
        PixelCnnConfig plainBinary = Models.config(Models.FM_BINARY);
        PixelCnnConfig gatedBinary = gated256.toBuilder().optBernoulli().build();
        return switch (name) {
            case "plain-256" -> new Run(name, plain256, false);
            case "gated-256" -> new Run(name, gated256, false);
            case "gated-256-c" -> new Run(name, gated256.toBuilder().optClasses(10).build(), true);
            case "plain-binary" -> new Run(name, plainBinary, false);
            case "gated-binary" -> new Run(name, gatedBinary, false);
            case "gated-binary-c" -> new Run(name, gatedBinary.toBuilder().optClasses(10).build(), true);
            // fm-gated at 48 channels: about the plain model's FLOPs per image (0.43 GFLOP), so that
            // architecture and cost can be told apart.
            case "gated48-256" -> new Run(name, gated256.toBuilder().optHiddenChannels(48).optHeadChannels(48).build(),
                    false);
            default -> throw new IllegalArgumentException("unknown run " + name);
        };
    }

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        double minutes = 10;
        long steps = 0;  // --steps: train exactly this many steps instead (equal data, not equal time)
        List<String> names = List.of("plain-256", "gated-256", "gated-256-c", "plain-binary", "gated-binary");
        Path out = Path.of("bench/results/quality");
        int threads = Runtime.getRuntime().availableProcessors();
        double learningRate = 1e-3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--minutes" -> minutes = Double.parseDouble(args[++i]);
                case "--steps" -> steps = Long.parseLong(args[++i]);
                case "--runs" -> names = List.of(args[++i].split(","));
                case "--out" -> out = Path.of(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--lr" -> learningRate = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Files.createDirectories(out);
        Images train = FashionMnist.train(Integer.MAX_VALUE);
        Images test = FashionMnist.test(Integer.MAX_VALUE);
        int[] trainLabels = labels(FashionMnist.trainLabels(Integer.MAX_VALUE));
        int[] testLabels = labels(FashionMnist.testLabels(Integer.MAX_VALUE));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String name : names) {
            Run run = run(name);
            rows.add(train(run, train, test, trainLabels, testLabels, minutes, steps, threads, learningRate, out));
            writeReport(rows, minutes, steps, threads, learningRate, out);
        }
        System.exit(0);
    }

    static int[] labels(byte[] bytes) {
        int[] labels = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            labels[i] = bytes[i] & 0xFF;
        }
        return labels;
    }

    static Map<String, Object> train(Run run, Images train, Images test, int[] trainLabels, int[] testLabels,
            double minutes, long steps, int threads, double learningRate, Path out) throws IOException {
        PixelCnnConfig c = run.config();
        boolean binary = c.head() == PixelCnnConfig.Head.BERNOULLI;
        Images trainSet = binary ? train.binarize(127) : train;
        Images testSet = binary ? test.binarize(127) : test;
        if (run.conditional()) {
            trainSet = trainSet.withLabels(trainLabels);
            testSet = testSet.withLabels(testLabels);
        }
        System.out.printf("== %s: %s, %s%n", run.name(), c, steps > 0 ? steps + " steps" : minutes + " minutes");
        long budget = (long) (minutes * 60e9);
        Map<String, Object> row = new LinkedHashMap<>();
        try (PixelCnn model = PixelCnn.create(c, Device.cpu(threads))) {
            long start = System.nanoTime();
            // Mean training loss of every 100 steps, for comparisons at equal steps.
            List<Double> curve = new ArrayList<>();
            double[] window = new double[1];
            while (steps > 0 ? model.step() < steps : System.nanoTime() - start < budget) {
                model.train(trainSet, TrainingConfig.builder().setSteps(10).optBatchSize(32)
                        .optLearningRate(learningRate).build(),
                        q -> window[0] += q.lossNats());
                if (model.step() % 100 == 0) {
                    double mean = window[0] / 100;
                    curve.add(Math.round(mean * 100) / 100.0);
                    window[0] = 0;
                    System.out.printf("  step %d, %.0f s, mean loss of the last 100 steps %.2f nats (%.4f bits/dim)%n",
                            model.step(), (System.nanoTime() - start) / 1e9, mean, mean / (c.dimensions() * Math.log(2)));
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double nats = model.logLikelihood(testSet).meanNats();
            double bitsPerDim = nats / (c.dimensions() * Math.log(2));
            System.out.printf("  %s: %d steps in %.0f s; test NLL %.2f nats, %.4f bits/dim%n", run.name(),
                    model.step(), seconds, nats, bitsPerDim);
            row.put("run", run.name());
            row.put("model", c.toString());
            row.put("parameters", model.parameterCount());
            row.put("steps", model.step());
            row.put("learning_rate", learningRate);
            row.put("seconds", seconds);
            row.put("test_nats", nats);
            row.put("test_bits_per_dim", bitsPerDim);
            row.put("train_loss_per_100_steps", curve);
            // 8 samples of each class (a row per class) for a conditional model, else 32.
            SamplingConfig sampling = SamplingConfig.builder().optSeed(1).build();
            Images samples;
            if (run.conditional()) {
                int[] labels = new int[80];
                for (int i = 0; i < labels.length; i++) {
                    labels[i] = i / 8;
                }
                samples = model.sample(labels, sampling);
            } else {
                samples = model.sample(32, sampling);
            }
            Path grid = out.resolve(run.name() + "-samples.png");
            Png.writeGrid(samples, grid, 8, c.levels(), 2);
            row.put("samples", grid.getFileName().toString());
            model.save(out.resolve(run.name() + ".safetensors"));
        }
        return row;
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static void writeReport(List<Map<String, Object>> rows, double minutes, long steps, int threads,
            double learningRate, Path out)
            throws IOException {
        StringBuilder md = new StringBuilder();
        md.append(steps > 0
                ? String.format("### Test NLL at an equal number of steps (%d each, %d threads, %s)%n%n", steps, threads,
                        MachineInfo.cpuModel())
                : String.format("### Test NLL at an equal budget (%.0f minutes of training each, %d threads, %s)%n%n",
                        minutes, threads, MachineInfo.cpuModel()));
        md.append(String.format("Fashion-MNIST: 60,000 training images, batch 32, Adam %s, seed 1; test NLL over the"
                + " 10,000 test images (conditional models: under each image's own label).%n%n", learningRate));
        md.append("| run | model | parameters | steps | seconds | test NLL (nats) | bits/dim |\n"
                + "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (Map<String, Object> r : rows) {
            md.append(String.format("| %s | %s | %,d | %,d | %.0f | %.2f | %.4f |%n", r.get("run"), r.get("model"),
                    (Long) r.get("parameters"), (Long) r.get("steps"), (Double) r.get("seconds"),
                    (Double) r.get("test_nats"), (Double) r.get("test_bits_per_dim")));
        }
        Files.writeString(out.resolve("quality.md"), md.toString());
        StringBuilder json = new StringBuilder("[\n");
        for (int i = 0; i < rows.size(); i++) {
            json.append("  {");
            int k = 0;
            for (Map.Entry<String, Object> e : rows.get(i).entrySet()) {
                json.append(k++ > 0 ? ", " : "").append(quote(e.getKey())).append(": ");
                json.append(e.getValue() instanceof String s ? quote(s) : String.valueOf(e.getValue()));  // lists print as JSON arrays
            }
            json.append(i + 1 < rows.size() ? "},\n" : "}\n");
        }
        Files.writeString(out.resolve("quality.json"), json.append("]\n").toString());
        System.out.print(md);
    }
}
