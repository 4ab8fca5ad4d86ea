package org.pixelcnn4j;

/**
 * Thrown when input data (for example an MNIST IDX file) is not in the expected format: bad magic
 * number, wrong data type or rank, truncated content or corrupt compression.
 *
 * <p>Missing files are not reported with this exception but with the usual
 * {@link java.nio.file.NoSuchFileException}.
 */
public class InvalidDataException extends PixelCnnException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message that names the problem, what was expected and the file.
     *
     * @param message the detail message
     */
    public InvalidDataException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the underlying cause.
     *
     * @param message the detail message
     * @param cause the exception that caused this one, may be {@code null}
     */
    public InvalidDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
