package org.pixelcnn4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Progress on stderr: on a terminal a bar redrawn in place (at most ten times a second), otherwise
 * plain log lines that the caller chooses when to print.
 */
final class ProgressPrinter {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int BAR_WIDTH = 20;

    private final PrintWriter err;
    private final boolean bar;
    private long lastDraw;
    private int drawnLength;

    /**
     * @param err where progress goes
     * @param bar true for a bar redrawn in place, false for plain lines
     */
    ProgressPrinter(PrintWriter err, boolean bar) {
        this.err = err;
        this.bar = bar;
    }

    /**
     * Whether a command should draw a bar: stderr is a terminal (not a file or pipe), the terminal
     * is not "dumb", and the user did not ask for plain lines.
     */
    static boolean wanted(boolean noProgress) {
        if (noProgress || System.console() == null || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            // System.console() looks at stdin and stdout; on Linux, ask where stderr points.
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return true;
        }
    }

    /** @return whether this printer draws a bar */
    boolean isBar() {
        return bar;
    }

    /**
     * Redraws the bar (only in bar mode, throttled unless {@code force}).
     *
     * @param fraction done, 0 to 1
     * @param text what follows the bar
     * @param force draw even if the last draw was less than 0.1 s ago
     */
    void bar(double fraction, String text, boolean force) {
        if (!bar) {
            return;
        }
        long now = System.nanoTime();
        if (!force && drawnLength > 0 && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        double f = Math.max(0, Math.min(1, fraction));
        int filled = (int) Math.round(f * BAR_WIDTH);
        String line = "[" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "] "
                + String.format(Locale.ROOT, "%3.0f%% ", 100 * f) + text;
        err.print("\r" + line + " ".repeat(Math.max(0, drawnLength - line.length())));
        err.flush();
        drawnLength = line.length();
    }

    /** Prints a line of its own, clearing the bar first (it comes back at the next update). */
    void line(String text) {
        clear();
        err.println(text);
        err.flush();
    }

    /** Removes the bar from the terminal. */
    void clear() {
        if (drawnLength > 0) {
            err.print("\r" + " ".repeat(drawnLength) + "\r");
            err.flush();
            drawnLength = 0;
        }
    }

    /** A duration as "45s", "3m07s" or "2h05m". */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "?";
        }
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
}
