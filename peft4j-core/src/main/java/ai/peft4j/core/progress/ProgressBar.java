package ai.peft4j.core.progress;

import java.io.PrintStream;
import java.time.Duration;

/**
 * A one-line progress bar redrawn in place ({@code \r}) on a terminal. Without one (a log file, CI) redrawing would
 * flood the output, so a line is printed every half minute and when the work is done.
 *
 * <pre>Epoch 3/50 [##########..........]  12/24  loss 0.4213  lr 1.00e-04  0:07 elapsed, ETA 0:07</pre>
 */
public final class ProgressBar implements AutoCloseable {
    private static final int WIDTH = 20;
    private static final long REDRAW_NANOS = 200_000_000L;
    /** Long epochs still show a sign of life in a log file. */
    private static final long LOG_NANOS = 30_000_000_000L;

    private final PrintStream out;
    private final String label;
    private final int total;
    private final boolean interactive;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int done;
    private String status = "";
    private int lastLength;

    /**
     * @param total steps expected, or -1 when unknown (no bar, no ETA)
     * @param interactive redraw in place; use {@link #isTerminal()} unless the caller knows better
     */
    public ProgressBar(PrintStream out, String label, int total, boolean interactive) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.interactive = interactive;
    }

    /** Whether standard output is a terminal that can redraw a line. */
    public static boolean isTerminal() {
        return System.console() != null && !"dumb".equals(System.getenv("TERM"));
    }

    /** Records {@code done} finished steps and a status such as the running loss. */
    public void update(int done, String status) {
        this.done = done;
        this.status = status;
        long now = System.nanoTime();
        if (interactive && (now - lastDraw >= REDRAW_NANOS || done == total)) {
            lastDraw = now;
            draw(false);
        } else if (!interactive && done < total && now - Math.max(lastDraw, start) >= LOG_NANOS) {
            lastDraw = now;
            out.println(render(false));
            out.flush();
        }
    }

    /** Replaces the status without a step, e.g. to show validation results on the finished line. */
    public void status(String status) {
        this.status = status;
    }

    private void draw(boolean last) {
        String line = render(last);
        StringBuilder sb = new StringBuilder("\r").append(line);
        // Blank out what remains of a longer previous line.
        for (int i = line.length(); i < lastLength; i++) {
            sb.append(' ');
        }
        lastLength = line.length();
        out.print(sb);
        out.flush();
    }

    /** The current line, without control characters. */
    String render(boolean last) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        StringBuilder sb = new StringBuilder(label);
        if (total > 0) {
            int filled = (int) Math.round((double) WIDTH * Math.min(done, total) / total);
            sb.append(" [").append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ");
            String width = String.valueOf(total);
            sb.append(String.format("%" + width.length() + "d/%s", done, width));
        } else {
            sb.append(' ').append(done).append(" steps");
        }
        if (!status.isEmpty()) {
            sb.append("  ").append(status);
        }
        sb.append("  ").append(clock(elapsed));
        if (last || total <= 0 || done == 0) {
            sb.append(last ? "" : " elapsed");
        } else {
            double eta = elapsed / done * Math.max(total - done, 0);
            sb.append(" elapsed, ETA ").append(clock(eta));
        }
        return sb.toString();
    }

    static String clock(double seconds) {
        Duration d = Duration.ofMillis(Math.round(seconds * 1000));
        long h = d.toHours();
        int m = d.toMinutesPart();
        int s = d.toSecondsPart();
        return h > 0 ? String.format("%d:%02d:%02d", h, m, s) : String.format("%d:%02d", m, s);
    }

    /** Prints the finished line and ends it. */
    @Override
    public void close() {
        if (interactive) {
            draw(true);
            out.println();
        } else {
            out.println(render(true));
        }
        out.flush();
    }
}
