package org.pixelcnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.data.ImageFormat;
import org.pixelcnn4j.data.ImageSource;
import org.pixelcnn4j.data.TestImages;

/** {@code pixelcnn4j complete}: known pixels kept, the rest drawn; row and PNG masks. */
class CompleteCommandTest {
    @TempDir
    Path dir;

    @Test
    void knownRowsAreKeptAndAGridIsWritten() throws IOException {
        Path model = Cli.trained(dir, 3);
        Path folder = Cli.pngFolder(dir);
        Path out = dir.resolve("done");
        Path grid = dir.resolve("grid.png");
        Cli.Result r = Cli.run("complete", "-m", model.toString(), folder.toString(), "--known-rows", "4",
                "--out-dir", out.toString(), "--grid", grid.toString(), "--scale", "1", "--no-progress");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("completed 16 images"), r.out());

        Images inputs = ImageSource.open(folder).read(ImageFormat.binarized(1, 127)).images();
        Images outputs = ImageSource.open(out).read(ImageFormat.binarized(1, 127)).images();
        assertEquals(16, outputs.count());
        for (int n = 0; n < 16; n++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 8; x++) {
                    assertEquals(inputs.get(n, 0, y, x), outputs.get(n, 0, y, x), "known pixel " + n + "," + y + "," + x);
                }
            }
        }
        BufferedImage g = ImageIO.read(grid.toFile());
        assertEquals(3 * 8 + 2 * 2, g.getWidth());
        assertEquals(16 * 8 + 15 * 2, g.getHeight());
        assertEquals(128, g.getRaster().getSample(8 + 2 + 3, 6, 0), "unknown pixels are gray in the grid");
    }

    @Test
    void aMaskPngKeepsItsWhitePixels() throws IOException {
        Path model = Cli.trained(dir, 3);
        byte[] data = TestImages.bars(2, 8, 3);
        Path a = TestImages.writeGrayPng(dir.resolve("a.png"), data, 0, 8, 8);
        Path b = TestImages.writeGrayPng(dir.resolve("b.png"), data, 1, 8, 8);
        byte[] maskPixels = new byte[64];
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                maskPixels[y * 8 + x] = (byte) (x < 3 ? 255 : 0); // the three left columns are known
            }
        }
        Path mask = TestImages.writeGrayPng(dir.resolve("mask.png"), maskPixels, 0, 8, 8);
        Path out = dir.resolve("out");
        Cli.Result r = Cli.run("complete", "-m", model.toString(), a.toString(), b.toString(), "--mask",
                mask.toString(), "--out-dir", out.toString(), "--seed", "3", "--no-progress");
        assertEquals(0, r.code(), r.toString());
        Images in = ImageSource.ofPaths(java.util.List.of(a, b)).read(ImageFormat.binarized(1, 127)).images();
        Images done = ImageSource.ofPaths(java.util.List.of(out.resolve("a.png"), out.resolve("b.png")))
                .read(ImageFormat.binarized(1, 127)).images();
        for (int n = 0; n < 2; n++) {
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 3; x++) {
                    assertEquals(in.get(n, 0, y, x), done.get(n, 0, y, x));
                }
            }
        }
    }

    @Test
    void maskProblemsAreReported() throws IOException {
        Path model = Cli.trained(dir, 1);
        Path folder = Cli.pngFolder(dir);
        byte[] white = new byte[64];
        java.util.Arrays.fill(white, (byte) 255);
        Path m1 = TestImages.writeGrayPng(dir.resolve("m1.png"), white, 0, 8, 8);
        Path m2 = TestImages.writeGrayPng(dir.resolve("m2.png"), white, 0, 8, 8);
        Cli.Result count = Cli.run("complete", "-m", model.toString(), folder.toString(), "--mask", m1.toString(),
                "--mask", m2.toString(), "--out-dir", dir.resolve("o").toString());
        assertEquals(2, count.code(), count.toString());
        assertTrue(count.err().contains("got 2 masks for 16 images"), count.err());

        Path small = TestImages.writeGrayPng(dir.resolve("small.png"), white, 0, 4, 4);
        Cli.Result size = Cli.run("complete", "-m", model.toString(), folder.toString(), "--mask", small.toString());
        assertEquals(3, size.code(), size.toString());
        assertTrue(size.err().contains("small.png is 4x4"), size.err());

        Cli.Result rows = Cli.run("complete", "-m", model.toString(), folder.toString(), "--known-rows", "9");
        assertEquals(2, rows.code(), rows.toString());

        Cli.Result neither = Cli.run("complete", "-m", model.toString(), folder.toString());
        assertEquals(2, neither.code(), neither.toString());
        Cli.Result both = Cli.run("complete", "-m", model.toString(), folder.toString(), "--known-rows", "2",
                "--mask", m1.toString());
        assertEquals(2, both.code(), both.toString());
    }
}
