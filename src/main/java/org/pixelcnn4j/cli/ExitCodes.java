package org.pixelcnn4j.cli;

/**
 * The exit codes of {@code pixelcnn4j}, which scripts can rely on.
 *
 * <ul>
 *   <li>{@value #OK}: success</li>
 *   <li>{@value #FAILURE}: a runtime failure (I/O error writing output, engine error)</li>
 *   <li>{@value #USAGE}: a usage error (unknown option, bad or conflicting option values)</li>
 *   <li>{@value #BAD_DATA}: bad input data (missing, unreadable, not images, wrong size)</li>
 *   <li>{@value #BAD_CHECKPOINT}: a missing, corrupt or unsuitable checkpoint</li>
 *   <li>{@value #INTERRUPTED}: interrupted (Ctrl-C); training saves a checkpoint first</li>
 * </ul>
 */
public final class ExitCodes {
    /** Success. */
    public static final int OK = 0;
    /** A runtime failure: an I/O error writing output, an engine error. */
    public static final int FAILURE = 1;
    /** A usage error: unknown option, bad or conflicting option values. */
    public static final int USAGE = 2;
    /** Bad input data: missing, unreadable, not PNG/JPEG/IDX, wrong image size. */
    public static final int BAD_DATA = 3;
    /** A missing, corrupt or unsuitable checkpoint. */
    public static final int BAD_CHECKPOINT = 4;
    /** Interrupted by SIGINT (Ctrl-C), 128 + 2 as shells report it. */
    public static final int INTERRUPTED = 130;

    /** The list shown by every command's {@code --help}: code and meaning, in order. */
    static final java.util.Map<String, String> HELP_LIST = helpList();

    private static java.util.Map<String, String> helpList() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put(Integer.toString(OK), "success");
        m.put(Integer.toString(FAILURE), "runtime failure (I/O error writing output, engine error)");
        m.put(Integer.toString(USAGE), "usage error (unknown option, bad or conflicting values)");
        m.put(Integer.toString(BAD_DATA), "bad input data (missing, unreadable, not images, wrong size)");
        m.put(Integer.toString(BAD_CHECKPOINT), "missing, corrupt or unsuitable checkpoint");
        m.put(Integer.toString(INTERRUPTED), "interrupted (Ctrl-C); train saves a checkpoint first");
        return java.util.Collections.unmodifiableMap(m);
    }

    private ExitCodes() {
    }
}
