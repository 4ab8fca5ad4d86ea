package org.pixelcnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.pixelcnn4j.PixelCnn;

/**
 * Ctrl-C during training: a separate JVM gets SIGINT ({@code kill -INT}), saves its checkpoint
 * and exits with 130; resuming continues from the saved step, with the losses of an
 * uninterrupted run.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "sends SIGINT with kill, which Windows has neither of")
class SigintTest {
    @TempDir
    Path dir;

    @Test
    void sigintSavesACheckpointThatResumesExactly() throws Exception {
        String data = Cli.idx(dir).toString();
        Path checkpoint = dir.resolve("model.safetensors");
        Path losses = dir.resolve("losses.csv");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(Cli.tiny("train", "--data", data, "--steps", "100000000", "--log-every", "1",
                "--checkpoint", checkpoint.toString(), "--loss-csv", losses.toString())));
        Process process = new ProcessBuilder(command).redirectOutput(dir.resolve("stdout.txt").toFile()).start();

        // Wait until it has trained a few steps, then send SIGINT as a terminal's Ctrl-C would.
        StringBuilder stderr = new StringBuilder();
        CountDownLatch training = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    synchronized (stderr) {
                        stderr.append(line).append('\n');
                    }
                    if (line.startsWith("step 5/")) {
                        training.countDown();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        reader.start();
        assertTrue(training.await(60, TimeUnit.SECONDS), "training did not start: " + stderr);
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "still running after SIGINT: " + stderr);
        reader.join(10_000);

        assertEquals(130, process.exitValue(), stderr.toString());
        long step = Long.parseLong(PixelCnn.readMetadata(checkpoint).get("training.step"));
        assertTrue(step >= 5, "saved at step " + step);
        assertTrue(stderr.toString().contains("interrupted at step " + step + ": saved " + checkpoint), stderr.toString());

        // Resume to a few steps past the interruption; the loss log reads like one uninterrupted run.
        long target = step + 4;
        Cli.Result resumed = Cli.run("train", "--resume", "--checkpoint", checkpoint.toString(), "--steps",
                Long.toString(target), "--no-progress", "--loss-csv", losses.toString());
        assertEquals(0, resumed.code(), resumed.toString());
        assertEquals(target, Long.parseLong(PixelCnn.readMetadata(checkpoint).get("training.step")));

        Path whole = dir.resolve("whole.csv");
        Cli.Result uninterrupted = Cli.run(Cli.tiny("train", "--data", data, "--steps", Long.toString(target),
                "--checkpoint", dir.resolve("whole.safetensors").toString(), "--loss-csv", whole.toString()));
        assertEquals(0, uninterrupted.code(), uninterrupted.toString());
        assertEquals(Files.readAllLines(whole), Files.readAllLines(losses));
    }

}
