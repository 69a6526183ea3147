package ai.peft4j.app.config;

/**
 * A run-file value that cannot be used. It carries the key so that the message can name where the value came
 * from: the run file, or the {@code --set} or named option that set it last.
 */
public class SettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String key;

    /** {@code message} should start with the key, e.g. "training.lr must be positive, got -1.0". */
    public SettingException(String key, String message) {
        super(message);
        this.key = key;
    }

    /** The dotted key, e.g. {@code training.lr}. */
    public String key() {
        return key;
    }
}
