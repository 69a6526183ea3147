package ai.peft4j.app;

import ai.peft4j.app.run.RunFolderLock;
import ai.peft4j.app.study.ComparisonTable;
import ai.peft4j.app.study.PhaseTimes;
import ai.peft4j.app.study.TransferStudy;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.BnStats;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loss.SegmentationLoss;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
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
    static final String DEFAULT_METHOD_LR = "full=5e-3,classify=1e-2,lora=1.5e-2,adapter=1.5e-2";
    static final String METHOD_LR_WHY = "full fine-tuning moves every weight and takes a small step; a head, a "
            + "low-rank update or a bottleneck adapter alone needs a larger one to get as far in the same steps";
    /** Settings of single methods by default, and why (measured on the demo's sets: docs/usage.md). */
    static final String DEFAULT_METHOD_SET = "adapter.init=identity";
    static final String METHOD_SET_WHY = "the published adapter starts with random decoder and gate adapters that "
            + "already cost the pretrained model 5 points of source mIoU before any training; identity starts as the "
            + "base";
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

    @Option(names = "--method-set", paramLabel = "METHOD.FIELD=VALUE", split = ",", defaultValue =
            DEFAULT_METHOD_SET, description = "Settings of single methods over their published ones, by the names "
            + "adapter files give them, or none for the published settings everywhere (default: ${DEFAULT-VALUE}; "
            + METHOD_SET_WHY + ").")
    List<String> methodSet;

    @Option(names = "--bn-stats", defaultValue = "update", description = "The base's BatchNorm statistics while "
            + "adapting: update (they follow the target's images and are saved with the adapter, so switching it "
            + "off still restores the source model exactly), frozen (the source's statistics, as HF PEFT), or "
            + "method: each method's own default (default: ${DEFAULT-VALUE}; frozen statistics left LoRA and the "
            + "adapter 11-12 points below full fine-tuning on grapefruit, updated ones 5-8).")
    String bnStats;

    @Option(names = "--head-init", defaultValue = "source", description = "A target head's first weights: source "
            + "(background from the source head's background, each defect class from the mean of its defect "
            + "classes, plus the published N(0, 0.02) draw) or published (the draw alone, as the demo did before) "
            + "(default: ${DEFAULT-VALUE}).")
    String headInit;

    @Option(names = "--switch", defaultValue = "lora", description = "The method whose adapters of both targets "
            + "the demo loads onto one base and switches between, or none (default: ${DEFAULT-VALUE}).")
    String switchMethod;

    @Option(names = "--eval-every", defaultValue = "0", description = "While adapting, score the test set every "
            + "this many epochs, for curves (history.csv, curves.png) that show where a method stops improving; 0: "
            + "after the last epoch only (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--jobs", defaultValue = "2", description = "Targets adapted side by side after pretraining, "
            + "each but the first in a process of its own, every job with one engine thread; 1: one target after "
            + "the other in this process, with the engine's threads as set (default: ${DEFAULT-VALUE}: two "
            + "one-thread jobs keep both cores of a 2-core machine busy, with the figures of one job).")
    int jobs;

    /** Set in the process that adapts one target for its parent: the target's name; needs --base. */
    @Option(names = "--only-target", hidden = true)
    String onlyTarget;

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
        Map<String, Map<String, String>> own = new LinkedHashMap<>();
        for (String e : methodSet) {
            if (!e.equalsIgnoreCase("none")) {
                int dot = e.indexOf('.');
                int eq = e.indexOf('=');
                if (dot <= 0 || eq <= dot + 1 || eq == e.length() - 1) {
                    throw new IllegalArgumentException("--method-set: expected METHOD.FIELD=VALUE (e.g. "
                            + "adapter.init=identity) or none, got '" + e + "'");
                }
                own.computeIfAbsent(MethodRegistry.entry(e.substring(0, dot).trim()).name(),
                        k -> new LinkedHashMap<>()).put(e.substring(dot + 1, eq).trim(), e.substring(eq + 1).trim());
            }
        }
        for (Map.Entry<String, Map<String, String>> e : own.entrySet()) {
            MethodRegistry.configWith(e.getKey(), e.getValue());
        }
        if (jobs < 1) {
            throw new IllegalArgumentException("--jobs must be at least 1, got " + jobs);
        }
        if (evalEvery < 0) {
            throw new IllegalArgumentException("--eval-every must be 0 (after the last epoch only) or positive, got "
                    + evalEvery);
        }
        BnStats bn = "method".equalsIgnoreCase(bnStats) ? null : BnStats.parse(bnStats);
        SegmentationLoss.parse(loss, 2, null);
        SegmentationLoss.parse(adaptLoss, 2, null);
        TransferStudy.Settings settings = new TransferStudy.Settings(SwinAttUNetConfig.fixture(4), size,
                pretrainEpochs, adaptEpochs, batch, pretrainLr, adaptLr, loss, methods, seed, 1, lr, adaptLoss, bn,
                headFromSource(), null, 0, own, evalEvery);
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        TransferStudy.Domain source = domain("orange", CitrusDomain.ORANGE, sourceImages, 0);
        List<TransferStudy.Domain> targets = List.of(domain("lemon", CitrusDomain.LEMON, targetImages, 1),
                domain("grapefruit", CitrusDomain.GRAPEFRUIT, targetImages, 2));
        if (onlyTarget != null) {
            return adaptOne(settings, source, targets, console);
        }
        Files.createDirectories(out);
        long t0 = System.nanoTime();
        TransferStudy study = new TransferStudy(settings, console);
        List<TransferStudy.Row> rows = new ArrayList<>();
        List<TargetProcess> children = new ArrayList<>();
        try (RunFolderLock lock = RunFolderLock.take(out, console)) {
            rows.add(study.pretrain(source, out, base));
            Path baseCheckpoint = base != null ? base : out.resolve("pretrain").resolve(Trainer.LAST);
            int sideBySide = Math.min(jobs, targets.size());
            if (sideBySide > 1) {
                // This process adapts the first target; the others start now, each in a process of its own.
                for (TransferStudy.Domain t : targets.subList(1, targets.size())) {
                    children.add(TargetProcess.start(childArgs(t.name(), baseCheckpoint), out.resolve(t.name()),
                            console));
                }
                int threads = EngineSetup.threads();
                EngineSetup.threads(1);
                try {
                    rows.addAll(study.adapt(source, targets.get(0), out, baseCheckpoint));
                } finally {
                    EngineSetup.threads(threads);
                }
                for (TargetProcess child : children) {
                    child.await(console);
                    rows.addAll(TransferStudy.readRows(child.folder().resolve(ROWS)));
                    study.phases().read(child.folder().resolve(TIMINGS));
                }
            } else {
                for (TransferStudy.Domain t : targets) {
                    rows.addAll(study.adapt(source, t, out, baseCheckpoint));
                }
            }
            List<TransferStudy.Switch> switches = List.of();
            if (methods.contains(switchMethod) && targets.size() > 1) {
                console.printf("== %s adapters of %s on one base%n", switchMethod, String.join(" and ",
                        targets.stream().map(TransferStudy.Domain::name).toList()));
                switches = study.phases().time("switching " + switchMethod + " adapters",
                        () -> study.switchAdapters(source, targets, out, base, switchMethod));
            }
            double minutes = (System.nanoTime() - t0) / 6e10;
            study.phases().add(PhaseTimes.wholeProcess("demo"));
            ComparisonTable.Run run = new ComparisonTable.Run(command(), DATE.format(Instant.now()), machine(),
                    minutes);
            ComparisonTable table = new ComparisonTable(run, rows.stream().map(ComparisonTable.Line::of).toList(),
                    switches);
            TransferStudy.write(rows, table, out);
            study.phases().write(out.resolve(TIMINGS));
            console.println();
            console.print(table.markdown());
            console.printf("%nWall and CPU seconds per phase (%s; also %s):%n%s", machine(), out.resolve(TIMINGS),
                    study.phases().table());
            console.printf("%nChart: %s%n", out.resolve("comparison.png").toAbsolutePath());
        } finally {
            for (TargetProcess child : children) {
                child.stop();
            }
        }
        return rows.size() > 1 ? 0 : 1;
    }

    /** The rows a target's own process writes into its folder, and its phase times. */
    static final String ROWS = "rows.json";
    static final String TIMINGS = "timings.csv";

    /** In a process started by {@link #call}: adapts the one target named by --only-target from --base. */
    private int adaptOne(TransferStudy.Settings settings, TransferStudy.Domain source,
            List<TransferStudy.Domain> targets, PrintStream console) throws IOException {
        TransferStudy.Domain target = targets.stream().filter(t -> t.name().equals(onlyTarget)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--only-target: no target called '" + onlyTarget
                        + "'"));
        if (base == null) {
            throw new IllegalArgumentException("--only-target needs --base, the pretrained checkpoint");
        }
        EngineSetup.threads(1);
        TransferStudy study = new TransferStudy(settings, console);
        List<TransferStudy.Row> rows = study.adapt(source, target, out, base);
        Path folder = out.resolve(target.name());
        TransferStudy.writeRows(rows, folder.resolve(ROWS));
        study.phases().add(PhaseTimes.wholeProcess(target.name()));
        study.phases().write(folder.resolve(TIMINGS));
        return 0;
    }

    /** This command's settings as options, for the process that adapts {@code target} from {@code base}. */
    private List<String> childArgs(String target, Path base) {
        List<String> a = new ArrayList<>(List.of("demo", "--out", out.toString(), "--base", base.toString(),
                "--only-target", target, "--jobs", "1", "--methods", String.join(",", methods),
                "--size", Integer.toString(size), "--source-images", Integer.toString(sourceImages),
                "--target-images", Integer.toString(targetImages), "--test-images", Integer.toString(testImages),
                "--pretrain-epochs", Integer.toString(pretrainEpochs), "--adapt-epochs", Integer.toString(adaptEpochs),
                "--batch", Integer.toString(batch), "--seed", Long.toString(seed), "--loss", loss,
                "--adapt-loss", adaptLoss, "--pretrain-lr", Double.toString(pretrainLr),
                "--adapt-lr", Double.toString(adaptLr), "--method-lr", String.join(",", methodLr),
                "--method-set", String.join(",", methodSet), "--bn-stats", bnStats, "--head-init", headInit,
                "--switch", "none", "--eval-every", Integer.toString(evalEvery)));
        return a;
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
