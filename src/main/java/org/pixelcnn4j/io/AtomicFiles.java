package org.pixelcnn4j.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old file or the complete new one: the content
 * goes to a temporary file in the same directory, is forced to disk, and is renamed over the
 * target; on any failure the temporary file is deleted and the target is left as it was.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Writes the content of a file through the channel it is given. */
    @FunctionalInterface
    public interface ContentWriter {
        /**
         * Writes the whole content.
         *
         * @param out the temporary file, open for writing at position 0
         * @throws IOException if writing fails
         */
        void write(FileChannel out) throws IOException;
    }

    /**
     * Writes {@code target} atomically.
     *
     * @param target the file to create or replace
     * @param content writes the content into the temporary file
     * @throws IOException if writing or renaming fails; {@code target} is then unchanged
     */
    public static void write(Path target, ContentWriter content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path directory = absolute.getParent();
        Path temp = null;
        try {
            FileChannel channel = null;
            while (channel == null) {
                // Not Files.createTempFile: its owner-only permissions would end up on the file.
                Path candidate = directory.resolve("." + absolute.getFileName() + "."
                        + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
                try {
                    channel = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    temp = candidate;
                } catch (FileAlreadyExistsException e) {
                    // Name taken by someone else: try another one, and never delete theirs.
                }
            }
            try (FileChannel out = channel) {
                content.write(out);
                out.force(true);
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error e) {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException deleteFailure) {
                    e.addSuppressed(deleteFailure);
                }
            }
            throw e;
        }
        syncDirectory(directory);
    }

    /** Makes the rename durable; not every platform can open a directory, so failures are ignored. */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Best effort: the file itself is already on disk.
        }
    }
}
