package org.pixelcnn4j.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.pixelcnn4j.Device;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;
import org.pixelcnn4j.TrainingConfig;
import org.pixelcnn4j.data.Idx;
import org.pixelcnn4j.data.TestImages;

/**
 * Writes the seed corpora of the fuzz targets into {@code src/test/resources/fuzz/<target>/}:
 * small valid inputs of every kind each reader accepts, so that the fuzzer starts from deep
 * paths. Run once by hand ({@code fuzz/run.sh --seeds}); the seeds are committed.
 */
public final class FuzzSeeds {

    private FuzzSeeds() {
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources/fuzz");
        checkpoints(Files.createDirectories(root.resolve("CheckpointFuzzTarget")),
                Files.createDirectories(root.resolve("HeaderJsonFuzzTarget")));
        idx(Files.createDirectories(root.resolve("IdxFuzzTarget")));
        images(Files.createDirectories(root.resolve("ImageFolderFuzzTarget")));
    }

    /** Tiny models of both heads, grayscale and colour, fresh and trained (Adam moments). */
    private static void checkpoints(Path dir, Path headers) throws IOException {
        int n = 0;
        for (int channels : new int[] {1, 3}) {
            for (boolean bernoulli : new boolean[] {true, false}) {
                PixelCnnConfig.Builder b = PixelCnnConfig.builder().setImageShape(channels, 4, 3)
                        .optHiddenChannels(3 * channels).optBlocks(1).optInputKernel(3);
                PixelCnnConfig config = (bernoulli ? b.optBernoulli() : b.optCategorical(4)).build();
                try (PixelCnn model = PixelCnn.create(config, Device.cpu(1))) {
                    Path file = dir.resolve("model-" + n + ".safetensors");
                    if (n % 2 == 1) {
                        byte[] pixels = new byte[4 * config.dimensions()];
                        Arrays.fill(pixels, (byte) 1);
                        model.train(Images.of(pixels, 4, channels, 4, 3), TrainingConfig.builder().setSteps(1)
                                .optBatchSize(2).build());
                    }
                    model.save(file, Map.of("note", "seed " + n));
                    byte[] bytes = Files.readAllBytes(file);
                    long headerLength = java.nio.ByteBuffer.wrap(bytes, 0, 8)
                            .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
                    Files.write(headers.resolve("header-" + n + ".json"),
                            Arrays.copyOfRange(bytes, 8, 8 + (int) headerLength));
                }
                n++;
            }
        }
        Files.write(headers.resolve("nested.json"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},\"__metadata__\":{\"k\":\"\\u00e9\"}}"
                        .getBytes(StandardCharsets.UTF_8));
    }

    private static void idx(Path dir) throws IOException {
        byte[] pixels = TestImages.bars(3, 5, 7);
        Path plain = TestImages.writeIdx(dir.resolve("images-plain.idx"), pixels, 3, 5, 5, false);
        TestImages.writeIdx(dir.resolve("images-gzip.idx"), pixels, 3, 5, 5, true);
        byte[] labels = {0, 1, 2};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {0, 0, 8, 1, 0, 0, 0, 3});
        out.write(labels);
        Files.write(dir.resolve("labels.idx"), out.toByteArray());
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(out.toByteArray());
        }
        Files.write(dir.resolve("labels-gzip.idx"), gz.toByteArray());
        if (Idx.readImages(plain).count() != 3) {
            throw new IllegalStateException("seed IDX file unreadable");
        }
    }

    private static void images(Path dir) throws IOException {
        Path scratch = Files.createTempDirectory("seeds");
        byte[] gray = TestImages.bars(1, 4, 3);
        byte[] grayPng = Files.readAllBytes(TestImages.writeGrayPng(scratch.resolve("g.png"), gray, 0, 4, 4));
        byte[] rgbPng = Files.readAllBytes(TestImages.writeRgb(scratch.resolve("c.png"), 4, 4, "png",
                (x, y) -> (x * 40) << 16 | (y * 50) << 8 | 0x30));
        byte[] jpeg = Files.readAllBytes(TestImages.writeRgb(scratch.resolve("c.jpg"), 4, 4, "jpg",
                (x, y) -> (x + y) % 2 == 0 ? 0xffffff : 0x000000));
        byte[] separator = {'\n', '-', '-', '\n'};
        Files.write(dir.resolve("gray.png"), grayPng);
        Files.write(dir.resolve("rgb.png"), rgbPng);
        Files.write(dir.resolve("photo.jpg"), jpeg);
        Files.write(dir.resolve("gray-and-rgb"), concat(grayPng, separator, rgbPng));
        Files.write(dir.resolve("png-and-jpeg"), concat(rgbPng, separator, jpeg, separator, grayPng));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
