package org.pixelcnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Help, usage errors and exit codes common to every command. */
class CliErrorsTest {
    private static final String[] COMMANDS = {"train", "eval", "sample", "complete", "info"};

    @TempDir
    Path dir;

    @Test
    void aDeviceThatCannotBeHadIsAUsageError() throws IOException {
        Path data = Cli.idx(dir);
        Cli.Result bad = Cli.run(Cli.tiny("train", "--data", data.toString(), "--checkpoint",
                dir.resolve("m.safetensors").toString(), "--steps", "1", "--device", "tpu:0"));
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("--device: device: expected cpu, cpu:THREADS or cuda:INDEX"), bad.err());
        if (org.pixelcnn4j.Device.cudaDevices().isEmpty()) {
            Cli.Result gpu = Cli.run(Cli.tiny("train", "--data", data.toString(), "--checkpoint",
                    dir.resolve("m.safetensors").toString(), "--steps", "1", "--device", "cuda:0"));
            assertEquals(2, gpu.code(), gpu.toString());
            assertTrue(gpu.err().contains("--device: cuda:0: " + org.pixelcnn4j.Device.cudaUnavailableReason()),
                    gpu.err());
        }
        assertFalse(Files.exists(dir.resolve("m.safetensors")), "nothing written");
    }

    @Test
    void everyCommandHasHelpWithTheExitCodes() {
        Cli.Result top = Cli.run("--help");
        assertEquals(0, top.code());
        for (String command : COMMANDS) {
            assertTrue(top.out().contains("  " + command + " "), top.out());
            Cli.Result r = Cli.run(command, "--help");
            assertEquals(0, r.code(), command);
            assertTrue(r.out().startsWith("Usage: pixelcnn4j " + command), r.out());
            assertTrue(r.out().contains("Exit codes:") && r.out().contains("130"), r.out());
        }
    }

    @Test
    void usageErrorsAreOneLinePlusAHint() {
        Cli.Result none = Cli.run();
        assertEquals(2, none.code());
        assertTrue(none.err().contains("missing command"), none.err());
        Cli.Result unknown = Cli.run("eval", "--frobnicate");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("pixelcnn4j eval: usage error: Unknown option: '--frobnicate'"),
                unknown.err());
        assertTrue(unknown.err().contains("Try 'pixelcnn4j eval --help'"), unknown.err());
        Cli.Result typo = Cli.run("train", "--stpes", "3");
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains("Possible solutions: --steps"), "suggests the option: " + typo.err());
        Cli.Result notANumber = Cli.run("sample", "--count", "many");
        assertEquals(2, notANumber.code());
    }

    @Test
    void missingOrCorruptCheckpointsExitWith4() throws IOException {
        for (String command : new String[] {"eval", "sample", "info"}) {
            Cli.Result missing = Cli.run(command, "-m", dir.resolve("none.safetensors").toString());
            assertEquals(4, missing.code(), command + ": " + missing);
            assertTrue(missing.err().contains("does not exist"), missing.err());
        }
        Path trained = Cli.trained(dir, 1);
        byte[] bytes = Files.readAllBytes(trained);
        bytes[bytes.length - 3] ^= 0x55;
        Path corrupt = Files.write(dir.resolve("corrupt.safetensors"), bytes);
        Cli.Result r = Cli.run("info", "-m", corrupt.toString());
        assertEquals(4, r.code(), r.toString());
        assertTrue(r.err().startsWith("pixelcnn4j: error: bad checkpoint: "), r.err());
        assertEquals(1, r.err().strip().lines().count(), "no stack trace: " + r.err());
        Path text = Files.writeString(dir.resolve("text.safetensors"), "hello");
        assertEquals(4, Cli.run("sample", "-m", text.toString()).code());
    }

    @Test
    void debugAddsTheStackTrace() {
        Cli.Result r = Cli.run("info", "-m", dir.resolve("none.safetensors").toString(), "--debug");
        assertEquals(4, r.code());
        assertTrue(r.err().contains("\tat org.pixelcnn4j.cli."), r.err());
        Cli.Result plain = Cli.run("info", "-m", dir.resolve("none.safetensors").toString());
        assertFalse(plain.err().contains("\tat "), plain.err());
    }

    @Test
    void missingDataExitsWith3() {
        Cli.Result r = Cli.run(Cli.tiny("train", "--data", dir.resolve("nothing").toString(), "--checkpoint",
                dir.resolve("m.safetensors").toString()));
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.err().contains("nothing: no such file or folder"), r.err());
    }
}
