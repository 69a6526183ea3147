package ai.peft4j.serve;

/** A request the service refuses: the HTTP status and the message the client gets as {@code {"error": ...}}. */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient String retryAfter;

    ApiException(int status, String message) {
        this(status, message, null);
    }

    ApiException(int status, String message, String retryAfterSeconds) {
        super(message);
        this.status = status;
        this.retryAfter = retryAfterSeconds;
    }

    int status() {
        return status;
    }

    /** Seconds for a Retry-After header, or null. */
    String retryAfter() {
        return retryAfter;
    }
}
