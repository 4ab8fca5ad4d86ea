package org.pixelcnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.Likelihood;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.data.ImageFormat;
import org.pixelcnn4j.data.ImageSource;
import org.pixelcnn4j.data.TestImages;

/** {@code pixelcnn4j eval}: mean NLL and per-image scores, most unusual first. */
class EvalCommandTest {
    @TempDir
    Path dir;

    @Test
    void meanNllMatchesTheLibraryAndCsvIsSortedMostUnusualFirst() throws IOException {
        Path model = Cli.trained(dir, 4);
        Path folder = Cli.pngFolder(dir);
        Path csv = dir.resolve("scores/scores.csv");
        Cli.Result r = Cli.run("eval", "-m", model.toString(), "--data", folder.toString(), "--csv", csv.toString(),
                "--batch-size", "5", "--no-progress");
        assertEquals(0, r.code(), r.toString());

        Images images = ImageSource.open(folder).read(ImageFormat.binarized(1, 127)).images();
        Likelihood expected;
        try (PixelCnn net = PixelCnn.load(model)) {
            expected = net.logLikelihood(images);
        }
        assertTrue(r.out().contains(String.format(Locale.ROOT, "NLL: %.2f nats/image, %.4f bits/dim (16 images)",
                expected.meanNats(), expected.meanBitsPerDim())), r.out());

        List<String> lines = Files.readAllLines(csv);
        assertEquals("index,nats,bits_per_dim,file", lines.get(0));
        assertEquals(17, lines.size());
        double previous = Double.POSITIVE_INFINITY;
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            int index = Integer.parseInt(f[0]);
            double nats = Double.parseDouble(f[1]);
            assertTrue(nats <= previous, "sorted: " + lines);
            previous = nats;
            assertEquals(expected.nats(index), nats, 1e-3);
            assertEquals(String.format("img-%02d.png", index), f[3]);
        }
    }

    @Test
    void idxDataHasNoFileColumnAndLimitCounts() throws IOException {
        Path model = Cli.trained(dir, 2);
        Path csv = dir.resolve("scores.csv");
        Cli.Result r = Cli.run("eval", "-m", model.toString(), "--data", dir.resolve("bars.idx").toString(),
                "--limit", "10", "--csv", csv.toString(), "--no-progress");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("(10 images)"), r.out());
        List<String> lines = Files.readAllLines(csv);
        assertEquals("index,nats,bits_per_dim", lines.get(0));
        assertEquals(11, lines.size());
    }

    @Test
    void dataErrorsExitWith3AndNameTheProblem() throws IOException {
        Path model = Cli.trained(dir, 1);
        Path folder = Cli.pngFolder(dir);

        Path empty = Files.createDirectories(dir.resolve("empty"));
        Cli.Result none = Cli.run("eval", "-m", model.toString(), "--data", empty.toString());
        assertEquals(3, none.code(), none.toString());
        assertTrue(none.err().contains("holds no images"), none.err());

        Files.writeString(folder.resolve("readme.txt"), "these are bars");
        Cli.Result text = Cli.run("eval", "-m", model.toString(), "--data", folder.toString());
        assertEquals(3, text.code(), text.toString());
        assertTrue(text.err().contains("readme.txt") && text.err().contains("not a PNG or JPEG image"), text.err());
        Files.delete(folder.resolve("readme.txt"));

        TestImages.writeGrayPng(folder.resolve("img-03b.png"), new byte[10 * 12], 0, 10, 12);
        Cli.Result size = Cli.run("eval", "-m", model.toString(), "--data", folder.toString());
        assertEquals(3, size.code(), size.toString());
        assertTrue(size.err().contains("img-03b.png is 10x12 pixels (height x width); expected 8x8, the model's size"),
                size.err());
        assertEquals(1, size.err().strip().lines().count(), "one line, no stack trace: " + size.err());

        Cli.Result fashion = Cli.run("eval", "-m", model.toString(), "--limit", "3");
        assertEquals(3, fashion.code(), fashion.toString());
        assertTrue(fashion.err().contains("holds 28x28 images (height x width); expected 8x8"), fashion.err());
    }
}
