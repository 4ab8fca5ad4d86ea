package org.pixelcnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.PixelCnn;
import org.pixelcnn4j.data.TestImages;

/**
 * Gated PixelCNN and class labels through the command-line tool: --arch, --classes, labels from an
 * IDX label file or class sub-folders, sample --label and per-class grids, eval's class scores,
 * info, resume, and the errors of missing or out-of-range labels.
 */
class ConditionalCliTest {
    @TempDir
    Path dir;

    /** The tiny options, for two gated layers. */
    static String[] gated(String command, String... rest) {
        return Cli.args(Cli.tiny(command, "--arch", "gated", "--blocks", "2"), rest);
    }

    /** An IDX label file (magic 0x00000801) of the labels, uncompressed. */
    static Path writeLabels(Path file, int[] labels) throws IOException {
        try (OutputStream raw = Files.newOutputStream(file); DataOutputStream out = new DataOutputStream(raw)) {
            out.writeInt(0x00000801);
            out.writeInt(labels.length);
            for (int label : labels) {
                out.writeByte(label);
            }
        }
        return file;
    }

    static int[] alternating(int count, int classes) {
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = i % classes;
        }
        return labels;
    }

    @Test
    void trainsSamplesAndScoresAConditionalModelFromALabelFile() throws IOException {
        String data = Cli.idx(dir).toString();
        String labels = writeLabels(dir.resolve("labels.idx"), alternating(64, 3)).toString();
        Path checkpoint = dir.resolve("gated.safetensors");
        Cli.Result train = Cli.run(gated("train", "--data", data, "--labels", labels, "--classes", "3", "--steps", "3",
                "--checkpoint", checkpoint.toString()));
        assertEquals(0, train.code(), train.toString());
        assertTrue(train.err().contains("Gated PixelCNN") && train.err().contains("conditioned on 3 classes"),
                train.err());
        Map<String, String> metadata = PixelCnn.readMetadata(checkpoint);
        assertEquals("gated", metadata.get("model.architecture"));
        assertEquals("3", metadata.get("model.classes"));
        assertEquals(Path.of(labels).toAbsolutePath().normalize().toString(), metadata.get("train.labels"));

        Cli.Result info = Cli.run("info", "--model", checkpoint.toString());
        assertTrue(info.out().contains("architecture: gated") && info.out().contains("conditioned on 3 classes"),
                info.out());

        Path grid = dir.resolve("grid.png");
        Cli.Result perClass = Cli.run("sample", "--model", checkpoint.toString(), "--count", "2", "--grid",
                grid.toString(), "--threads", "1", "--no-progress");
        assertEquals(0, perClass.code(), perClass.toString());
        assertTrue(perClass.out().contains("drew 6 images (2 of each of 3 classes, a row each)"), perClass.out());
        assertTrue(Files.size(grid) > 0);
        Cli.Result one = Cli.run("sample", "--model", checkpoint.toString(), "--count", "2", "--label", "1",
                "--out-dir", dir.resolve("class1").toString(), "--threads", "1", "--no-progress");
        assertEquals(0, one.code(), one.toString());
        assertTrue(one.out().contains("drew 2 images of class 1"), one.out());
        Cli.Result outside = Cli.run("sample", "--model", checkpoint.toString(), "--label", "3", "--no-progress");
        assertEquals(ExitCodes.USAGE, outside.code(), outside.toString());
        assertTrue(outside.err().contains("--label: expected a class in 0..2, got 3"), outside.err());

        Path csv = dir.resolve("scores.csv");
        Cli.Result eval = Cli.run("eval", "--model", checkpoint.toString(), "--data", data, "--labels", labels, "--csv",
                csv.toString(), "--threads", "1", "--no-progress");
        assertEquals(0, eval.code(), eval.toString());
        assertTrue(eval.out().contains("each under its own label") && eval.out().contains("classification by the"
                + " largest log p(x | class): "), eval.out());
        List<String> rows = Files.readAllLines(csv);
        assertEquals("index,nats,bits_per_dim,label,predicted,log_p_given_0,log_p_given_1,log_p_given_2", rows.get(0));
        assertEquals(65, rows.size());
        String[] first = rows.get(1).split(",");
        assertEquals(8, first.length);
        // The NLL under the image's label is minus its class score for that label.
        int label = Integer.parseInt(first[3]);
        assertEquals(Double.parseDouble(first[1]), -Double.parseDouble(first[5 + label]), 1e-3);

        // Resume: the label file comes from the checkpoint.
        Cli.Result resumed = Cli.run("train", "--resume", "--checkpoint", checkpoint.toString(), "--steps", "4",
                "--threads", "1", "--no-progress");
        assertEquals(0, resumed.code(), resumed.toString());
    }

    @Test
    void classSubfoldersLabelTheImagesByFolder() throws IOException {
        Path folder = dir.resolve("classes");
        TestImages.writePngFolder(folder.resolve("bars"), TestImages.bars(8, Cli.SIZE, 1), 8, Cli.SIZE, Cli.SIZE);
        TestImages.writePngFolder(folder.resolve("noise"), TestImages.bars(8, Cli.SIZE, 2), 8, Cli.SIZE, Cli.SIZE);
        Path checkpoint = dir.resolve("folders.safetensors");
        Cli.Result train = Cli.run(gated("train", "--data", folder.toString(), "--classes", "2", "--steps", "2",
                "--checkpoint", checkpoint.toString()));
        assertEquals(0, train.code(), train.toString());
        assertTrue(train.err().contains("2 class folders"), train.err());
        Path csv = dir.resolve("folders.csv");
        Cli.Result eval = Cli.run("eval", "--model", checkpoint.toString(), "--data", folder.toString(), "--csv",
                csv.toString(), "--threads", "1", "--no-progress");
        assertEquals(0, eval.code(), eval.toString());
        assertTrue(Files.readAllLines(csv).get(0).endsWith(",file,label,predicted,log_p_given_bars,log_p_given_noise"),
                Files.readAllLines(csv).get(0));
    }

    @Test
    void missingOrOutOfRangeLabelsAreClearErrors() throws IOException {
        String data = Cli.idx(dir).toString();
        Cli.Result none = Cli.run(gated("train", "--data", data, "--classes", "3", "--steps", "1", "--checkpoint",
                dir.resolve("a.safetensors").toString()));
        assertEquals(ExitCodes.USAGE, none.code(), none.toString());
        assertTrue(none.err().contains("conditioned on 3 classes, but the training data has no labels"), none.err());
        String labels = writeLabels(dir.resolve("five.idx"), alternating(64, 5)).toString();
        Cli.Result outside = Cli.run(gated("train", "--data", data, "--labels", labels, "--classes", "3", "--steps", "1",
                "--checkpoint", dir.resolve("b.safetensors").toString()));
        assertEquals(ExitCodes.USAGE, outside.code(), outside.toString());
        assertTrue(outside.err().contains("label 3 of image 3") && outside.err().contains("outside the model's 3"
                + " classes"), outside.err());
        String short16 = writeLabels(dir.resolve("short.idx"), alternating(16, 2)).toString();
        Cli.Result count = Cli.run(gated("train", "--data", data, "--labels", short16, "--classes", "2", "--steps", "1",
                "--checkpoint", dir.resolve("c.safetensors").toString()));
        assertEquals(ExitCodes.BAD_DATA, count.code(), count.toString());
        assertTrue(count.err().contains("holds 16 labels for the 64 images"), count.err());
        Cli.Result plain = Cli.run(Cli.tiny("train", "--data", data, "--labels", labels, "--classes", "5", "--steps",
                "1", "--checkpoint", dir.resolve("d.safetensors").toString()));
        assertEquals(ExitCodes.USAGE, plain.code(), plain.toString());
        assertTrue(plain.err().contains("the plain PixelCNN is unconditional"), plain.err());
        // An unconditional model trains on labelled data and ignores the labels.
        Cli.Result unconditional = Cli.run(gated("train", "--data", data, "--labels", labels, "--steps", "1",
                "--checkpoint", dir.resolve("e.safetensors").toString()));
        assertEquals(0, unconditional.code(), unconditional.toString());
        Cli.Result label = Cli.run("sample", "--model", dir.resolve("e.safetensors").toString(), "--label", "0",
                "--no-progress");
        assertEquals(ExitCodes.USAGE, label.code(), label.toString());
        assertTrue(label.err().contains("is unconditional"), label.err());
    }
}
