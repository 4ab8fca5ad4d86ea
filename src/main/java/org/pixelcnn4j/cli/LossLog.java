package org.pixelcnn4j.cli;

import java.io.BufferedWriter;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.pixelcnn4j.TrainingProgress;

/**
 * The per-step losses of a training run as CSV ({@code step,loss_nats,bits_per_dim}), with the
 * exact values the engine returned. On resume, rows after the checkpoint's step (steps whose
 * results were lost) are dropped and the file continues, so it reads like one uninterrupted run.
 *
 * <p>Written through a {@link FileOutputStream}, which, unlike an NIO channel, is not closed when
 * the training thread is interrupted.
 */
final class LossLog implements AutoCloseable {
    static final String HEADER = "step,loss_nats,bits_per_dim";

    private final Path file;
    private final Writer out;

    private LossLog(Path file, Writer out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Opens the log.
     *
     * @param file the CSV file
     * @param continueAfter with {@code resume}, the step to continue after; later rows are dropped
     * @param resume true to continue an existing file, false to start a new one
     * @return the log
     * @throws IOException if the file cannot be read or written
     */
    static LossLog open(Path file, long continueAfter, boolean resume) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (resume && Files.exists(file)) {
            List<String> kept = new ArrayList<>();
            kept.add(HEADER);
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int comma = line.indexOf(',');
                if (comma > 0 && !line.equals(HEADER)) {
                    try {
                        if (Long.parseLong(line.substring(0, comma)) <= continueAfter) {
                            kept.add(line);
                        }
                    } catch (NumberFormatException e) {
                        throw new IOException(file + ": not a loss log of 'pixelcnn4j train' (line \"" + line
                                + "\"); expected rows of " + HEADER, e);
                    }
                }
            }
            byte[] content = (String.join("\n", kept) + (kept.isEmpty() ? "" : "\n")).getBytes(StandardCharsets.UTF_8);
            org.pixelcnn4j.io.AtomicFiles.write(file, out -> out.write(java.nio.ByteBuffer.wrap(content)));
            return new LossLog(file, writer(file, true));
        }
        LossLog log = new LossLog(file, writer(file, false));
        log.out.write(HEADER + "\n");
        return log;
    }

    private static Writer writer(Path file, boolean append) throws IOException {
        return new BufferedWriter(new OutputStreamWriter(new FileOutputStream(file.toFile(), append),
                StandardCharsets.UTF_8));
    }

    /** Appends one step. */
    void record(TrainingProgress p) {
        try {
            out.write(p.step() + "," + p.lossNats() + "," + p.bitsPerDim() + "\n");
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot write the loss log " + file + ": " + Main.describe(e), e);
        }
    }

    /** Writes buffered rows to the file. */
    void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot write the loss log " + file + ": " + Main.describe(e), e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
