package ai.peft4j.core.engine;

/** The PyTorch native library could not be loaded; the message says why and what to do. */
public class EngineUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EngineUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
