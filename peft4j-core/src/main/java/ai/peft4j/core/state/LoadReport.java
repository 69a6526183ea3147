package ai.peft4j.core.state;

import ai.djl.ndarray.types.Shape;
import java.util.List;

/** What a state-dict load did with every key. */
public record LoadReport(List<String> loaded, List<String> missing, List<String> unexpected,
        List<Mismatch> mismatched) {

    /** A key present on both sides with different shapes. */
    public record Mismatch(String key, Shape expected, Shape found) {
        @Override
        public String toString() {
            return key + ": model " + expected + ", file " + found;
        }
    }

    public LoadReport {
        loaded = List.copyOf(loaded);
        missing = List.copyOf(missing);
        unexpected = List.copyOf(unexpected);
        mismatched = List.copyOf(mismatched);
    }

    /** True when every model key was loaded and the file had nothing else. */
    public boolean isClean() {
        return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
    }

    /** A readable account, listing at most 20 keys of each kind. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(loaded.size()).append(" tensors loaded");
        section(sb, "missing from the file (model keeps its current values)", missing);
        section(sb, "unexpected in the file (not in the model)", unexpected);
        section(sb, "shape differs (not loaded)", mismatched.stream().map(Mismatch::toString).toList());
        return sb.toString();
    }

    private static void section(StringBuilder sb, String title, List<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        sb.append("; ").append(keys.size()).append(' ').append(title).append(':');
        keys.stream().limit(20).forEach(k -> sb.append("\n  ").append(k));
        if (keys.size() > 20) {
            sb.append("\n  ... and ").append(keys.size() - 20).append(" more");
        }
    }
}
