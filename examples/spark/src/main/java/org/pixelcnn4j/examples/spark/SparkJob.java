package org.pixelcnn4j.examples.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.SamplingConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.Png;
import org.pixelcnn4j.spark.DataParallelTrainer;
import org.pixelcnn4j.spark.PixelCnnSampler;
import org.pixelcnn4j.spark.PixelCnnScorer;
import org.pixelcnn4j.spark.TrainingData;

/**
 * pixelcnn4j on Spark, as a job for spark-submit:
 * <pre>
 *   SparkJob train IMAGES CHECKPOINT STEPS    data-parallel training on image files (PNG/JPEG glob),
 *                                             resumed from CHECKPOINT if it exists
 *   SparkJob score CHECKPOINT IMAGES OUT      per-image NLL of image files, CSV in OUT
 *   SparkJob sample CHECKPOINT COUNT OUT      COUNT samples, Parquet in OUT, the first 64 as OUT/grid.png
 *   SparkJob                                  the demo: all three on Fashion-MNIST PNGs it writes, on
 *                                             local[2] unless spark-submit names a master
 * </pre>
 * The demo writes to the folder of the system property {@code examples.output} (default output).
 */
public final class SparkJob {
    private SparkJob() {
    }

    public static void main(String[] args) throws IOException {
        SparkSession.Builder builder = SparkSession.builder().appName("pixelcnn4j-spark-example");
        if (System.getProperty("spark.master") == null) {
            builder.master("local[2]").config("spark.ui.enabled", "false").config("spark.log.level", "WARN");
        }
        try (SparkSession spark = builder.getOrCreate()) {
            spark.sparkContext().setLogLevel("WARN");
            String command = args.length == 0 ? "demo" : args[0];
            switch (command) {
                case "train" -> train(spark, args[1], Path.of(args[2]), Integer.parseInt(args[3]));
                case "score" -> score(spark, Path.of(args[1]), args[2], args[3]);
                case "sample" -> sample(spark, Path.of(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
                case "demo" -> demo(spark);
                default -> throw new IllegalArgumentException("unknown command " + command
                        + "; expected train, score, sample or none (the demo)");
            }
        }
    }

    /** Trains (or resumes) a fm-binary model on image files, checkpointing every 100 steps. */
    static void train(SparkSession spark, String images, Path checkpoint, int steps) throws IOException {
        Dataset<Row> files = spark.read().format("binaryFile").load(images);
        try (PixelCnn model = Files.exists(checkpoint) ? PixelCnn.load(checkpoint)
                : PixelCnn.create(PixelCnnConfig.fmBinary());
                // One partition per core: each step runs one task per partition.
                TrainingData data = TrainingData.fromDataset(files, model.config(), "content", null, 127,
                        spark.sparkContext().defaultParallelism())) {
            System.out.printf(Locale.ROOT, "training on %,d images in %d partitions from step %d%n", data.count(),
                    data.partitions(), model.step());
            DataParallelTrainer.builder(spark).optCheckpoint(checkpoint, 100).build().train(model, data,
                    TrainingConfig.builder().setSteps(steps).optBatchSize(32).build(), p -> {
                        if (p.step() % 20 == 0) {
                            System.out.printf(Locale.ROOT, "step %d: %.4f bits/dim, %.0f images/s%n", p.step(),
                                    p.bitsPerDim(), p.imagesPerSecond());
                        }
                    });
        }
    }

    /** Scores image files; writes path, nll (nats) and bits/dim as CSV. */
    static void score(SparkSession spark, Path checkpoint, String images, String out) throws IOException {
        Dataset<Row> files = spark.read().format("binaryFile").load(images);
        try (PixelCnnScorer scorer = PixelCnnScorer.builder(spark).setCheckpoint(checkpoint).build()) {
            Dataset<Row> scores = scorer.transform(files).select("path", PixelCnnScorer.NLL, PixelCnnScorer.BITS_PER_DIM);
            scores.write().mode("overwrite").option("header", "true").csv(out);
            System.out.println("least likely (the most unusual images):");
            for (Row row : spark.read().option("header", "true").option("inferSchema", "true").csv(out)
                    .orderBy(org.apache.spark.sql.functions.desc(PixelCnnScorer.NLL)).limit(5).collectAsList()) {
                System.out.printf(Locale.ROOT, "  %8.2f nats  %s%n", row.getDouble(1), row.getString(0));
            }
        }
    }

    /** Draws {@code count} images over 8 partitions; writes them as Parquet and the first 64 as a grid. */
    static void sample(SparkSession spark, Path checkpoint, int count, Path out) throws IOException {
        try (PixelCnn model = PixelCnn.load(checkpoint);
                PixelCnnSampler sampler = PixelCnnSampler.builder(spark).setModel(model).build()) {
            Dataset<Row> samples = sampler.sample(count, 8, SamplingConfig.ofSeed(1));
            samples.write().mode("overwrite").parquet(out.resolve("samples.parquet").toString());
            PixelCnnConfig c = model.config();
            List<Row> first = samples.filter(samples.col(PixelCnnSampler.INDEX).lt(Math.min(count, 64)))
                    .collectAsList();
            Images grid = PixelCnnSampler.toImages(first, c.channels(), c.height(), c.width());
            Files.createDirectories(out);
            Png.writeGrid(grid, out.resolve("grid.png"), 8, c.levels(), 2);
            System.out.printf(Locale.ROOT, "%,d samples in %s, the first %d in %s%n", count,
                    out.resolve("samples.parquet"), grid.count(), out.resolve("grid.png"));
        }
    }

    /** All three on Fashion-MNIST: 2,000 training images and 500 test images written as PNG files first. */
    static void demo(SparkSession spark) throws IOException {
        Path out = Path.of(System.getProperty("examples.output", "output"));
        Path train = writePngs(FashionMnist.train(2000), out.resolve("train-png"));
        Path test = writePngs(FashionMnist.test(500), out.resolve("test-png"));
        Path checkpoint = out.resolve("spark-fm-binary.safetensors");
        Files.deleteIfExists(checkpoint);
        PixelCnnConfig small = PixelCnnConfig.builder().optHiddenChannels(32).optBlocks(3).build();
        try (PixelCnn model = PixelCnn.create(small)) {
            model.save(checkpoint);
        }
        train(spark, train + "/*.png", checkpoint, 100);
        score(spark, checkpoint, test + "/*.png", out.resolve("scores-csv").toString());
        sample(spark, checkpoint, 64, out.resolve("samples"));
    }

    private static Path writePngs(Images raw, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < raw.count(); i++) {
            Png.write(raw, dir.resolve(String.format(Locale.ROOT, "%05d.png", i)), i, 256);
        }
        return dir;
    }
}
