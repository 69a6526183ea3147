package ai.peft4j.train.distill;

import java.util.ArrayList;
import java.util.List;

/**
 * A teacher map and the student map that imitates it, by their positions in the two models' feature lists.
 *
 * @param teacher index into the teacher's features
 * @param student index into the student's features
 */
public record FeaturePair(int teacher, int student) {
    public FeaturePair {
        if (teacher < 0 || student < 0) {
            throw new IllegalArgumentException("feature indices must be non-negative, got " + teacher + ":"
                    + student);
        }
    }

    /**
     * Pairs from text such as {@code 6} (the same index in both), {@code 4:5} (teacher 4, student 5), or a comma
     * list of those.
     */
    public static List<FeaturePair> parse(String spec) {
        List<FeaturePair> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            try {
                int colon = p.indexOf(':');
                out.add(colon < 0 ? new FeaturePair(Integer.parseInt(p), Integer.parseInt(p))
                        : new FeaturePair(Integer.parseInt(p.substring(0, colon).trim()),
                                Integer.parseInt(p.substring(colon + 1).trim())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("feature pair '" + p + "' in '" + spec + "' is not an index or "
                        + "teacher:student indices (such as 6 or 4:5)");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no feature pairs in '" + spec + "'");
        }
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return teacher + ":" + student;
    }
}
