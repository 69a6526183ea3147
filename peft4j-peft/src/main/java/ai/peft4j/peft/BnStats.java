package ai.peft4j.peft;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * What fine-tuning does to the frozen base's BatchNorm running statistics. Adapter files hold parameters, so
 * statistics that move in training must travel with the adapter or evaluation scores another network.
 */
public enum BnStats {
    /**
     * The base's BatchNorm layers stay in eval mode while the rest trains: their statistics are the base's, as
     * with HF PEFT (the default of the parameter-efficient methods).
     */
    FROZEN,
    /**
     * The published behaviour: the whole model trains in training mode, so the statistics move on the new data;
     * the moved statistics are saved with the adapter and restored on load (the default of full fine-tuning).
     */
    UPDATE;

    @JsonCreator
    public static BnStats parse(String s) {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "frozen": return FROZEN;
            case "update": return UPDATE;
            default: throw new IllegalArgumentException("bn_stats must be frozen or update, got '" + s + "'");
        }
    }

    @JsonValue
    public String fileName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
