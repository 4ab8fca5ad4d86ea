package org.pixelcnn4j.ood;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.Images;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.PixelCnnConfig;

class OodEvaluationTest {

    private static PixelCnnConfig config(long seed) {
        return PixelCnnConfig.builder().setImageShape(1, 8, 8).optHiddenChannels(8).optResidualChannels(4)
                .optHeadChannels(8).optBlocks(1).optInputKernel(3).optBlockKernel(3).optSeed(seed).build();
    }

    private static Images images(int count, double ones, long seed) {
        Random r = new Random(seed);
        byte[] d = new byte[count * 64];
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) (r.nextDouble() < ones ? 1 : 0);
        }
        return Images.of(d, count, 1, 8, 8);
    }

    @Test
    void scoresEveryImageWithEveryScoreAndWritesTheReports(@TempDir Path dir) throws IOException {
        Images in = images(700, 0.5, 1);
        Images out = images(60, 0.05, 2);
        try (PixelCnn model = PixelCnn.create(config(1)); PixelCnn background = PixelCnn.create(config(2))) {
            List<long[]> progress = new ArrayList<>();
            OodEvaluation.Result result = OodEvaluation.of(model).optBackground(background)
                    .optProgress((done, total) -> progress.add(new long[] {done, total})).evaluate(in, out);
            assertEquals(List.of("nll", "bits_per_dim", "likelihood_ratio", "complexity"),
                    result.scores().stream().map(OodEvaluation.Score::name).toList());
            double[] nllIn = model.logLikelihood(in).natsArray();
            double[] nllOut = model.logLikelihood(out).natsArray();
            assertArrayEquals(nllIn, result.score("nll").in());
            double[] bgOut = background.logLikelihood(out).natsArray();
            for (int i = 0; i < out.count(); i++) {
                assertEquals(nllOut[i] - bgOut[i], result.score("likelihood_ratio").out()[i], 0.0);
            }
            assertEquals(OodMetrics.auroc(nllIn, nllOut), result.score("nll").summary().auroc(), 0.0);
            long[] last = progress.get(progress.size() - 1);
            assertEquals(2L * 760, last[0]);
            assertEquals(last[0], last[1]);

            result.writeCsv(dir.resolve("scores.csv"));
            List<String> lines = Files.readAllLines(dir.resolve("scores.csv"));
            assertEquals("set,index,nll,bits_per_dim,likelihood_ratio,complexity", lines.get(0));
            assertEquals(1 + 760, lines.size());
            result.writeJson(dir.resolve("summary.json"));
            String json = Files.readString(dir.resolve("summary.json"));
            assertTrue(json.contains("\"likelihood_ratio\": {\"auroc\": "), json);
            result.writeHistograms(dir.resolve("histograms"));
            assertEquals(640, ImageIO.read(dir.resolve("histograms/complexity.png").toFile()).getWidth());
            assertTrue(result.toString().contains("FPR@95"));
            assertThrows(IllegalArgumentException.class, () -> result.score("nope"));
        }
        try (PixelCnn model = PixelCnn.create(config(1));
                PixelCnn other = PixelCnn.create(PixelCnnConfig.builder().setImageShape(1, 7, 7).optHiddenChannels(8)
                        .optResidualChannels(4).optHeadChannels(8).optBlocks(1).build())) {
            assertThrows(IllegalArgumentException.class,
                    () -> OodEvaluation.of(model).optBackground(other).evaluate(in, out));
            assertEquals(3, OodEvaluation.of(model).evaluate(in, out).scores().size());
        }
    }

    @Test
    void addsAComplexityScorePerCompressorAndDrawsTheMostUnusualImages(@TempDir Path dir) throws IOException {
        Images in = images(40, 0.5, 1);
        Images out = images(30, 0.05, 2);
        try (PixelCnn model = PixelCnn.create(config(1)); PixelCnn background = PixelCnn.create(config(2))) {
            OodEvaluation evaluation = OodEvaluation.of(model).optCompressors(InputComplexity.Compressor.PNG,
                    InputComplexity.Compressor.CCITT_T6, InputComplexity.Compressor.DEFLATE);
            OodEvaluation.Result result = evaluation.evaluate(in, out);
            assertEquals(List.of("nll", "bits_per_dim", "complexity", "complexity_ccitt_t6", "complexity_deflate"),
                    result.scores().stream().map(OodEvaluation.Score::name).toList());
            double[] nll = model.logLikelihood(out).natsArray();
            double[] bits = InputComplexity.bits(out, 2, InputComplexity.Compressor.CCITT_T6);
            for (int i = 0; i < out.count(); i++) {
                assertEquals(nll[i] / Math.log(2) - bits[i], result.score("complexity_ccitt_t6").out()[i], 1e-9);
            }
            // Several out-of-distribution sets at once: each result as if evaluated alone.
            Images other = images(20, 0.9, 3);
            List<long[]> progress = new ArrayList<>();
            List<OodEvaluation.Result> both = OodEvaluation.of(model).optCompressors(InputComplexity.Compressor.PNG,
                    InputComplexity.Compressor.CCITT_T6, InputComplexity.Compressor.DEFLATE)
                    .optProgress((done, total) -> progress.add(new long[] {done, total}))
                    .evaluate(in, List.of(out, other));
            OodEvaluation.Result alone = evaluation.evaluate(in, other);
            assertEquals(2, both.size());
            for (OodEvaluation.Score score : alone.scores()) {
                assertArrayEquals(result.score(score.name()).out(), both.get(0).score(score.name()).out());
                assertArrayEquals(score.in(), both.get(1).score(score.name()).in());
                assertArrayEquals(score.out(), both.get(1).score(score.name()).out());
                assertEquals(score.summary(), both.get(1).score(score.name()).summary());
            }
            assertEquals(40L + 30 + 20, progress.get(progress.size() - 1)[1]);
            assertEquals(40L + 30 + 20, progress.get(progress.size() - 1)[0]);
            assertThrows(IllegalArgumentException.class, () -> OodEvaluation.of(model).optCompressors());
            assertThrows(IllegalArgumentException.class, () -> OodEvaluation.of(model).optCompressors(
                    InputComplexity.Compressor.GIF, InputComplexity.Compressor.GIF));

            // The sheet holds the highest-scoring images first: its first row is the top image.
            double[] scores = result.score("nll").out();
            int top = 0;
            for (int i = 1; i < scores.length; i++) {
                top = scores[i] > scores[top] ? i : top;
            }
            Path plain = dir.resolve("maps/nll.png");
            evaluation.writeMostUnusual(out, scores, 5, plain);
            java.awt.image.BufferedImage sheet = ImageIO.read(plain.toFile());
            assertEquals(2 * (8 * 8 + 2) - 2, sheet.getWidth());
            assertEquals(5 * (8 * 8 + 2) - 2, sheet.getHeight());
            java.awt.image.BufferedImage first = org.pixelcnn4j.data.Png.toBufferedImage(out, top, 2);
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    assertEquals(first.getRGB(x, y), sheet.getRGB(x * 8 + 3, y * 8 + 3), "pixel " + y + "," + x);
                }
            }
            Path ratio = dir.resolve("maps/ratio.png");
            OodEvaluation.of(model).optBackground(background).writeMostUnusual(out, scores, 100, ratio);
            sheet = ImageIO.read(ratio.toFile());
            assertEquals(4 * (8 * 8 + 2) - 2, sheet.getWidth());
            assertEquals(30 * (8 * 8 + 2) - 2, sheet.getHeight());
            assertThrows(IllegalArgumentException.class, () -> evaluation.writeMostUnusual(out, new double[3], 2,
                    plain));
            assertThrows(IllegalArgumentException.class, () -> evaluation.writeMostUnusual(out, scores, 0, plain));
        }
    }
}
