package ai.peft4j.data;

import java.util.List;

/**
 * The result of checking every pair of a data set: all problems found, not only the first.
 *
 * @param dataset the data set's name
 * @param pairsChecked image/mask pairs read
 * @param problems everything wrong, in file order
 * @param ignoredPixels mask pixels carrying the ignore label (out-of-range values mapped to it, when so configured)
 * @param masksWithIgnoredPixels masks holding at least one such pixel
 */
public record CheckReport(String dataset, int pairsChecked, List<Problem> problems, long ignoredPixels,
        int masksWithIgnoredPixels) {
    public CheckReport {
        problems = List.copyOf(problems);
    }

    public boolean ok() {
        return problems.isEmpty();
    }

    /** A few lines for a person: counts, then each problem. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(dataset).append(": ").append(pairsChecked).append(" pairs checked, ")
                .append(problems.isEmpty() ? "no problems" : problems.size() + " problem"
                        + (problems.size() == 1 ? "" : "s"));
        if (ignoredPixels > 0) {
            sb.append(", ").append(ignoredPixels).append(" mask pixels with the ignore label in ")
                    .append(masksWithIgnoredPixels).append(" masks");
        }
        for (Problem p : problems) {
            sb.append(System.lineSeparator()).append("  ").append(p);
        }
        return sb.toString();
    }
}
