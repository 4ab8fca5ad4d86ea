package org.pixelcnn4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.SamplingConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.ImageFormat;
import org.pixelcnn4j.ood.InputComplexity;
import org.pixelcnn4j.ood.OodEvaluation;

/**
 * pixelcnn4j-spark on local[2] (executors as threads of this JVM): distributed scores, samples
 * and training equal one machine's. The same on a real cluster, executors in JVMs of their own,
 * with one killed mid-job: ClusterIT.
 */
class SparkLocalTest {
    private static SparkSession spark;
    private static Images raw;     // Fashion-MNIST training images, intensities 0..255
    private static byte[] labels;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTesting.session("local[2]").getOrCreate();
        raw = FashionMnist.train(600);
        labels = FashionMnist.trainLabels(600);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static int indexOf(Row row) {
        String path = row.getString(row.fieldIndex("path"));
        return Integer.parseInt(path.substring(path.lastIndexOf('/') + 1, path.length() - 4));
    }

    /** PNG bytes, the image source's struct and an array of intensities all score as logLikelihood does. */
    @Test
    void scoresEqualOneMachinesForEveryImageForm(@TempDir Path dir) throws IOException {
        Images some = raw.slice(0, 300);
        Dataset<Row> frame = SparkTesting.frame(spark, some, labels, 3);
        try (PixelCnn model = PixelCnn.create(SparkTesting.smallBinary())) {
            Path checkpoint = dir.resolve("model.safetensors");
            model.save(checkpoint);
            double[] expected = model.logLikelihood(ImageFormat.forModel(model.config(), 127).convert(some))
                    .natsArray();
            try (PixelCnnScorer scorer = PixelCnnScorer.builder(spark).setCheckpoint(checkpoint).optBatchSize(64)
                    .build()) {
                for (String column : new String[] {"content", "image", "pixels"}) {
                    List<Row> rows = scorer.transform(frame.select("path", column)).collectAsList();
                    assertEquals(some.count(), rows.size());
                    for (Row row : rows) {
                        int i = indexOf(row);
                        assertEquals(expected[i], row.getDouble(row.fieldIndex(PixelCnnScorer.NLL)), 0.0,
                                column + ": image " + i);
                        assertEquals(expected[i] / (784 * Math.log(2)),
                                row.getDouble(row.fieldIndex(PixelCnnScorer.BITS_PER_DIM)), 1e-12);
                    }
                }
            }
        }
    }

    /** The OOD columns: likelihood ratio and complexity scores, as OodEvaluation computes them. */
    @Test
    void outOfDistributionScoresEqualOodEvaluations() throws IOException {
        Images some = raw.slice(0, 120);
        Images binary = ImageFormat.binarized(1, 127).convert(some);
        Dataset<Row> frame = SparkTesting.frame(spark, some, labels, 3);
        try (PixelCnn model = PixelCnn.create(SparkTesting.smallBinary());
                PixelCnn background = PixelCnn.create(SparkTesting.smallBinary().toBuilder().optSeed(99).build())) {
            OodEvaluation.Result expected = OodEvaluation.of(model).optBackground(background)
                    .optCompressors(InputComplexity.Compressor.PNG, InputComplexity.Compressor.CCITT_T6)
                    .evaluate(binary, binary.slice(0, 1));
            try (PixelCnnScorer scorer = PixelCnnScorer.builder(spark).setModel(model).optBackgroundModel(background)
                    .optComplexity(InputComplexity.Compressor.PNG, InputComplexity.Compressor.CCITT_T6)
                    .optBatchSize(50).build()) {
                assertEquals(List.of("nll", "bits_per_dim", "likelihood_ratio", "complexity", "complexity_ccitt_t6"),
                        scorer.outputColumns());
                for (Row row : scorer.transform(frame.select("path", "content")).collectAsList()) {
                    int i = indexOf(row);
                    for (String score : scorer.outputColumns()) {
                        assertEquals(expected.score(score).in()[i], row.getDouble(row.fieldIndex(score)), 1e-9,
                                score + ": image " + i);
                    }
                }
            }
            try (PixelCnn colour = PixelCnn.create(PixelCnnConfig.builder().setImageShape(3, 28, 28)
                    .optHiddenChannels(12).optResidualChannels(6).optHeadChannels(12).optBlocks(1).build())) {
                assertThrows(IllegalArgumentException.class, () -> PixelCnnScorer.builder(spark).setModel(model)
                        .optBackgroundModel(colour).build());
                assertThrows(IllegalArgumentException.class, () -> PixelCnnScorer.builder(spark).setModel(colour)
                        .optComplexity(InputComplexity.Compressor.GIF).build());
            }
        }
    }

    /** A conditional model: NLL under every class, under the row's label, and under the uniform prior. */
    @Test
    void conditionalScoresEqualOneMachines() throws IOException {
        Images some = raw.slice(0, 40);
        int[] y = new int[40];
        for (int i = 0; i < 40; i++) {
            y[i] = labels[i];
        }
        Dataset<Row> frame = SparkTesting.frame(spark, some, labels, 2);
        try (PixelCnn model = PixelCnn.create(SparkTesting.smallConditional())) {
            Images binary = ImageFormat.forModel(model.config(), 127).convert(some);
            double[][] logp = model.classScores(binary);
            double[] given = model.logLikelihood(binary.withLabels(y)).natsArray();
            double[] mixture = PixelCnnScorer.uniformPriorNll(logp);
            try (PixelCnnScorer withLabel = PixelCnnScorer.builder(spark).setModel(model).optInputCol("content")
                    .optLabelCol("label").build();
                    PixelCnnScorer prior = PixelCnnScorer.builder(spark).setModel(model).build()) {
                for (Row row : withLabel.transform(frame).collectAsList()) {
                    int i = indexOf(row);
                    assertEquals(given[i], row.getDouble(row.fieldIndex(PixelCnnScorer.NLL)), 0.0);
                    List<Double> perClass = row.getList(row.fieldIndex(PixelCnnScorer.CLASS_NLL));
                    for (int c = 0; c < 10; c++) {
                        assertEquals(-logp[i][c], perClass.get(c), 0.0, "image " + i + " class " + c);
                    }
                }
                for (Row row : prior.transform(frame).collectAsList()) {
                    assertEquals(mixture[indexOf(row)], row.getDouble(row.fieldIndex(PixelCnnScorer.NLL)), 0.0);
                }
            }
        }
    }

    /** Undecodable or wrongly sized images fail the job with a message naming the image. */
    @Test
    void badImagesFailNamingTheImage() throws IOException {
        Dataset<Row> frame = SparkTesting.frame(spark, raw.slice(0, 4), labels, 1);
        try (PixelCnn model = PixelCnn.create(SparkTesting.smallBinary());
                PixelCnnScorer scorer = PixelCnnScorer.builder(spark).setModel(model).build()) {
            Dataset<Row> garbage = frame.selectExpr("path", "cast('not a png' as binary) as content");
            SparkException e = assertThrows(SparkException.class, () -> scorer.transform(garbage).collectAsList());
            assertTrue(e.getMessage().contains("file:/images/0.png: not an image ImageIO can read"), e.getMessage());
            Dataset<Row> short_ = frame.selectExpr("path", "slice(pixels, 1, 100) as pixels");
            e = assertThrows(SparkException.class, () -> scorer.transform(short_).collectAsList());
            assertTrue(e.getMessage().contains("expected 784 intensities (1 x 28 x 28), got 100"), e.getMessage());
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> scorer.transform(frame.select("path")));
            assertTrue(missing.getMessage().contains("no image column"), missing.getMessage());
            assertThrows(IllegalArgumentException.class, () -> scorer.transform(scorer.transform(frame)));
        }
    }

    /** N images over P partitions are the images one machine draws, whatever P. */
    @Test
    void samplesEqualOneMachinesWhateverThePartitions() throws IOException {
        try (PixelCnn model = PixelCnn.create(SparkTesting.smallBinary());
                PixelCnnSampler sampler = PixelCnnSampler.builder(spark).setModel(model).build()) {
            SamplingConfig sampling = SamplingConfig.builder().optSeed(5).optBatchSize(3).build();
            Images expected = model.sample(7, sampling);
            for (int partitions : new int[] {1, 2, 3}) {
                Images drawn = PixelCnnSampler.toImages(sampler.sample(7, partitions, sampling).collectAsList(),
                        1, 28, 28);
                assertEquals(expected, drawn, partitions + " partitions");
            }
        }
        try (PixelCnn model = PixelCnn.create(SparkTesting.smallConditional());
                PixelCnnSampler sampler = PixelCnnSampler.builder(spark).setModel(model).build()) {
            int[] y = {3, 1, 4, 1, 5};
            SamplingConfig sampling = SamplingConfig.ofSeed(8);
            Images expected = model.sample(y, sampling);
            Images drawn = PixelCnnSampler.toImages(sampler.sample(y, 2, sampling).collectAsList(), 1, 28, 28);
            assertEquals(expected, drawn);
            assertArrayEquals(y, drawn.labels());
            assertThrows(IllegalArgumentException.class, () -> sampler.sample(5, 2, sampling));
        }
    }

    /** The float-rounding bound of K-partition training against one machine after 20 steps. */
    static final float WEIGHT_BOUND = 1e-4f;

    /**
     * 20 steps at batch 32 on 1, 2 and 3 partitions against PixelCnn.train on the same batches:
     * one partition is bit for bit the same, more are within float rounding; each partitioning
     * gives the same weights twice (determinism), and 10 steps, a checkpoint, a load and 10 more
     * give the 20 steps' weights exactly.
     */
    @Test
    void dataParallelTrainingEqualsOneMachine(@TempDir Path dir) throws IOException {
        Images data = ImageFormat.forModel(SparkTesting.smallBinary(), 127).convert(raw.slice(0, 256));
        TrainingConfig training = TrainingConfig.builder().setSteps(20).optBatchSize(32).optShuffleSeed(2).build();
        float[] local;
        try (PixelCnn model = PixelCnn.create(SparkTesting.smallBinary())) {
            model.train(data, training);
            local = model.packedWeights();
        }
        for (int partitions : new int[] {1, 2, 3}) {
            try (TrainingData distributed = TrainingData.of(spark, data, partitions)) {
                float[] first = null;
                for (int run = 0; run < 2; run++) {
                    try (PixelCnn model = PixelCnn.create(SparkTesting.smallBinary())) {
                        DataParallelTrainer.builder(spark).build().train(model, distributed, training, null);
                        assertEquals(20, model.step());
                        float[] w = model.packedWeights();
                        float diff = SparkTesting.maxAbsDiff(local, w);
                        System.out.printf("data-parallel, %d partition(s), run %d: max |w - w_local| = %.3g%n",
                                partitions, run, diff);
                        if (partitions == 1) {
                            assertArrayEquals(local, w, "one partition is one machine");
                        }
                        assertTrue(diff <= WEIGHT_BOUND, partitions + " partitions: " + diff);
                        if (first == null) {
                            first = w;
                        } else {
                            assertArrayEquals(first, w, "the same partitioning twice");
                        }
                    }
                }
                if (partitions == 2) {
                    Path checkpoint = dir.resolve("half.safetensors");
                    try (PixelCnn model = PixelCnn.create(SparkTesting.smallBinary())) {
                        TrainingConfig half = TrainingConfig.builder().setSteps(10).optBatchSize(32).optShuffleSeed(2)
                                .build();
                        DataParallelTrainer.builder(spark).optCheckpoint(checkpoint, 5).build()
                                .train(model, distributed, half, null);
                    }
                    try (PixelCnn resumed = PixelCnn.load(checkpoint)) {
                        assertEquals(10, resumed.step());
                        TrainingConfig half = TrainingConfig.builder().setSteps(10).optBatchSize(32).optShuffleSeed(2)
                                .build();
                        DataParallelTrainer.builder(spark).build().train(resumed, distributed, half, null);
                        assertArrayEquals(first, resumed.packedWeights(), "10 + checkpoint + 10 = 20 steps");
                    }
                }
            }
        }
    }

    /** Mutated inputs and weight decay (a likelihood ratio's background model) train as on one machine. */
    @Test
    void mutationAndWeightDecayTrainAsOnOneMachine() {
        Images data = ImageFormat.forModel(SparkTesting.smallBinary(), 127).convert(raw.slice(0, 128));
        TrainingConfig training = TrainingConfig.builder().setSteps(6).optBatchSize(16).optMutationRate(0.2)
                .optWeightDecay(1e-3).build();
        try (PixelCnn local = PixelCnn.create(SparkTesting.smallBinary());
                PixelCnn driver = PixelCnn.create(SparkTesting.smallBinary());
                PixelCnn plain = PixelCnn.create(SparkTesting.smallBinary());
                TrainingData distributed = TrainingData.of(spark, data, 3)) {
            local.train(data, training);
            DataParallelTrainer.builder(spark).build().train(driver, distributed, training, null);
            float diff = SparkTesting.maxAbsDiff(local.packedWeights(), driver.packedWeights());
            assertTrue(diff <= WEIGHT_BOUND, "mutated training on 3 partitions: " + diff);
            plain.train(data, TrainingConfig.builder().setSteps(6).optBatchSize(16).build());
            assertTrue(SparkTesting.maxAbsDiff(plain.packedWeights(), local.packedWeights()) > 1e-4, "mutation changed nothing");
        }
    }

    /** The DataFrame path (PNG bytes decoded on the executors) trains as the in-memory images do. */
    @Test
    void trainingFromADataFrameEqualsTrainingFromImages() throws IOException {
        PixelCnnConfig config = SparkTesting.smallBinary();
        Images some = raw.slice(0, 96);
        Dataset<Row> frame = SparkTesting.frame(spark, some, labels, 3);
        TrainingConfig training = TrainingConfig.builder().setSteps(4).optBatchSize(16).build();
        try (TrainingData fromFrame = TrainingData.fromDataset(frame, config, "content", null, 127);
                TrainingData fromImages = TrainingData.of(spark, ImageFormat.forModel(config, 127).convert(some), 3);
                PixelCnn a = PixelCnn.create(config);
                PixelCnn b = PixelCnn.create(config)) {
            assertEquals(96, fromFrame.count());
            DataParallelTrainer trainer = DataParallelTrainer.builder(spark).build();
            trainer.train(a, fromFrame, training, null);
            trainer.train(b, fromImages, training, null);
            assertArrayEquals(b.packedWeights(), a.packedWeights());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.train(a,
                    fromFrame, TrainingConfig.builder().setSteps(1).optBatchSize(97).build(), null));
            assertTrue(e.getMessage().contains("at most the 96"), e.getMessage());
        }
    }

    /** Executors' models are given back after each task and closed when idle: none leak. */
    @Test
    void executorModelsAreReusedAndClosed() throws IOException {
        ExecutorModels.closeIdle();
        int before = ExecutorModels.openModels();
        Dataset<Row> frame = SparkTesting.frame(spark, raw.slice(0, 20), labels, 4);
        try (PixelCnn model = PixelCnn.create(SparkTesting.smallBinary());
                PixelCnnScorer scorer = PixelCnnScorer.builder(spark).setModel(model).build()) {
            for (int i = 0; i < 5; i++) {
                assertEquals(20, scorer.transform(frame).count());
            }
            // local[2]: at most two tasks at once, so at most two models, however many tasks ran.
            assertTrue(ExecutorModels.openModels() - before <= 2, "open: " + ExecutorModels.openModels());
        }
        ExecutorModels.closeIdle();
        assertEquals(before, ExecutorModels.openModels());
        assertTrue(Files.isDirectory(Path.of(System.getProperty("java.io.tmpdir"))));
    }
}
