package org.pixelcnn4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.SamplingConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.data.ImageFormat;

/**
 * pixelcnn4j-spark on a real cluster: a standalone master and two workers on loopback, started
 * by the test, with three executors of one core each in JVMs of their own, which load the engine
 * from the jars the driver ships (no install). Scores, samples and training weights equal one
 * machine's; an executor killed in the middle of a scoring job and of a training run costs
 * retries, not results.
 */
@EnabledOnOs({OS.LINUX, OS.MAC})
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ClusterIT {
    private static StandaloneCluster cluster;
    private static SparkSession spark;
    private static Images raw;
    private static byte[] labels;
    private static final AtomicInteger executorsRemoved = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        Path work = Path.of(System.getProperty("pixelcnn4j.spark.workDirectory", "target/cluster"));
        cluster = StandaloneCluster.start(work, 2, 2, "2g");
        spark = cluster.session(3, "640m").getOrCreate();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
                executorsRemoved.incrementAndGet();
            }
        });
        raw = FashionMnist.train(6000);
        labels = FashionMnist.trainLabels(6000);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Kills one executor JVM (SIGKILL, as a lost machine) and says which. */
    private static long killOneExecutor() {
        List<ProcessHandle> executors = cluster.executors();
        assertFalse(executors.isEmpty(), "no executor JVM found among the workers' children");
        ProcessHandle victim = executors.get(0);
        victim.destroyForcibly();
        System.out.println("killed executor JVM " + victim.pid());
        return victim.pid();
    }

    private static int indexOf(Row row) {
        String path = row.getString(row.fieldIndex("path"));
        return Integer.parseInt(path.substring(path.lastIndexOf('/') + 1, path.length() - 4));
    }

    @Test
    void executorsAreSeparateJvms() {
        List<ProcessHandle> executors = cluster.executors();
        assertTrue(executors.size() >= 1, "executor JVMs: " + executors.size());
        for (ProcessHandle executor : executors) {
            assertTrue(executor.pid() != ProcessHandle.current().pid());
        }
    }

    /**
     * 6,000 PNG images in 12 partitions, one executor killed after the first task ends: every
     * score arrives, equal to one machine's.
     */
    @Test
    void scoringSurvivesALostExecutor(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Dataset<Row> frame = SparkTesting.frame(spark, raw, labels, 12).select("path", "content");
        try (PixelCnn model = PixelCnn.create(SparkTesting.smallBinary())) {
            double[] expected = model.logLikelihood(ImageFormat.forModel(model.config(), 127).convert(raw)).natsArray();
            Path checkpoint = dir.resolve("model.safetensors");
            model.save(checkpoint);
            try (PixelCnnScorer scorer = PixelCnnScorer.builder(spark).setCheckpoint(checkpoint).build()) {
                AtomicBoolean killed = new AtomicBoolean();
                SparkListener killer = new SparkListener() {
                    @Override
                    public void onTaskEnd(SparkListenerTaskEnd end) {
                        if (killed.compareAndSet(false, true)) {
                            killOneExecutor();
                        }
                    }
                };
                int removedBefore = executorsRemoved.get();
                spark.sparkContext().addSparkListener(killer);
                List<Row> rows;
                try {
                    rows = CompletableFuture.supplyAsync(() -> scorer.transform(frame).collectAsList())
                            .get(5, TimeUnit.MINUTES);
                } finally {
                    spark.sparkContext().removeSparkListener(killer);
                }
                assertTrue(killed.get());
                assertEquals(raw.count(), rows.size());
                boolean[] seen = new boolean[raw.count()];
                for (Row row : rows) {
                    int i = indexOf(row);
                    assertFalse(seen[i], "image " + i + " twice");
                    seen[i] = true;
                    assertEquals(expected[i], row.getDouble(row.fieldIndex(PixelCnnScorer.NLL)), 0.0, "image " + i);
                }
                awaitRemoved(removedBefore);
            }
        }
        try (var files = Files.walk(cluster.executorCache())) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().equals("libjnipixelcnn.so")
                    || f.getFileName().toString().equals("libjnipixelcnn.dylib")),
                    "the executors extracted no libjnipixelcnn from the shipped jar into " + cluster.executorCache());
        }
    }

    private static void awaitRemoved(int before) throws InterruptedException {
        for (int i = 0; i < 100 && executorsRemoved.get() == before; i++) {
            Thread.sleep(100);
        }
        assertTrue(executorsRemoved.get() > before, "Spark saw no executor removed");
    }

    @Test
    void samplesEqualOneMachines() throws IOException {
        try (PixelCnn model = PixelCnn.create(SparkTesting.smallBinary());
                PixelCnnSampler sampler = PixelCnnSampler.builder(spark).setModel(model).build()) {
            SamplingConfig sampling = SamplingConfig.builder().optSeed(77).optBatchSize(4).build();
            Images expected = model.sample(12, sampling);
            assertEquals(expected, PixelCnnSampler.toImages(sampler.sample(12, 3, sampling).collectAsList(), 1, 28, 28));
        }
    }

    /**
     * 20 steps at batch 32 on 2 and on 3 partitions (three executors) against one machine, within
     * the float bound; on 3 partitions again with an executor killed at step 5: the same weights
     * bit for bit, and the run's checkpoint resumes.
     */
    @Test
    void trainingEqualsOneMachineAndSurvivesALostExecutor(@org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException, InterruptedException {
        Images data = ImageFormat.forModel(SparkTesting.smallBinary(), 127).convert(raw.slice(0, 512));
        TrainingConfig training = TrainingConfig.builder().setSteps(20).optBatchSize(32).optShuffleSeed(4).build();
        float[] local;
        try (PixelCnn model = PixelCnn.create(SparkTesting.smallBinary())) {
            model.train(data, training);
            local = model.packedWeights();
        }
        float[] threeWay = null;
        for (int partitions : new int[] {2, 3}) {
            try (TrainingData distributed = TrainingData.of(spark, data, partitions);
                    PixelCnn model = PixelCnn.create(SparkTesting.smallBinary())) {
                DataParallelTrainer.builder(spark).build().train(model, distributed, training, null);
                float diff = SparkTesting.maxAbsDiff(local, model.packedWeights());
                System.out.printf("cluster, %d partitions on 3 executors: max |w - w_local| after 20 steps = %.3g%n",
                        partitions, diff);
                assertTrue(diff <= SparkLocalTest.WEIGHT_BOUND, partitions + " partitions: " + diff);
                threeWay = model.packedWeights();
            }
        }
        Path checkpoint = dir.resolve("run.safetensors");
        int removedBefore = executorsRemoved.get();
        try (TrainingData distributed = TrainingData.of(spark, data, 3);
                PixelCnn model = PixelCnn.create(SparkTesting.smallBinary())) {
            DataParallelTrainer.builder(spark).optCheckpoint(checkpoint, 10).build().train(model, distributed, training,
                    p -> {
                        if (p.step() == 5) {
                            killOneExecutor();
                        }
                    });
            assertEquals(20, model.step());
            assertArrayEquals(threeWay, model.packedWeights(), "a lost executor changed the weights");
        }
        awaitRemoved(removedBefore);
        try (PixelCnn resumed = PixelCnn.load(checkpoint)) {
            assertEquals(20, resumed.step());
            assertArrayEquals(threeWay, resumed.packedWeights());
        }
        assertTrue(Files.size(checkpoint) > 0);
    }

}
