package org.pixelcnn4j.cli;

/**
 * A failure the command line reports as one line, with the exit code it maps to (see
 * {@link ExitCodes}).
 */
public class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The process exit code, one of {@link ExitCodes}. */
    private final int exitCode;

    /**
     * @param exitCode the process exit code, one of {@link ExitCodes}
     * @param message what went wrong and what was expected
     */
    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    /**
     * @param exitCode the process exit code, one of {@link ExitCodes}
     * @param message what went wrong and what was expected
     * @param cause the underlying exception, shown with {@code --debug}
     */
    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** @return the process exit code */
    public int exitCode() {
        return exitCode;
    }

    /**
     * @param message what is wrong with the options
     * @return a usage error (exit code {@value ExitCodes#USAGE})
     */
    static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message);
    }
}
