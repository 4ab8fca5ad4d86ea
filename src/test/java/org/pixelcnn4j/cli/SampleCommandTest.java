package org.pixelcnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pixelcnn4j sample}: grids and single PNGs, reproducible by seed. */
class SampleCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesAGridAndSinglePngs() throws IOException {
        Path model = Cli.trained(dir, 3);
        Path grid = dir.resolve("grid.png");
        Path out = dir.resolve("samples");
        Cli.Result r = Cli.run("sample", "-m", model.toString(), "--count", "6", "--seed", "5", "--grid",
                grid.toString(), "--columns", "3", "--scale", "2", "--out-dir", out.toString(), "--no-progress");
        assertEquals(0, r.code(), r.toString());
        BufferedImage image = ImageIO.read(grid.toFile());
        assertEquals(3 * 16 + 2 * 2, image.getWidth()); // 3 columns of 8x2 pixels, 2-pixel gaps
        assertEquals(2 * 16 + 2, image.getHeight());
        for (int i = 0; i < 6; i++) {
            BufferedImage one = ImageIO.read(out.resolve(String.format("sample-%04d.png", i)).toFile());
            assertEquals(8, one.getWidth());
        }
        assertTrue(r.out().contains("drew 6 images"), r.out());
    }

    @Test
    void sameSeedSameImagesForAnyBatchSizeAndSampler() throws IOException {
        Path model = Cli.trained(dir, 3);
        byte[][] grids = new byte[3][];
        String[][] variants = {{"--batch-size", "5"}, {"--batch-size", "2"}, {"--naive"}};
        for (int v = 0; v < variants.length; v++) {
            Path grid = dir.resolve("grid-" + v + ".png");
            Cli.Result r = Cli.run(Cli.args(new String[] {"sample", "-m", model.toString(), "--count", "5", "--seed",
                "9", "--temperature", "0.9", "--grid", grid.toString(), "--threads", "1", "--no-progress"},
                    variants[v]));
            assertEquals(0, r.code(), r.toString());
            grids[v] = Files.readAllBytes(grid);
        }
        assertArrayEquals(grids[0], grids[1]);
        assertArrayEquals(grids[0], grids[2]);
    }

    @Test
    void badValuesAreUsageErrorsAndWriteNothing() throws IOException {
        Path model = Cli.trained(dir, 1);
        Path cwdGrid = Path.of("samples.png");
        boolean existed = Files.exists(cwdGrid);
        Cli.Result bad = Cli.run("sample", "-m", model.toString(), "--temperature", "0");
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("--temperature: expected a positive finite value, got 0.0"), bad.err());
        Cli.Result count = Cli.run("sample", "-m", model.toString(), "--count", "-1");
        assertEquals(2, count.code(), count.toString());
        assertEquals(existed, Files.exists(cwdGrid), "no file written on a usage error");
    }
}
