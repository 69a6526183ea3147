package ai.peft4j.app.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.peft.adalora.RankAllocator;
import ai.peft4j.peft.sam.AllocatorLife;
import ai.peft4j.peft.sam.SamAdaLoraAdapter;
import ai.peft4j.train.loop.StepHook;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code sam-adalora} in the training loop: its orthogonality regulariser joins each step's loss, its rank allocator
 * updates and masks after each optimiser step (on the global step, so the budget schedule runs over the whole
 * training), and the budget of every step is logged to {@link #CSV} and drawn in {@link #PNG} in the run folder
 * after each epoch. A resumed run keeps the rows before its first step; the allocator's importance averages start
 * again (they are not in the checkpoint), the masked singular values stay masked (they are weights).
 */
public final class AdaLoraSteps implements StepHook {
    public static final String CSV = "rank-budget.csv";
    public static final String PNG = "rank-budget.png";
    private static final String HEADER = "step,epoch,budget,masked,kept_ranks";

    private final SamAdaLoraAdapter adapter;
    private final Path dir;
    private final List<long[]> rows = new ArrayList<>();
    private final int initialBudget;
    private final int targetBudget;
    private boolean first = true;

    public AdaLoraSteps(SamAdaLoraAdapter adapter, Path dir) throws IOException {
        this.adapter = adapter;
        this.dir = dir;
        int triplets = adapter.triplets().size();
        this.initialBudget = adapter.config().r() * triplets;
        this.targetBudget = adapter.config().allocator() == AllocatorLife.PERSISTENT && triplets > 0
                ? adapter.rankAllocator().targetBudget() : initialBudget;
        Path csv = dir.resolve(CSV);
        if (Files.isRegularFile(csv)) {
            for (String line : Files.readAllLines(csv, StandardCharsets.UTF_8)) {
                if (line.isBlank() || line.startsWith("step")) {
                    continue;
                }
                String[] f = line.split(",");
                rows.add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                    Long.parseLong(f[3]), Long.parseLong(f[4])});
            }
        }
    }

    /** The budget a step starts from: the initial rank times the adapted Linears. */
    public int initialBudget() {
        return initialBudget;
    }

    /** The budget the schedule ends at: the target rank times the adapted Linears (the initial one per batch). */
    public int targetBudget() {
        return targetBudget;
    }

    @Override
    public NDArray penalty(NDManager manager) {
        return adapter.orthogonalPenalty(manager);
    }

    @Override
    public void afterStep(long step, int epoch) {
        if (first) {
            rows.removeIf(r -> r[0] >= step);
            first = false;
        }
        RankAllocator.Budget b = adapter.updateAndMask((int) step);
        int kept = adapter.config().allocator() == AllocatorLife.PERSISTENT && !adapter.triplets().isEmpty()
                ? adapter.rankAllocator().keptRanks() : initialBudget;
        rows.add(new long[] {step, epoch, b.budget(), b.mask() ? 1 : 0, kept});
    }

    @Override
    public void afterEpoch(int epoch) throws IOException {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (long[] r : rows) {
            sb.append(r[0]).append(',').append(r[1]).append(',').append(r[2]).append(',').append(r[3]).append(',')
                    .append(r[4]).append('\n');
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve(CSV), out -> out.write(bytes));
        if (!rows.isEmpty()) {
            writeChart();
        }
    }

    private void writeChart() throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart c = new XYChartBuilder().width(640).height(400).title("AdaLoRA rank budget - " + dir.getFileName())
                .xAxisTitle("step").yAxisTitle("singular values (all adapted Linears)").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesVisible(true);
        c.getStyler().setXAxisDecimalPattern("#");
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setYAxisMax(initialBudget * 1.05);
        double[] x = new double[rows.size()];
        double[] budget = new double[rows.size()];
        double[] kept = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            x[i] = rows.get(i)[0];
            budget[i] = rows.get(i)[2];
            kept[i] = rows.get(i)[4];
        }
        style(c.addSeries("budget", x, budget), new Color(30, 90, 200));
        style(c.addSeries("kept", x, kept), new Color(200, 40, 40));
        style(c.addSeries(String.format(Locale.ROOT, "target %d", targetBudget), new double[] {x[0], x[x.length - 1]},
                new double[] {targetBudget, targetBudget}), new Color(120, 120, 120));
        AtomicFiles.write(dir.resolve(PNG), out -> ImageIO.write(BitmapEncoder.getBufferedImage(c), "png", out));
    }

    private static void style(XYSeries s, Color color) {
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(color);
    }
}
