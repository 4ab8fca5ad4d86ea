package org.pixelcnn4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.pixelcnn4j.data.TestImages;
import picocli.CommandLine;

/** Runs the tool in-process through picocli, capturing stdout and stderr. */
final class Cli {
    /** The options of a tiny model that trains in milliseconds on 8x8 images. */
    static final String[] TINY = {"--hidden", "4", "--residual", "2", "--head-channels", "4", "--blocks", "1",
        "--input-kernel", "3", "--batch-size", "8", "--threads", "1", "--no-progress"};

    /** Image size of the test data. */
    static final int SIZE = 8;

    private Cli() {
    }

    /** What a run printed and returned. */
    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Result run(String... args) {
        CommandLine commandLine = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    /** {@code first} followed by {@code rest}. */
    static String[] args(String[] first, String... rest) {
        List<String> all = new ArrayList<>(Arrays.asList(first));
        all.addAll(Arrays.asList(rest));
        return all.toArray(String[]::new);
    }

    /** A command followed by the tiny model's options and more. */
    static String[] tiny(String command, String... rest) {
        List<String> all = new ArrayList<>();
        all.add(command);
        all.addAll(Arrays.asList(TINY));
        all.addAll(Arrays.asList(rest));
        return all.toArray(String[]::new);
    }

    /** 64 bar images of 8x8 as an IDX file. */
    static Path idx(Path dir) throws java.io.IOException {
        return TestImages.writeIdx(dir.resolve("bars.idx"), TestImages.bars(64, SIZE, 11), 64, SIZE, SIZE, false);
    }

    /** 16 bar images of 8x8 as PNGs in a folder. */
    static Path pngFolder(Path dir) throws java.io.IOException {
        return TestImages.writePngFolder(dir.resolve("pngs"), TestImages.bars(16, SIZE, 12), 16, SIZE, SIZE);
    }

    /** Trains a tiny checkpoint for {@code steps} steps on the IDX data and returns it. */
    static Path trained(Path dir, int steps) throws java.io.IOException {
        Path checkpoint = dir.resolve("model.safetensors");
        Result r = run(tiny("train", "--data", idx(dir).toString(), "--steps", Integer.toString(steps),
                "--checkpoint", checkpoint.toString()));
        if (r.code() != 0) {
            throw new AssertionError("training the test model failed: " + r);
        }
        return checkpoint;
    }
}
