package org.pixelcnn4j.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.ImageFormat;

/**
 * The Spark figures of README "Scaling out", measured in one run on a standalone cluster of this
 * machine (bench/spark.sh): scoring throughput of the Fashion-MNIST training set (PNG bytes, as
 * binaryFile gives them) on one executor of all cores and on one-core executors, against one
 * JVM; the per-step cost of data-parallel training against local training for fm-binary at
 * batch 32 and 256; and how it grows with the model (bytes moved per step). Medians over
 * repetitions; the single-JVM baseline runs in this (the driver's) JVM between the Spark runs.
 */
public final class SparkBench {
    private static final Locale ROOT = Locale.ROOT;

    private SparkBench() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        int cores = Runtime.getRuntime().availableProcessors();
        int images = quick ? 10_000 : 60_000;
        // Rounds of the scoring comparison (each scores every image once per configuration) and
        // steps per training figure.
        int reps = quick ? 1 : 2;
        int steps = quick ? 4 : 10;
        Path out = Path.of(args.length > 0 && !args[args.length - 1].startsWith("--") ? args[args.length - 1]
                : "bench/results/spark.md");
        StringBuilder report = new StringBuilder();
        report.append(String.format(ROOT, "# pixelcnn4j-spark figures%n%n%d cores, %s; Spark %s standalone on loopback"
                + " (master, workers and executors in JVMs of their own); scoring: median of %d round(s), each"
                + " configuration once per round.%n%n",
                cores, System.getProperty("os.arch"), org.apache.spark.package$.MODULE$.SPARK_VERSION(), reps));

        Images raw = FashionMnist.train(images);
        PixelCnnConfig fm = PixelCnnConfig.fmBinary();
        Images binary = ImageFormat.forModel(fm, 127).convert(raw);
        List<Row> rows = SparkTesting.rows(raw, new byte[images]);

        Path work = Files.createTempDirectory("pixelcnn4j-spark-bench-");
        try (StandaloneCluster cluster = StandaloneCluster.start(work, 2, cores, "4g");
                PixelCnn model = PixelCnn.create(fm, Device.cpu(cores))) {
            Path checkpoint = work.resolve("fm-binary.safetensors");
            model.save(checkpoint);

            // ---- scoring: one JVM, then each Spark shape, in rounds (the median over rounds)
            int[][] shapes = {{1, cores}, {cores, 1}};
            double[][] times = new double[2 + shapes.length][reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                model.logLikelihood(binary);
                times[0][r] = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                decodeAll(rows, fm);
                times[1][r] = (System.nanoTime() - t0) / 1e9;
                for (int s = 0; s < shapes.length; s++) {
                    times[2 + s][r] = sparkScoringSeconds(cluster, shapes[s], rows, checkpoint);
                }
            }
            report.append(String.format(ROOT, "## Scoring %,d Fashion-MNIST images (fm-binary, %,d parameters)%n%n",
                    images, model.parameterCount()));
            report.append("| where | seconds | images/s | vs one JVM |\n|---|---|---|---|\n");
            double base = median(times[0]);
            report.append(row("one JVM, PixelCnn.logLikelihood, " + cores + " threads (decoded images)", base, images,
                    base));
            report.append(String.format(ROOT, "| (one JVM, decoding the %,d PNGs alone, 1 thread) | %.2f | %,.0f | |%n",
                    images, median(times[1]), images / median(times[1])));
            for (int s = 0; s < shapes.length; s++) {
                report.append(row(String.format(ROOT, "Spark, %d executor(s) x %d core(s), PNG bytes decoded and scored",
                        shapes[s][0], shapes[s][1]), median(times[2 + s]), images, base));
            }

            // ---- training: per-step cost
            report.append(String.format(ROOT, "%n## Data-parallel training step against local training (%d steps after"
                    + " 2 warm-up, median)%n%n", steps));
            report.append("| model | batch | moved per step: weights to E executors, P gradients back | local ms/step | Spark ms/step, 1 x " + cores
                    + " cores | overhead | Spark ms/step, " + cores + " x 1 core | overhead |\n");
            report.append("|---|---|---|---|---|---|---|---|\n");
            List<int[]> configs = new ArrayList<>();
            configs.add(new int[] {128, 32});
            configs.add(new int[] {128, 256});
            if (!quick) {
                configs.add(new int[] {32, 32});
                configs.add(new int[] {64, 32});
                configs.add(new int[] {256, 32});
            }
            Images data = binary.slice(0, Math.min(images, 8192));
            for (int[] c : configs) {
                PixelCnnConfig config = PixelCnnConfig.builder().optHiddenChannels(c[0]).build();
                int batch = c[1];
                double local = localStepSeconds(config, data, batch, steps, cores);
                double[] spark = new double[2];
                long packed;
                try (PixelCnn probe = PixelCnn.create(config)) {
                    packed = probe.packedSize();
                }
                for (int s = 0; s < 2; s++) {
                    try (SparkSession session = cluster.session(shapes[s][0], shapes[s][1], "2g").getOrCreate();
                            TrainingData distributed = TrainingData.of(session, data, shapes[s][0])) {
                        spark[s] = sparkStepSeconds(session, config, distributed, batch, steps);
                    }
                }
                // Weights out to every executor, one gradient back per partition.
                String moved = String.format(ROOT, "%,d x (E + P) = %s", packed,
                        human(packed * 4.0 * (1 + 1)) + " (1 x " + cores + "), " + human(packed * 4.0 * (cores + cores))
                                + " (" + cores + " x 1)");
                report.append(String.format(ROOT, "| hidden %d (%,d live weights) | %d | %s | %.1f | %.1f | %+.1f ms | %.1f | %+.1f ms |%n",
                        c[0], packed, batch, moved, local * 1e3, spark[0] * 1e3, (spark[0] - local) * 1e3,
                        spark[1] * 1e3, (spark[1] - local) * 1e3));
            }
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report.toString());
        System.out.print(report);
        System.out.println("written to " + out);
    }

    /** One scoring run of the whole frame on a new session of {@code shape} executors x cores. */
    private static double sparkScoringSeconds(StandaloneCluster cluster, int[] shape, List<Row> rows, Path checkpoint)
            throws IOException {
        try (SparkSession spark = cluster.session(shape[0], shape[1], "2g").getOrCreate()) {
            Dataset<Row> frame = spark.createDataFrame(rows, SparkTesting.schema()).select("path", "content")
                    .repartition(4 * shape[0] * shape[1]).cache();
            frame.count();
            try (PixelCnnScorer scorer = PixelCnnScorer.builder(spark).setCheckpoint(checkpoint).build()) {
                // Warm-up: every executor opens its model and loads the engine.
                scorer.transform(frame.limit(256).repartition(shape[0] * shape[1]))
                        .agg(functions.sum(PixelCnnScorer.NLL)).collectAsList();
                long t0 = System.nanoTime();
                scorer.transform(frame).agg(functions.sum(PixelCnnScorer.NLL)).collectAsList();
                return (System.nanoTime() - t0) / 1e9;
            }
        }
    }

    private static Images decodeAll(List<Row> rows, PixelCnnConfig config) {
        ImageColumn column = ImageColumn.resolve(SparkTesting.schema(), "content");
        return column.read(rows, ModelShape.of(config));
    }

    private static double localStepSeconds(PixelCnnConfig config, Images data, int batch, int steps, int threads) {
        try (PixelCnn model = PixelCnn.create(config, Device.cpu(threads))) {
            List<Double> times = new ArrayList<>();
            model.train(data, TrainingConfig.builder().setSteps(steps + 2).optBatchSize(batch).build(),
                    p -> times.add(batch / p.imagesPerSecond()));
            return median(times.subList(2, times.size()));
        }
    }

    private static double sparkStepSeconds(SparkSession spark, PixelCnnConfig config, TrainingData data, int batch,
            int steps) {
        try (PixelCnn model = PixelCnn.create(config)) {
            List<Double> times = new ArrayList<>();
            DataParallelTrainer.builder(spark).build().train(model, data,
                    TrainingConfig.builder().setSteps(steps + 2).optBatchSize(batch).build(),
                    p -> times.add(batch / p.imagesPerSecond()));
            return median(times.subList(2, times.size()));
        }
    }

    private static String row(String what, double seconds, int images, double base) {
        return String.format(ROOT, "| %s | %.2f | %,.0f | %.2fx |%n", what, seconds, images / seconds, base / seconds);
    }

    private static String human(double bytes) {
        return bytes >= 1 << 20 ? String.format(ROOT, "%.1f MiB", bytes / (1 << 20))
                : String.format(ROOT, "%.0f KiB", bytes / 1024);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double median(List<Double> values) {
        return median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
