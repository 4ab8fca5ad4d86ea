package org.pixelcnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.data.FashionMnist;
import org.pixelcnn4j.io.Safetensors;

/** {@code pixelcnn4j train}: checkpoints, validation, exact resume, interruption, refused options. */
class TrainCommandTest {
    @TempDir
    Path dir;

    @Test
    void trainsSavesCheckpointsAndReportsValidation() throws IOException {
        Path checkpoint = dir.resolve("out/model.safetensors");
        Cli.Result r = Cli.run(Cli.tiny("train", "--data", Cli.idx(dir).toString(), "--steps", "6",
                "--validation-split", "0.25", "--checkpoint-every", "4", "--log-every", "2",
                "--checkpoint", checkpoint.toString()));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("48 training + 16 validation images"), r.err());
        assertTrue(r.err().contains("step 4: saved " + checkpoint + "; validation NLL"), r.err());
        assertTrue(r.err().contains("step 6/6  loss"), r.err());
        assertTrue(r.out().contains("validation NLL: "), r.out());
        assertTrue(r.out().contains("saved " + checkpoint + " (step 6)"), r.out());
        Map<String, String> metadata = PixelCnn.readMetadata(checkpoint);
        assertEquals("6", metadata.get("training.step"));
        assertEquals("0.25", metadata.get("train.validation_split"));
        assertEquals("48", metadata.get("train.train_images"));
        assertEquals("6", metadata.get("train.validation_step"));
        assertEquals("8", metadata.get("model.height"));
    }

    @Test
    void resumedRunHasTheLossesAndWeightsOfAnUninterruptedOne() throws IOException {
        String data = Cli.idx(dir).toString();
        Path whole = dir.resolve("whole.safetensors");
        Path wholeLosses = dir.resolve("whole.csv");
        Cli.Result a = Cli.run(Cli.tiny("train", "--data", data, "--steps", "14", "--validation-split", "0.2",
                "--checkpoint", whole.toString(), "--loss-csv", wholeLosses.toString()));
        assertEquals(0, a.code(), a.toString());

        Path parts = dir.resolve("parts.safetensors");
        Path partLosses = dir.resolve("parts.csv");
        Cli.Result first = Cli.run(Cli.tiny("train", "--data", data, "--steps", "5", "--validation-split", "0.2",
                "--checkpoint", parts.toString(), "--loss-csv", partLosses.toString()));
        assertEquals(0, first.code(), first.toString());
        // Every setting comes from the checkpoint; only the target and the per-run options are given.
        Cli.Result rest = Cli.run("train", "--resume", "--checkpoint", parts.toString(), "--steps", "14",
                "--threads", "1", "--no-progress", "--loss-csv", partLosses.toString());
        assertEquals(0, rest.code(), rest.toString());
        assertTrue(rest.err().contains("resuming " + parts + " at step 5, training to step 14"), rest.err());

        List<String> expected = Files.readAllLines(wholeLosses);
        assertEquals(15, expected.size()); // header + 14 steps
        assertEquals(expected, Files.readAllLines(partLosses));
        try (PixelCnn x = PixelCnn.load(whole); PixelCnn y = PixelCnn.load(parts)) {
            assertEquals(14, y.step());
            List<Safetensors.Tensor> wx = x.stateDict();
            List<Safetensors.Tensor> wy = y.stateDict();
            for (int i = 0; i < wx.size(); i++) {
                assertArrayEquals(wx.get(i).data(), wy.get(i).data(), wx.get(i).name());
            }
        }
    }

    @Test
    void interruptingTheTrainingThreadSavesAndExits130() throws Exception {
        Path checkpoint = dir.resolve("model.safetensors");
        Path losses = dir.resolve("losses.csv");
        String data = Cli.idx(dir).toString();
        AtomicReference<Cli.Result> result = new AtomicReference<>();
        Thread trainer = new Thread(() -> result.set(Cli.run(Cli.tiny("train", "--data", data,
                "--steps", "1000000", "--checkpoint", checkpoint.toString(), "--loss-csv", losses.toString()))));
        trainer.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (lines(losses) < 6 && System.nanoTime() < deadline && trainer.isAlive()) {
            Thread.sleep(10);
        }
        trainer.interrupt();
        trainer.join(30_000);
        Cli.Result r = result.get();
        assertEquals(130, r.code(), r.toString());
        long step = Long.parseLong(PixelCnn.readMetadata(checkpoint).get("training.step"));
        assertTrue(step >= 5, "saved at step " + step);
        assertTrue(r.err().contains("interrupted at step " + step + ": saved " + checkpoint), r.err());
        assertEquals(step + 1, Files.readAllLines(losses).size());

        Cli.Result resumed = Cli.run("train", "--resume", "--checkpoint", checkpoint.toString(),
                "--steps", Long.toString(step + 3), "--no-progress", "--loss-csv", losses.toString());
        assertEquals(0, resumed.code(), resumed.toString());
        assertEquals(step + 4, Files.readAllLines(losses).size());
    }

    private static int lines(Path file) {
        try {
            return Files.exists(file) ? (int) Files.readString(file).lines().count() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    @Test
    void resumeRefusesContradictingOptionsAndOtherData() throws IOException {
        Path checkpoint = Cli.trained(dir, 3);
        Cli.Result lr = Cli.run("train", "--resume", "--checkpoint", checkpoint.toString(), "--lr", "0.01");
        assertEquals(2, lr.code(), lr.toString());
        assertTrue(lr.err().contains("--lr 0.01 differs from the checkpoint's 0.001"), lr.err());

        Cli.Result hidden = Cli.run("train", "--resume", "--checkpoint", checkpoint.toString(), "--hidden", "8");
        assertEquals(2, hidden.code(), hidden.toString());
        assertTrue(hidden.err().contains("--hidden 8 differs from the checkpoint's 4"), hidden.err());

        // The same values as stored are fine.
        Cli.Result same = Cli.run("train", "--resume", "--checkpoint", checkpoint.toString(), "--hidden", "4",
                "--steps", "4", "--no-progress");
        assertEquals(0, same.code(), same.toString());

        // The data file changed since: refused, the run would not continue.
        org.pixelcnn4j.data.TestImages.writeIdx(dir.resolve("bars.idx"),
                org.pixelcnn4j.data.TestImages.bars(64, Cli.SIZE, 99), 64, Cli.SIZE, Cli.SIZE, false);
        Cli.Result changed = Cli.run("train", "--resume", "--checkpoint", checkpoint.toString(), "--steps", "6");
        assertEquals(3, changed.code(), changed.toString());
        assertTrue(changed.err().contains("is not the data"), changed.err());
    }

    @Test
    void newRunDoesNotOverwriteACheckpointUnlessAsked() throws IOException {
        Path checkpoint = Cli.trained(dir, 2);
        String data = dir.resolve("bars.idx").toString();
        Cli.Result refused = Cli.run(Cli.tiny("train", "--data", data, "--steps", "2", "--checkpoint",
                checkpoint.toString()));
        assertEquals(2, refused.code(), refused.toString());
        assertTrue(refused.err().contains("pass --resume to continue training it, or --overwrite"), refused.err());
        Cli.Result replaced = Cli.run(Cli.tiny("train", "--data", data, "--steps", "1", "--checkpoint",
                checkpoint.toString(), "--overwrite"));
        assertEquals(0, replaced.code(), replaced.toString());
        assertEquals("1", PixelCnn.readMetadata(checkpoint).get("training.step"));
    }

    @Test
    void resumeNeedsAnExistingCheckpointWrittenByTrain() throws IOException {
        Cli.Result missing = Cli.run("train", "--resume", "--checkpoint", dir.resolve("none.safetensors").toString());
        assertEquals(4, missing.code(), missing.toString());
        assertTrue(missing.err().contains("does not exist"), missing.err());

        Path plain = dir.resolve("plain.safetensors");
        try (PixelCnn model = PixelCnn.create(org.pixelcnn4j.PixelCnnConfig.builder().setImageShape(1, 8, 8)
                .optHiddenChannels(4).optResidualChannels(2).optHeadChannels(4).optBlocks(0).build())) {
            model.save(plain);
        }
        Cli.Result foreign = Cli.run("train", "--resume", "--checkpoint", plain.toString());
        assertEquals(4, foreign.code(), foreign.toString());
        assertTrue(foreign.err().contains("holds no training settings"), foreign.err());
    }

    @Test
    void epochsCategoricalHeadAndPngFolder() throws IOException {
        Path checkpoint = dir.resolve("cat.safetensors");
        // 16 images, batch 4 (the last --batch-size wins): 4 steps per epoch, 2 epochs = 8 steps.
        Cli.Result r = Cli.run(Cli.args(Cli.tiny("train", "--data", Cli.pngFolder(dir).toString(), "--epochs", "2",
                "--head", "categorical", "--levels", "4", "--checkpoint", checkpoint.toString()), "--batch-size", "4"));
        assertEquals(0, r.code(), r.toString());
        Map<String, String> metadata = PixelCnn.readMetadata(checkpoint);
        assertEquals("8", metadata.get("training.step"));
        assertEquals("categorical", metadata.get("model.head"));
        assertEquals("4", metadata.get("model.levels"));
    }

    @Test
    void colourImagesGiveAThreeChannelModelThatSamplesAndCompletes() throws IOException {
        Path folder = java.nio.file.Files.createDirectories(dir.resolve("colour"));
        for (int n = 0; n < 16; n++) {
            int shift = n % 3 * 8;
            org.pixelcnn4j.data.TestImages.writeRgb(folder.resolve("c" + n + ".png"), Cli.SIZE, Cli.SIZE, "png",
                    (x, y) -> (x + y) % 2 == 0 ? 0xC0 << shift : 0x202020);
        }
        Path checkpoint = dir.resolve("rgb.safetensors");
        Cli.Result r = Cli.run("train", "--data", folder.toString(), "--hidden", "6", "--residual", "3",
                "--head-channels", "6", "--blocks", "1", "--input-kernel", "3", "--steps", "2", "--batch-size", "8",
                "--threads", "1", "--no-progress", "--checkpoint", checkpoint.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("3", PixelCnn.readMetadata(checkpoint).get("model.channels"));
        Path samples = dir.resolve("samples");
        assertEquals(0, Cli.run("sample", "-m", checkpoint.toString(), "--count", "2", "--out-dir", samples.toString(),
                "--no-progress").code());
        assertEquals(3, javax.imageio.ImageIO.read(samples.resolve("sample-0000.png").toFile()).getRaster()
                .getNumBands());
        Cli.Result completed = Cli.run("complete", "-m", checkpoint.toString(), folder.toString(), "--known-rows", "4",
                "--out-dir", dir.resolve("done").toString(), "--no-progress");
        assertEquals(0, completed.code(), completed.toString());
    }

    /** No width options at all on colour images: the defaults derive a valid colour model (120/60/120). */
    @Test
    void colourImagesTrainWithTheDefaultWidths() throws IOException {
        Path folder = java.nio.file.Files.createDirectories(dir.resolve("colour"));
        for (int n = 0; n < 4; n++) {
            int shift = n % 3 * 8;
            org.pixelcnn4j.data.TestImages.writeRgb(folder.resolve("c" + n + ".png"), Cli.SIZE, Cli.SIZE, "png",
                    (x, y) -> (x * y) % 3 == 0 ? 0xC0 << shift : 0x202020);
        }
        Path checkpoint = dir.resolve("rgb-defaults.safetensors");
        Cli.Result r = Cli.run("train", "--data", folder.toString(), "--head", "categorical", "--steps", "1",
                "--batch-size", "2", "--threads", "1", "--no-progress", "--checkpoint", checkpoint.toString());
        assertEquals(0, r.code(), r.toString());
        Map<String, String> metadata = PixelCnn.readMetadata(checkpoint);
        assertEquals("3", metadata.get("model.channels"));
        assertEquals("120", metadata.get("model.hidden_channels"));
        assertEquals("60", metadata.get("model.residual_channels"));
        assertEquals("120", metadata.get("model.head_channels"));
        // --hidden alone: the others follow it.
        Path narrow = dir.resolve("rgb-hidden.safetensors");
        assertEquals(0, Cli.run("train", "--data", folder.toString(), "--hidden", "12", "--blocks", "1", "--steps",
                "1", "--batch-size", "2", "--threads", "1", "--no-progress", "--checkpoint", narrow.toString()).code());
        metadata = PixelCnn.readMetadata(narrow);
        assertEquals("6", metadata.get("model.residual_channels"));
        assertEquals("12", metadata.get("model.head_channels"));
    }

    @Test
    void fashionMnistIsTheDefaultData() throws IOException {
        Path checkpoint = dir.resolve("fm.safetensors");
        Cli.Result r = Cli.run(Cli.tiny("train", "--limit", "64", "--steps", "2", "--checkpoint", checkpoint.toString()));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("data: fashion-mnist (" + FashionMnist.directory()), r.err());
        assertEquals("28", PixelCnn.readMetadata(checkpoint).get("model.height"));
    }

    @Test
    void badOptionValuesAreUsageErrors() throws IOException {
        String data = Cli.idx(dir).toString();
        String[][] cases = {
            {"--steps", "0"}, {"--steps", "3", "--epochs", "1"}, {"--validation-split", "1.5"},
            {"--binarize-threshold", "300"}, {"--hidden", "0"}, {"--head", "gaussian"}, {"--batch-size", "65"},
        };
        for (String[] extra : cases) {
            Cli.Result r = Cli.run(Cli.args(Cli.tiny("train", "--data", data, "--checkpoint",
                    dir.resolve("x.safetensors").toString()), extra));
            assertEquals(2, r.code(), String.join(" ", extra) + ": " + r);
            assertEquals(1, r.err().strip().lines().filter(l -> l.contains("error")).count(), r.err());
        }
    }
}
