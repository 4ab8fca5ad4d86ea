package org.pixelcnn4j;

/**
 * Base class of the unchecked exceptions thrown by pixelcnn4j.
 *
 * <p>Catching this type catches every library-specific runtime failure (invalid data, engine
 * errors) without also catching unrelated programming errors such as {@link NullPointerException}.
 */
public class PixelCnnException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message that names the problem and what was expected.
     *
     * @param message the detail message
     */
    public PixelCnnException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the underlying cause.
     *
     * @param message the detail message
     * @param cause the exception that caused this one, may be {@code null}
     */
    public PixelCnnException(String message, Throwable cause) {
        super(message, cause);
    }
}
