package org.pixelcnn4j.spark;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.data.Png;

/** What the Spark tests share: small models, images as the DataFrames Spark's sources give. */
final class SparkTesting {
    private SparkTesting() {
    }

    /** A session on loopback with nothing the tests do not need (no UI). */
    static SparkSession.Builder session(String master) {
        return SparkSession.builder().master(master).appName("pixelcnn4j-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4");
    }

    /** fm-binary's shape, narrow enough for a test: 28x28 binary, 2 blocks of width 16. */
    static PixelCnnConfig smallBinary() {
        return PixelCnnConfig.builder().optHiddenChannels(16).optResidualChannels(8).optHeadChannels(16)
                .optBlocks(2).optSeed(3).build();
    }

    /** A class-conditional Gated PixelCNN of the same size, 10 classes. */
    static PixelCnnConfig smallConditional() {
        return PixelCnnConfig.builder().optArchitecture(PixelCnnConfig.Architecture.GATED).optClasses(10)
                .optHiddenChannels(8).optHeadChannels(16).optBlocks(2).optSeed(4).build();
    }

    static byte[] png(Images raw, int index) {
        BufferedImage image = Png.toBufferedImage(raw, index, 256);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * The schema of {@link #rows}: path and content (as binaryFile gives them, PNG), image (the
     * image source's struct), pixels (an array of intensities) and label.
     */
    static StructType schema() {
        StructType imageStruct = DataTypes.createStructType(List.of(
                DataTypes.createStructField("origin", DataTypes.StringType, true),
                DataTypes.createStructField("height", DataTypes.IntegerType, false),
                DataTypes.createStructField("width", DataTypes.IntegerType, false),
                DataTypes.createStructField("nChannels", DataTypes.IntegerType, false),
                DataTypes.createStructField("mode", DataTypes.IntegerType, false),
                DataTypes.createStructField("data", DataTypes.BinaryType, false)));
        return DataTypes.createStructType(List.of(
                DataTypes.createStructField("path", DataTypes.StringType, false),
                DataTypes.createStructField("content", DataTypes.BinaryType, false),
                DataTypes.createStructField("image", imageStruct, false),
                DataTypes.createStructField("pixels", DataTypes.createArrayType(DataTypes.ByteType, false), false),
                DataTypes.createStructField("label", DataTypes.IntegerType, false)));
    }

    /** Raw 8-bit gray images as rows of {@link #schema}, image i at path file:/images/i.png. */
    static List<Row> rows(Images raw, byte[] labels) {
        int size = raw.height() * raw.width();
        byte[] all = raw.toArray();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < raw.count(); i++) {
            byte[] data = java.util.Arrays.copyOfRange(all, i * size, (i + 1) * size);
            String path = "file:/images/" + i + ".png";
            rows.add(RowFactory.create(path, png(raw, i),
                    RowFactory.create(path, raw.height(), raw.width(), 1, 0, data), data.clone(), (int) labels[i]));
        }
        return rows;
    }

    /** {@link #rows} as a DataFrame of {@code partitions} partitions of consecutive images (image i is row i). */
    static Dataset<Row> frame(SparkSession spark, Images raw, byte[] labels, int partitions) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(sc.parallelize(rows(raw, labels), partitions), schema());
    }

    /** The largest |a[i] - b[i]|; a NaN difference sticks (it must fail the bound it feeds). */
    static float maxAbsDiff(float[] a, float[] b) {
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            float d = Math.abs(a[i] - b[i]);
            if (!(d <= worst)) {
                worst = d;
            }
        }
        return worst;
    }
}
