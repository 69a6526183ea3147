package ai.peft4j.app;

import ai.peft4j.app.study.ComparisonTable;
import ai.peft4j.app.study.TransferStudy;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.BnStats;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.train.loss.SegmentationLoss;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code peft4j demo}: the whole workflow on generated citrus images, with no data set needed. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Generate a synthetic navel-orange defect set and two target sets (lemons and grapefruit: "
                + "other colours, textures and defect classes), pretrain a small Swin-Att-UNet on the oranges, adapt "
                + "it to each target with several methods, and compare test mIoU against trainable parameters.",
            "Writes comparison.md, comparison.json and comparison.png, training curves and adapters under --out."})
final class DemoCommand implements Callable<Integer> {
    /** The adaptation loss by default, and why. */
    static final String DEFAULT_ADAPT_LOSS = "dice";
    static final String ADAPT_LOSS_WHY = "defects cover 2-3 %% of the pixels, and cross-entropy's pull towards "
            + "background slows every method: in the demo's 96 steps full fine-tuning reached 63.6 lemon mIoU with "
            + "ce+dice, 90.7 with dice";
    /** Learning rates per method by default, and why (measured on the demo's sets: docs/usage.md). */
    static final String DEFAULT_METHOD_LR = "full=2e-3,classify=1e-2,lora=5e-3,adapter=2e-3";
    static final String METHOD_LR_WHY = "full fine-tuning moves every weight and takes a small step; a head or a "
            + "low-rank update alone needs a larger one to get as far in the same steps";
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    @Option(names = "--out", defaultValue = "runs/demo", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--methods", defaultValue = "full,classify,lora,adapter", split = ",",
            description = "Methods to compare (default: ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(names = "--size", defaultValue = "112", description = "Image side (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--source-images", defaultValue = "192", description = "Source training images "
            + "(default: ${DEFAULT-VALUE}).")
    int sourceImages;

    @Option(names = "--target-images", defaultValue = "96", description = "Training images per target "
            + "(default: ${DEFAULT-VALUE}).")
    int targetImages;

    @Option(names = "--test-images", defaultValue = "48", description = "Test images per data set "
            + "(default: ${DEFAULT-VALUE}).")
    int testImages;

    @Option(names = "--pretrain-epochs", defaultValue = "10", description = "(default: ${DEFAULT-VALUE})")
    int pretrainEpochs;

    @Option(names = "--adapt-epochs", defaultValue = "8", description = "(default: ${DEFAULT-VALUE})")
    int adaptEpochs;

    @Option(names = "--batch", defaultValue = "8", description = "(default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--base", description = "Skip pretraining: start from this checkpoint (e.g. the "
            + "pretrain/last.safetensors of an earlier run with the same --size and --seed; a safetensors state dict "
            + "or a PyTorch .pth of the same model also serves).")
    Path base;

    @Option(names = {"--loss", "--pretrain-loss"}, defaultValue = "ce+dice", description = "Pretraining loss: "
            + SegmentationLoss.KNOWN + " (default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--adapt-loss", defaultValue = DEFAULT_ADAPT_LOSS, description = "Loss while adapting "
            + "(default: ${DEFAULT-VALUE}; " + ADAPT_LOSS_WHY + "). ce+dice adapts as the demo did before.")
    String adaptLoss;

    @Option(names = "--pretrain-lr", defaultValue = "2e-3", description = "(default: ${DEFAULT-VALUE})")
    double pretrainLr;

    @Option(names = "--adapt-lr", defaultValue = "2e-3", description = "Adam's learning rate while adapting, for "
            + "every method not in --method-lr (default: ${DEFAULT-VALUE}).")
    double adaptLr;

    @Option(names = "--method-lr", paramLabel = "METHOD=LR", split = ",", defaultValue = DEFAULT_METHOD_LR,
            description = "Learning rates of single methods, or none for --adapt-lr "
            + "everywhere as the demo did before (default: ${DEFAULT-VALUE}; " + METHOD_LR_WHY + ").")
    List<String> methodLr;

    @Option(names = "--bn-stats", defaultValue = "method", description = "The base's BatchNorm statistics while "
            + "adapting: frozen, update, or method: each method's own (frozen for parameter-efficient methods, so "
            + "that switching an adapter off restores the source model exactly; update for full fine-tuning) "
            + "(default: ${DEFAULT-VALUE}).")
    String bnStats;

    @Option(names = "--head-init", defaultValue = "source", description = "A target head's first weights: source "
            + "(background from the source head's background, each defect class from the mean of its defect "
            + "classes, plus the published N(0, 0.02) draw) or published (the draw alone, as the demo did before) "
            + "(default: ${DEFAULT-VALUE}).")
    String headInit;

    @Option(names = "--switch", defaultValue = "lora", description = "The method whose adapters of both targets "
            + "the demo loads onto one base and switches between, or none (default: ${DEFAULT-VALUE}).")
    String switchMethod;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (size % 16 != 0) {
            throw new IllegalArgumentException("--size must be a multiple of 16, got " + size);
        }
        // Every setting is checked before anything is written or trained.
        Map<String, Double> lr = new LinkedHashMap<>();
        for (String e : methodLr) {
            if (!e.equalsIgnoreCase("none")) {
                int eq = e.indexOf('=');
                double rate = eq <= 0 ? Double.NaN : parseRate(e.substring(eq + 1).trim());
                if (Double.isNaN(rate)) {
                    throw new IllegalArgumentException("--method-lr: expected METHOD=LR (e.g. lora=5e-3) or none, "
                            + "got '" + e + "'");
                }
                lr.put(MethodRegistry.entry(e.substring(0, eq).trim()).name(), rate);
            }
        }
        BnStats bn = "method".equalsIgnoreCase(bnStats) ? null : BnStats.parse(bnStats);
        SegmentationLoss.parse(loss, 2, null);
        SegmentationLoss.parse(adaptLoss, 2, null);
        TransferStudy.Settings settings = new TransferStudy.Settings(SwinAttUNetConfig.fixture(4), size,
                pretrainEpochs, adaptEpochs, batch, pretrainLr, adaptLr, loss, methods, seed, 1, lr, adaptLoss, bn,
                headFromSource());
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Files.createDirectories(out);
        TransferStudy.Domain source = domain("orange", CitrusDomain.ORANGE, sourceImages, 0);
        List<TransferStudy.Domain> targets = List.of(domain("lemon", CitrusDomain.LEMON, targetImages, 1),
                domain("grapefruit", CitrusDomain.GRAPEFRUIT, targetImages, 2));
        long t0 = System.nanoTime();
        TransferStudy study = new TransferStudy(settings, console);
        List<TransferStudy.Row> rows = study.run(source, targets, out, base);
        List<TransferStudy.Switch> switches = List.of();
        if (methods.contains(switchMethod) && targets.size() > 1) {
            console.printf("== %s adapters of %s on one base%n", switchMethod, String.join(" and ",
                    targets.stream().map(TransferStudy.Domain::name).toList()));
            switches = study.switchAdapters(source, targets, out, base, switchMethod);
        }
        ComparisonTable.Run run = new ComparisonTable.Run(command(), DATE.format(Instant.now()), machine(),
                (System.nanoTime() - t0) / 6e10);
        ComparisonTable table = new ComparisonTable(run, rows.stream().map(ComparisonTable.Line::of).toList(),
                switches);
        TransferStudy.write(rows, table, out);
        console.println();
        console.print(table.markdown());
        console.printf("%nChart: %s%n", out.resolve("comparison.png").toAbsolutePath());
        return rows.isEmpty() ? 1 : 0;
    }

    private boolean headFromSource() {
        switch (headInit.toLowerCase(Locale.ROOT)) {
            case "source": return true;
            case "published": return false;
            default: throw new IllegalArgumentException("--head-init must be source or published, got '" + headInit
                    + "'");
        }
    }

    /** The command as typed, for the line above the table: what reproduces these figures. */
    private String command() {
        // The parse result holds the whole command line, this subcommand's name included.
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        int at = args.indexOf(spec.name());
        List<String> own = args.subList(at + 1, args.size());
        return "./peft4j demo" + (own.isEmpty() ? "" : " " + String.join(" ", own));
    }

    /** Cores and CPU model, as the line above the table names the machine. */
    static String machine() {
        String model = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    model = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: the core count alone still says what the minutes mean.
        }
        int cores = Runtime.getRuntime().availableProcessors();
        return cores + (cores == 1 ? " core" : " cores") + " (" + model + ")";
    }

    private static double parseRate(String s) {
        try {
            double rate = Double.parseDouble(s);
            return rate > 0 ? rate : Double.NaN;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private TransferStudy.Domain domain(String name, CitrusDomain d, int trainCount, int salt) {
        long s = seed * 31 + salt * 1000;
        return new TransferStudy.Domain(name, new SyntheticCitrus(d, trainCount, size, s),
                new SyntheticCitrus(d, testImages, size, s + 500));
    }
}
