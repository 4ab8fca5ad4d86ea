package org.pixelcnn4j.examples.spark;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.pixelcnn4j.*;
import org.pixelcnn4j.spark.*;

/** Trains, samples and scores on Spark: ScaleOut IMAGES CHECKPOINT OUT (paths or URIs, e.g. hdfs://). */
public class ScaleOut {
    public static void main(String[] args) throws IOException {
        String images = args[0];
        Path checkpoint = Path.of(args[1]);
        String out = args[2];
        SparkSession spark = SparkSession.builder().appName("pixelcnn4j-scale-out").getOrCreate();
        Dataset<Row> files = spark.read().format("binaryFile").load(images);

        // Data-parallel training (64 partitions), checkpoints from the driver: one machine's format and resume.
        try (PixelCnn model = PixelCnn.create(PixelCnnConfig.fmBinary());
             TrainingData data = TrainingData.fromDataset(files, model.config(), "content", null, 127, 64)) {
            DataParallelTrainer.builder(spark).optCheckpoint(checkpoint, 500).build()
                    .train(model, data, TrainingConfig.builder().setSteps(5000).optBatchSize(256).build(), null);

            // Sampling: image i is keyed by its global index, so these are one machine's images, whatever P.
            try (PixelCnnSampler sampler = PixelCnnSampler.builder(spark).setModel(model).build()) {
                sampler.sample(100_000, 200, SamplingConfig.ofSeed(7)).write().parquet(out + "/samples");
            }
        }

        // Scoring: nll (nats) and bits_per_dim added to every row (class_nll too for a conditional
        // model), equal to PixelCnn.logLikelihood on one machine, bit for bit.
        try (PixelCnnScorer scorer = PixelCnnScorer.builder(spark).setCheckpoint(checkpoint).build()) {
            scorer.transform(files).select("path", "nll", "bits_per_dim").write().parquet(out + "/scores");
        }
        spark.stop();
    }
}
