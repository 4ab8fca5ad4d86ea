package org.pixelcnn4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Scratch files for fuzz targets whose code under test reads paths: one folder per JVM, reused
 * by every input and removed when the JVM exits.
 */
final class FuzzFiles {

    private static final Path ROOT = create();

    private FuzzFiles() {
    }

    private static Path create() {
        try {
            Path root = Files.createTempDirectory("pixelcnn4j-fuzz-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(root)));
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code bytes} to the scratch file {@code name} and returns its path. */
    static Path write(String name, byte[] bytes) {
        try {
            return Files.write(ROOT.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An empty scratch folder {@code name} (emptied if it exists). */
    static Path emptyFolder(String name) {
        Path folder = ROOT.resolve(name);
        delete(folder);
        try {
            return Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
