package ai.peft4j.app.config;

import java.util.List;

/**
 * One command-line change to a run file: {@code training.lr=1e-3}, as given with {@code --set} or made from a
 * named option such as {@code --epochs 2}.
 *
 * @param path the dotted key, e.g. {@code training.lr}
 * @param value the value as YAML text ({@code 1e-3}, {@code [a, b]}, {@code true})
 * @param origin how the user wrote it, for messages and the provenance record
 */
public record ConfigOverride(String path, String value, String origin) {
    /** Parses {@code key.path=value} as given to {@code --set}. */
    public static ConfigOverride parse(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--set expects KEY=VALUE (e.g. training.lr=1e-3), got '" + text + "'");
        }
        String key = text.substring(0, eq).strip();
        if (key.startsWith(".") || key.endsWith(".") || key.contains("..")) {
            throw new IllegalArgumentException("--set " + text + ": '" + key + "' is not a dotted key such as "
                    + "training.lr");
        }
        return new ConfigOverride(key, text.substring(eq + 1), "--set " + text);
    }

    /** An override made from a named option, e.g. {@code --epochs 2} for {@code training.epochs}. */
    public static ConfigOverride ofOption(String path, String option, Object value) {
        return new ConfigOverride(path, String.valueOf(value), option + " " + value);
    }

    List<String> keys() {
        return List.of(path.split("\\."));
    }
}
