package ai.peft4j.app.study;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Markdown block a transfer study writes as {@code comparison.md}, and which the README includes verbatim: a
 * line naming the command, date, machine and wall time, the table of methods, and the adapters switched on one
 * base. {@link #parse} reads such a block back into the figures it was written from, so a test can check that the
 * README's block is exactly what {@link #markdown} writes. Where a method was adapted with several seeds, its row
 * shows their means, test mIoU with the lowest and highest in brackets, and a line under the table says how many.
 *
 * @param run the line above the table, or null for none (a study run from code)
 * @param lines one per row of the table, figures as printed (percent)
 * @param switches the adapters switched on one base (the last: the base alone on the source), or empty
 */
public record ComparisonTable(Run run, List<Line> lines, List<TransferStudy.Switch> switches) {
    public ComparisonTable {
        lines = List.copyOf(lines);
        switches = List.copyOf(switches);
    }

    /** Where the figures come from: the command as typed, when, on which machine, and how long it took. */
    public record Run(String command, String date, String machine, double minutes) {}

    /**
     * A row of the table, in percent where the table shows percent: one run's figures, or the means of {@code seeds}
     * runs that differ in their adaptation seed alone, with the lowest and highest test mIoU.
     */
    public record Line(String data, String method, long trainable, double shareOfModel, double miou, double mpa,
            double sourceOff, double sourceOn, double seconds, int seeds, double miouLow, double miouHigh) {
        public Line {
            if (seeds < 1) {
                throw new IllegalArgumentException("a line holds at least one seed's figures, got " + seeds);
            }
        }

        /** The row of one run. */
        public Line(String data, String method, long trainable, double shareOfModel, double miou, double mpa,
                double sourceOff, double sourceOn, double seconds) {
            this(data, method, trainable, shareOfModel, miou, mpa, sourceOff, sourceOn, seconds, 1, miou, miou);
        }

        /** The row of a study result. */
        public static Line of(TransferStudy.Row r) {
            return new Line(r.target(), r.method(), r.trainable(), 100.0 * r.trainable() / r.total(), 100 * r.miou(),
                    100 * r.mpa(), 100 * r.sourceOffMiou(), 100 * r.sourceMiou(), r.seconds());
        }

        /**
         * The row of several runs of one method on one data set, one per adaptation seed: the means of their
         * figures, and the lowest and highest test mIoU. One run gives {@link #of}'s row.
         */
        public static Line of(List<TransferStudy.Row> runs) {
            if (runs.size() == 1) {
                return of(runs.get(0));
            }
            TransferStudy.Row first = runs.get(0);
            double[] miou = runs.stream().mapToDouble(r -> 100 * r.miou()).toArray();
            return new Line(first.target(), first.method(), first.trainable(),
                    100.0 * first.trainable() / first.total(), mean(miou),
                    mean(runs.stream().mapToDouble(r -> 100 * r.mpa()).toArray()),
                    mean(runs.stream().mapToDouble(r -> 100 * r.sourceOffMiou()).toArray()),
                    mean(runs.stream().mapToDouble(r -> 100 * r.sourceMiou()).toArray()),
                    mean(runs.stream().mapToDouble(TransferStudy.Row::seconds).toArray()), runs.size(),
                    Arrays.stream(miou).min().getAsDouble(), Arrays.stream(miou).max().getAsDouble());
        }

        private static double mean(double[] v) {
            return Arrays.stream(v).sum() / v.length;
        }
    }

    /**
     * The lines of {@code rows} in their order: a row without a seed makes a line of its own, the rows of one method
     * on one data set with their adaptation seeds make one line of their means.
     */
    public static List<Line> lines(List<TransferStudy.Row> rows) {
        return TransferStudy.bySeeds(rows).stream().map(Line::of).toList();
    }

    static final String HEADER = "| data set | method | trainable parameters | % of model | test mIoU | test mPA "
            + "| source mIoU, adapter off | source mIoU, adapter on | training seconds |\n"
            + "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";

    private static final Pattern RUN = Pattern.compile("^`(.+)` on (\\S+ \\S+ UTC), (.+), ([0-9.]+) min in all:$");
    private static final Pattern SWITCHED = Pattern.compile("^(.+) adapters of (.+) on one base \\(AdapterSet\\), "
            + "switched in ([0-9.]+) µs on average:$");
    private static final Pattern TARGET = Pattern.compile("^- (.+): test mIoU ([0-9.]+) after switching to its "
            + "adapter$");
    private static final Pattern BASE = Pattern.compile("^- (.+): test mIoU ([0-9.]+) with every adapter off$");
    private static final Pattern SPREAD = Pattern.compile("^([0-9.]+) \\(([0-9.]+)-([0-9.]+)\\)$");
    private static final Pattern SEEDS = Pattern.compile("^Each method adapted with ([0-9]+) seeds, from the same base "
            + "on the same data: test mIoU is their mean \\(lowest-highest\\), the other figures their means(; the "
            + "adapters switched below are the first seed's)?\\.$");

    /** The table of {@code rows}, with no run line and no switches. */
    public static ComparisonTable of(List<TransferStudy.Row> rows) {
        return new ComparisonTable(null, lines(rows), List.of());
    }

    /** The most seeds any line holds: 1 where every method was adapted once. */
    public int seeds() {
        return lines.stream().mapToInt(Line::seeds).max().orElse(1);
    }

    /** The block as Markdown, every line ending in a newline. */
    public String markdown() {
        StringBuilder md = new StringBuilder();
        if (run != null) {
            md.append(String.format(Locale.ROOT, "`%s` on %s, %s, %.1f min in all:%n%n", run.command(), run.date(),
                    run.machine(), run.minutes()));
        }
        md.append(HEADER);
        for (Line l : lines) {
            String miou = l.seeds() == 1 ? String.format(Locale.ROOT, "%.2f", l.miou())
                    : String.format(Locale.ROOT, "%.1f (%.1f-%.1f)", l.miou(), l.miouLow(), l.miouHigh());
            md.append(String.format(Locale.ROOT, "| %s | %s | %,d | %.2f | %s | %.2f | %.2f | %.2f | %.0f |%n",
                    l.data(), l.method(), l.trainable(), l.shareOfModel(), miou, l.mpa(), l.sourceOff(),
                    l.sourceOn(), l.seconds()));
        }
        if (seeds() > 1) {
            md.append(String.format(Locale.ROOT, "%nEach method adapted with %d seeds, from the same base on the "
                    + "same data: test mIoU is their mean (lowest-highest), the other figures their means%s.%n",
                    seeds(), switches.isEmpty() ? "" : "; the adapters switched below are the first seed's"));
        }
        if (!switches.isEmpty()) {
            List<TransferStudy.Switch> targets = switches.subList(0, switches.size() - 1);
            TransferStudy.Switch base = switches.get(switches.size() - 1);
            md.append(String.format(Locale.ROOT, "%n%s adapters of %s on one base (AdapterSet), switched in %.1f µs "
                    + "on average:%n%n", targets.get(0).method(), String.join(" and ",
                    targets.stream().map(TransferStudy.Switch::target).toList()), targets.get(0).micros()));
            for (TransferStudy.Switch s : targets) {
                md.append(String.format(Locale.ROOT, "- %s: test mIoU %.2f after switching to its adapter%n",
                        s.target(), 100 * s.miou()));
            }
            md.append(String.format(Locale.ROOT, "- %s: test mIoU %.2f with every adapter off%n", base.target(),
                    100 * base.miou()));
        }
        return md.toString();
    }

    /** Reads a block that {@link #markdown} wrote; fails naming the line it cannot read. */
    public static ComparisonTable parse(String markdown) {
        List<String> text = markdown.lines().toList();
        int i = 0;
        Run run = null;
        if (i < text.size() && text.get(i).startsWith("`")) {
            Matcher m = matcher(RUN, text.get(i));
            run = new Run(m.group(1), m.group(2), m.group(3), Double.parseDouble(m.group(4)));
            i += 2;
        }
        List<String> header = HEADER.lines().toList();
        for (String h : header) {
            if (i >= text.size() || !text.get(i).equals(h)) {
                throw new IllegalArgumentException("expected the table header '" + h + "' at line " + (i + 1));
            }
            i++;
        }
        List<String[]> cells = new ArrayList<>();
        for (; i < text.size() && text.get(i).startsWith("|"); i++) {
            String[] c = text.get(i).substring(2, text.get(i).length() - 2).split(" \\| ", -1);
            if (c.length != 9) {
                throw new IllegalArgumentException("line " + (i + 1) + " has " + c.length + " cells, not 9: "
                        + text.get(i));
            }
            cells.add(c);
        }
        int seeds = 1;
        if (i + 1 < text.size() && text.get(i + 1).startsWith("Each method adapted with ")) {
            seeds = Integer.parseInt(matcher(SEEDS, text.get(i + 1)).group(1));
            i += 2;
        }
        List<Line> lines = new ArrayList<>();
        for (String[] c : cells) {
            Matcher spread = SPREAD.matcher(c[4]);
            boolean several = spread.matches();
            if (several && seeds == 1) {
                throw new IllegalArgumentException("a test mIoU of several seeds (" + c[4] + ") in a table without "
                        + "the line that says how many");
            }
            double miou = several ? number(spread.group(1)) : number(c[4]);
            lines.add(new Line(c[0], c[1], Long.parseLong(c[2].replace(",", "")), number(c[3]), miou,
                    number(c[5]), number(c[6]), number(c[7]), number(c[8]), several ? seeds : 1,
                    several ? number(spread.group(2)) : miou, several ? number(spread.group(3)) : miou));
        }
        List<TransferStudy.Switch> switches = new ArrayList<>();
        if (i + 1 < text.size()) {
            Matcher head = matcher(SWITCHED, text.get(i + 1));
            String method = head.group(1);
            double micros = Double.parseDouble(head.group(3));
            for (i += 3; i < text.size() && !BASE.matcher(text.get(i)).matches(); i++) {
                Matcher m = matcher(TARGET, text.get(i));
                switches.add(new TransferStudy.Switch(m.group(1), method, micros, number(m.group(2)) / 100));
            }
            Matcher m = matcher(BASE, text.get(Math.min(i, text.size() - 1)));
            switches.add(new TransferStudy.Switch(m.group(1), "off", Double.NaN, number(m.group(2)) / 100));
        }
        return new ComparisonTable(run, lines, switches);
    }

    private static Matcher matcher(Pattern p, String line) {
        Matcher m = p.matcher(line);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a line of the comparison block (expected " + p.pattern()
                    + "): " + line);
        }
        return m;
    }

    private static double number(String s) {
        return Double.parseDouble(s.trim());
    }
}
