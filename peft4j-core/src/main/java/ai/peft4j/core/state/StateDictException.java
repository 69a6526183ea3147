package ai.peft4j.core.state;

/** Weights that do not fit a model: the message lists missing, unexpected and mis-shaped keys. */
public class StateDictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StateDictException(String message) {
        super(message);
    }
}
