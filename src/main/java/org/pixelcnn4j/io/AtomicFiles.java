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
 *
 * <p>A process killed while saving leaves its temporary file (".NAME.HEX.tmp" beside NAME)
 * behind. Each successful save to a path removes the temporaries of that path which nobody has
 * written to for {@link #STALE_AFTER}: a live writer keeps touching its own, so only abandoned
 * ones go.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** How long a temporary file must have been left alone before a later save removes it. */
    public static final java.time.Duration STALE_AFTER = java.time.Duration.ofHours(1);

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
        if (Files.isDirectory(absolute)) {
            throw new IOException(absolute + ": is a directory; expected a file path to save to");
        }
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
            if (e instanceof IOException io) {
                // Name the file the caller asked for, not only the temporary one.
                throw new IOException("saving " + absolute + " failed (it is unchanged): " + io, io);
            }
            throw e;
        }
        syncDirectory(directory);
        removeStaleTemporaries(absolute);
    }

    /** Deletes abandoned temporaries of {@code target} (see the class comment); failures are ignored. */
    static void removeStaleTemporaries(Path target) {
        String prefix = "." + target.getFileName() + ".";
        java.nio.file.attribute.FileTime cutoff =
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(STALE_AFTER));
        try (var entries = Files.newDirectoryStream(target.getParent(), entry -> {
            String name = entry.getFileName().toString();
            if (!name.startsWith(prefix) || !name.endsWith(".tmp")) {
                return false;
            }
            String middle = name.substring(prefix.length(), name.length() - 4);
            return middle.matches("[0-9a-f]{1,16}");
        })) {
            for (Path stale : entries) {
                try {
                    if (Files.isRegularFile(stale) && Files.getLastModifiedTime(stale).compareTo(cutoff) < 0) {
                        Files.deleteIfExists(stale);
                    }
                } catch (IOException ignored) {
                    // someone else's file we cannot touch, or gone already
                }
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException ignored) {
            // a directory we cannot list: nothing to clean
        }
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
