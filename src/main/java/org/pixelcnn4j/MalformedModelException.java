package org.pixelcnn4j;

import java.io.IOException;

/**
 * Thrown when a model checkpoint file is corrupt, truncated or not in the expected format.
 *
 * <p>It is a checked {@link IOException} because, like any other I/O failure, it depends on the
 * contents of a file and not on a programming error; callers that load checkpoints already have to
 * handle {@code IOException}.
 */
public class MalformedModelException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message that names the file and the problem.
     *
     * @param message the detail message
     */
    public MalformedModelException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the underlying cause.
     *
     * @param message the detail message
     * @param cause the exception that caused this one, may be {@code null}
     */
    public MalformedModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
