package org.pixelcnn4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.pixelcnn4j.io.HeaderJsonFuzzTarget;

/**
 * Replays every committed fuzz input (src/test/resources/fuzz/TARGET/: the seeds and every
 * finding's input, named crash-*) through its target in the normal test run, so a fixed finding
 * stays fixed without Jazzer. A target throws only for a finding (see each target's contract).
 */
class FuzzCorpusTest {

    interface Target {
        void run(byte[] input) throws Exception;
    }

    @TestFactory
    Stream<DynamicTest> checkpoints() throws Exception {
        return replay("CheckpointFuzzTarget", CheckpointFuzzTarget::fuzzerTestOneInput);
    }

    @TestFactory
    Stream<DynamicTest> headerJson() throws Exception {
        return replay("HeaderJsonFuzzTarget", HeaderJsonFuzzTarget::fuzzerTestOneInput);
    }

    @TestFactory
    Stream<DynamicTest> idx() throws Exception {
        return replay("IdxFuzzTarget", IdxFuzzTarget::fuzzerTestOneInput);
    }

    @TestFactory
    Stream<DynamicTest> imageFolders() throws Exception {
        return replay("ImageFolderFuzzTarget", ImageFolderFuzzTarget::fuzzerTestOneInput);
    }

    private Stream<DynamicTest> replay(String name, Target target) throws IOException, URISyntaxException {
        Path folder = Path.of(FuzzCorpusTest.class.getResource("/fuzz/" + name).toURI());
        List<Path> inputs;
        try (Stream<Path> files = Files.list(folder)) {
            inputs = files.sorted().toList();
        }
        // Seeds of every kind the reader accepts: a folder that lost them would test nothing.
        assertTrue(inputs.size() >= 4, name + " has only " + inputs.size() + " inputs in " + folder);
        return inputs.stream().map(input -> DynamicTest.dynamicTest(name + "/" + input.getFileName(),
                () -> assertDoesNotThrow(() -> target.run(Files.readAllBytes(input)))));
    }
}
