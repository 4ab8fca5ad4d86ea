package org.pixelcnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.data.ImageFormat;
import org.pixelcnn4j.data.ImageSource;
import org.pixelcnn4j.data.TestImages;
import org.pixelcnn4j.ood.OodMetrics;

/** {@code pixelcnn4j ood} and the background model's training options. */
class OodCommandTest {
    @TempDir
    Path dir;

    @Test
    void reportsEveryScoreAndWritesTheFiles() throws IOException {
        Path model = Cli.trained(dir, 4);
        Path background = dir.resolve("background.safetensors");
        Cli.Result trained = Cli.run(Cli.tiny("train", "--data", Cli.idx(dir).toString(), "--steps", "4",
                "--mutation-rate", "0.2", "--weight-decay", "1e-4", "--checkpoint", background.toString()));
        assertEquals(0, trained.code(), trained.toString());
        assertTrue(PixelCnn.readMetadata(background).get("train.mutation_rate").equals("0.2"));
        // Resuming keeps the stored settings; a different one is refused.
        Cli.Result refused = Cli.run(Cli.tiny("train", "--data", Cli.idx(dir).toString(), "--steps", "6",
                "--mutation-rate", "0.3", "--resume", "--checkpoint", background.toString()));
        assertEquals(ExitCodes.USAGE, refused.code(), refused.toString());
        assertTrue(refused.err().contains("--mutation-rate 0.3 differs from the checkpoint's 0.2"), refused.err());

        Path in = Cli.idx(dir);
        Path out = TestImages.writePngFolder(dir.resolve("other"), TestImages.bars(16, Cli.SIZE, 99), 16, Cli.SIZE,
                Cli.SIZE);
        Path report = dir.resolve("report");
        Cli.Result r = Cli.run("ood", "-m", model.toString(), "--background", background.toString(), "--in",
                in.toString(), "--out", out.toString(), "--output", report.toString(), "--no-progress");
        assertEquals(0, r.code(), r.toString());
        for (String score : new String[] {"nll", "bits_per_dim", "likelihood_ratio", "complexity"}) {
            assertTrue(r.out().contains(score), r.out());
            assertTrue(Files.exists(report.resolve("histograms/" + score + ".png")), score);
        }
        List<String> csv = Files.readAllLines(report.resolve("scores.csv"));
        assertEquals(1 + 64 + 16, csv.size());
        Images inImages = ImageSource.open(in).read(ImageFormat.binarized(1, 127)).images().withoutLabels();
        Images outImages = ImageSource.open(out).read(ImageFormat.binarized(1, 127)).images().withoutLabels();
        double auroc;
        try (PixelCnn net = PixelCnn.load(model)) {
            auroc = OodMetrics.auroc(net.logLikelihood(inImages).natsArray(), net.logLikelihood(outImages).natsArray());
        }
        String json = Files.readString(report.resolve("summary.json"));
        assertTrue(json.contains(String.format(java.util.Locale.ROOT, "\"nll\": {\"auroc\": %.6f", auroc)), json);

        Cli.Result missing = Cli.run("ood", "-m", model.toString(), "--in", in.toString(), "--no-progress");
        assertEquals(ExitCodes.USAGE, missing.code(), missing.toString());
    }

    @Test
    void drawsMapsWithEveryCompressorAndTrainsBackgroundModelsByPreset() throws IOException {
        Path model = Cli.trained(dir, 4);
        Path background = dir.resolve("background.safetensors");
        Cli.Result trained = Cli.run(Cli.tiny("train", "--data", Cli.idx(dir).toString(), "--steps", "4",
                "--background-model", "--checkpoint", background.toString()));
        assertEquals(0, trained.code(), trained.toString());
        assertEquals("0.2", PixelCnn.readMetadata(background).get("train.mutation_rate"));
        assertEquals("1.0E-4", PixelCnn.readMetadata(background).get("train.weight_decay"));
        Path other = dir.resolve("other.safetensors");
        Cli.Result own = Cli.run(Cli.tiny("train", "--data", Cli.idx(dir).toString(), "--steps", "4",
                "--background-model", "--mutation-rate", "0.1", "--checkpoint", other.toString()));
        assertEquals(0, own.code(), own.toString());
        assertEquals("0.1", PixelCnn.readMetadata(other).get("train.mutation_rate"));
        Cli.Result notBackground = Cli.run(Cli.tiny("train", "--data", Cli.idx(dir).toString(), "--steps", "6",
                "--background-model", "--resume", "--checkpoint", model.toString()));
        assertEquals(ExitCodes.USAGE, notBackground.code(), notBackground.toString());
        assertTrue(notBackground.err().contains("without mutated inputs"), notBackground.err());

        Path in = Cli.idx(dir);
        Path out = TestImages.writePngFolder(dir.resolve("other"), TestImages.bars(16, Cli.SIZE, 99), 16, Cli.SIZE,
                Cli.SIZE);
        Path report = dir.resolve("report");
        Cli.Result r = Cli.run("ood", "-m", model.toString(), "--background", background.toString(), "--in",
                in.toString(), "--out", out.toString(), "--output", report.toString(), "--no-progress",
                "--compressors", "png,tiff-lzw,ccitt_t6,deflate", "--maps", "3");
        assertEquals(0, r.code(), r.toString());
        for (String score : new String[] {"nll", "likelihood_ratio", "complexity", "complexity_tiff_lzw",
            "complexity_ccitt_t6", "complexity_deflate"}) {
            assertTrue(r.out().contains(score), r.out());
            for (String set : new String[] {"in", "out"}) {
                assertTrue(Files.exists(report.resolve("maps/" + set + "-" + score + ".png")), set + " " + score);
            }
        }
        assertTrue(Files.readAllLines(report.resolve("scores.csv")).get(0).endsWith(
                "likelihood_ratio,complexity,complexity_tiff_lzw,complexity_ccitt_t6,complexity_deflate"));

        Cli.Result unknown = Cli.run("ood", "-m", model.toString(), "--in", in.toString(), "--out", out.toString(),
                "--compressors", "flif", "--no-progress", "--output", report.toString());
        assertEquals(ExitCodes.USAGE, unknown.code(), unknown.toString());
        assertTrue(unknown.err().contains("unknown compressor \"flif\""), unknown.err());
        Cli.Result tooMany = Cli.run("ood", "-m", model.toString(), "--in", in.toString(), "--out", out.toString(),
                "--maps", "-1", "--no-progress");
        assertEquals(ExitCodes.USAGE, tooMany.code(), tooMany.toString());
    }
}
