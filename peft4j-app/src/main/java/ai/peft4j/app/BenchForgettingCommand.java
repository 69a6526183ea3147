package ai.peft4j.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.app.run.RunFolderLock;
import ai.peft4j.app.study.ForgettingTable;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.data.DataException;
import ai.peft4j.data.classify.LabelledImages;
import ai.peft4j.models.vit.VisionTransformer;
import ai.peft4j.models.vit.VitConfig;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.expansion.AddedBlocks;
import ai.peft4j.peft.transfer.FusedQkvLora;
import ai.peft4j.train.classify.WeightedKnn;
import ai.peft4j.train.loop.Checkpoint;
import ai.peft4j.train.loop.Trainer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code peft4j bench forgetting}: peft-vit's study of forgetting on the shared defect data. */
@Command(name = "forgetting", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pretrain a small ViT (vit-mini) to classify a source product line (default: three of "
                + "NEU-DET's steel surface defects, crazing, pitted_surface and rolled-in_scale, its train split), "
                + "then adapt it to a disjoint target (default: NEU-DET's other three, inclusion, patches and "
                + "scratches: other photos, other classes; or magnetic tile with --target) with full fine-tuning, "
                + "linear probing, LoRA on query and value and block expansion, and report, as peft-vit does, the "
                + "target's test top-1 and what is left of the source task: the weighted k-NN top-1 of the source's "
                + "test split on the adapted model's features (adapter on; off too, which must give the base's).",
            "Every run goes through train, finetune and eval (--source) as run files under --out; each finished "
                + "row is appended to rows.jsonl, and a rerun with the same --out resumes after the last one "
                + "(a run stopped mid-way continues from its last checkpoint). Writes forgetting.md, "
                + "forgetting.json and forgetting.png."})
final class BenchForgettingCommand implements Callable<Integer> {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    @Option(names = "--source", defaultValue = "../shared/data/neu-det", description = "Source set in the "
            + "name-class layout (JPEGImages/<class>_<n>.jpg, ImageSets/Main/{train,test}.txt) (default: "
            + "${DEFAULT-VALUE}).")
    Path source;

    @Option(names = "--source-classes", paramLabel = "NAME,...|all", defaultValue = "crazing,pitted_surface,"
            + "rolled-in_scale", description = "The source's classes to pretrain on and score (default: "
            + "${DEFAULT-VALUE}; all for every class).")
    String sourceClasses;

    @Option(names = "--target", defaultValue = "../shared/data/neu-det", description = "Target set: name-class "
            + "layout (as --source; its own splits, --target-classes picks the classes) or one folder per class, "
            + "MT_<Class>/Imgs/<name>.jpg as magnetic tile (../shared/data/magnetic-tile; masks beside them are "
            + "skipped, every folder is a class) (default: ${DEFAULT-VALUE}).")
    Path target;

    @Option(names = "--target-classes", paramLabel = "NAME,...|all", defaultValue = "inclusion,patches,scratches",
            description = "The target's classes, name-class targets only; must not share a class with "
                + "--source-classes when --target is --source (default: ${DEFAULT-VALUE}).")
    String targetClasses;

    @Option(names = "--target-per-class", defaultValue = "60", description = "Folder targets only: at most this "
            + "many images per target class, spread over its sorted names, then split 6:2:2 per class (seed 0) "
            + "(default: ${DEFAULT-VALUE}; magnetic tile has 32 to 115 per defect class and 952 defect-free).")
    int targetPerClass;

    @Option(names = "--out", defaultValue = "runs/forgetting", description = "(default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--methods", split = ",", defaultValue = "full,classify,vit-lora,vit-block",
            description = "Modes to adapt with (default: ${DEFAULT-VALUE}; full and classify are peft-vit's full and "
                    + "linear modes, the old names vit-full and vit-linear still accepted).")
    List<String> methods;

    @Option(names = "--lora-r", defaultValue = "8", description = "LoRA rank, alpha equal to it as published "
            + "(default: ${DEFAULT-VALUE}).")
    int loraR;

    @Option(names = "--block-p", split = ",", defaultValue = "1,2,3", description = "Added blocks of block "
            + "expansion, one run each; each must divide vit-mini's 6 blocks (default: ${DEFAULT-VALUE}).")
    List<Integer> blockP;

    @Option(names = "--size", defaultValue = "64", description = "Input side, a multiple of 8 (default: "
            + "${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--pretrain-epochs", defaultValue = "15", description = "(default: ${DEFAULT-VALUE})")
    int pretrainEpochs;

    @Option(names = "--adapt-epochs", defaultValue = "10", description = "(default: ${DEFAULT-VALUE})")
    int adaptEpochs;

    @Option(names = "--batch", defaultValue = "16", description = "(default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--pretrain-lr", defaultValue = "1e-3", description = "AdamW's learning rate for pretraining "
            + "(default: ${DEFAULT-VALUE}).")
    double pretrainLr;

    @Option(names = "--adapt-lr", defaultValue = "3e-3", description = "AdamW's learning rate while adapting, for "
            + "modes not in --method-lr (default: ${DEFAULT-VALUE}).")
    double adaptLr;

    @Option(names = "--method-lr", paramLabel = "MODE=LR", split = ",", defaultValue = "full=5e-4,"
            + "classify=3e-2", description = "Learning rates of single modes (default: ${DEFAULT-VALUE}: full "
            + "fine-tuning moves every weight and takes a smaller step, the head alone a larger one; at 2e-4 and 1e-2 "
            + "neither left chance level on magnetic tile in 12 epochs).")
    Map<String, Double> methodLr;

    @Option(names = "--target-min-scale", defaultValue = "1.0", description = "Smallest area share of the random "
            + "resized crop while adapting (default: ${DEFAULT-VALUE}: the whole image, aspect and flip jittered; "
            + "peft-vit's 0.08 cuts most of magnetic tile's small defects out of the crop, and the label then names "
            + "what the crop does not show). Pretraining on NEU-DET's textures keeps 0.08.")
    double targetMinScale;

    @Option(names = "--knn-k", split = ",", defaultValue = "10,20,100,200", description = "Neighbour counts of "
            + "the source k-NN (default: ${DEFAULT-VALUE}, as published).")
    List<Integer> knnK;

    @Option(names = "--table-k", defaultValue = "20", description = "The k the table shows (default: "
            + "${DEFAULT-VALUE}, DINO's usual one; forgetting.json holds every k).")
    int tableK;

    @Option(names = "--seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--base", description = "Skip pretraining: a checkpoint of an earlier run's pretraining "
            + "(<out>/pretrain/last.safetensors) with the same --size.")
    Path base;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** One adaptation: its folder name, table label, mode and options. */
    record Plan(String run, String label, String method, Map<String, Object> options) {}

    @Override
    public Integer call() throws Exception {
        List<Plan> plans = plans();
        if (!knnK.contains(tableK)) {
            throw new IllegalArgumentException("--table-k " + tableK + " is not among --knn-k " + knnK);
        }
        if (size % 8 != 0) {
            throw new IllegalArgumentException("--size must be a multiple of vit-mini's patch size 8, got " + size);
        }
        if (targetPerClass < 5) {
            throw new IllegalArgumentException("--target-per-class must be at least 5 (a 6:2:2 split per class), got "
                    + targetPerClass);
        }
        if (!Files.isDirectory(source.resolve("ImageSets/Main"))) {
            throw new DataException(source, "not a name-class data set (no ImageSets/Main); --source takes NEU-DET's "
                    + "layout");
        }
        List<String> srcClasses = classList(sourceClasses);
        List<String> tgtClasses = classList(targetClasses);
        boolean namedTarget = Files.isDirectory(target.resolve("ImageSets/Main"));
        if (namedTarget) {
            requireDisjoint(srcClasses, tgtClasses);
        }
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        ObjectNode settings = settings();
        List<ForgettingTable.Row> rows;
        try (RunFolderLock lock = RunFolderLock.take(out, console)) {
            Path targetData = namedTarget ? target : targetData(console);
            Map<String, ForgettingTable.Row> done = ForgettingTable.read(out);
            if (!done.isEmpty()) {
                console.println("Resuming: " + String.join(", ", done.keySet()) + " done (" + out.resolve(
                        ForgettingTable.ROWS) + ")");
            }
            Path pretrained = base != null ? base : out.resolve("pretrain").resolve(Trainer.LAST);
            Path sourceYaml = writeRunFile("pretrain.yaml", source, "name-class", srcClasses,
                    out.resolve("pretrain"), pretrainEpochs, pretrainLr, null, null, null, 0.08);
            if (!done.containsKey("pretrained")) {
                if (base == null) {
                    console.printf(Locale.ROOT, "== pretraining vit-mini on %s (%d epochs)%n", source, pretrainEpochs);
                    cli("train", "--config", sourceYaml.toString());
                }
                Path ev = out.resolve("pretrain").resolve("eval");
                cli("eval", "--config", sourceYaml.toString(), "--checkpoint", pretrained.toString(), "--out",
                        ev.toString(), "--source", source.toString(), "--source-classes", String.join(",",
                        sourceNames(srcClasses)), "--knn-k", joined(knnK));
                JsonNode m = metrics(ev);
                long[] n = count(null, Map.of(), sourceNames(srcClasses).size());
                ForgettingTable.Row r = new ForgettingTable.Row("pretrained", "pretrained on the source "
                        + "(its own head: source top-1 " + String.format(Locale.ROOT, "%.2f", 100 * m.path("top1")
                        .asDouble()) + ")", n[0], n[1], Double.NaN,
                        knn(m.path("source_knn")), Map.of(), seconds(out.resolve("pretrain")));
                ForgettingTable.append(out, r);
                done.put(r.run(), r);
            }
            Path backbone = backbone(pretrained);
            int classes = namedTarget ? LabelledImages.open(target, "name-class", "train", null, tgtClasses)
                    .numClasses() : classCount(targetData);
            for (Plan p : plans) {
                if (done.containsKey(p.run())) {
                    continue;
                }
                double lr = methodLr.getOrDefault(p.method(), adaptLr);
                console.printf(Locale.ROOT, "== %s on %s (%d epochs, lr %.1e)%n", p.label(), target, adaptEpochs, lr);
                Path dir = ContainedPath.resolve(out, p.run(), "run name");
                Path yaml = writeRunFile(p.run() + ".yaml", targetData, namedTarget ? "name-class" : "image-folder",
                        namedTarget ? tgtClasses : List.of(), dir, adaptEpochs, lr, p.method(), p.options(), backbone,
                        targetMinScale);
                cli("finetune", "--config", yaml.toString());
                Path ev = dir.resolve("eval");
                cli("eval", "--config", yaml.toString(), "--checkpoint", backbone.toString(), "--adapter",
                        dir.resolve("adapter").toString(), "--out", ev.toString(), "--source", source.toString(),
                        "--source-classes", String.join(",", sourceNames(srcClasses)), "--knn-k", joined(knnK));
                JsonNode m = metrics(ev);
                long[] n = count(p.method(), p.options(), classes);
                ForgettingTable.Row r = new ForgettingTable.Row(p.run(), p.label(), n[0], n[1],
                        m.path("top1").asDouble(), knn(m.path("source_knn")), knn(m.path("source_knn_adapter_off")),
                        seconds(dir));
                ForgettingTable.append(out, r);
                done.put(r.run(), r);
                console.printf(Locale.ROOT, "   %s: target top-1 %.2f%%, source k-NN top-1 (k %d) %.2f%% adapter on, "
                        + "%.2f%% off, %,d trainable, %.0f s%n", p.label(), 100 * r.targetTop1(), tableK,
                        100 * r.sourceKnn().get(tableK), 100 * r.sourceKnnOff().get(tableK), r.trainable(),
                        r.seconds());
            }
            rows = new ArrayList<>();
            rows.add(done.get("pretrained"));
            for (Plan p : plans) {
                rows.add(done.get(p.run()));
            }
            String heading = String.format(Locale.ROOT, "`%s` on %s, %s, %.1f min in this invocation:", command(),
                    DATE.format(Instant.now()), DemoCommand.machine(), (System.nanoTime() - t0) / 6e10);
            ForgettingTable.write(out, rows, tableK, heading, settings);
        }
        console.println();
        console.print(Files.readString(out.resolve(ForgettingTable.MARKDOWN)));
        console.printf(Locale.ROOT, "%nForgetting study finished in %.1f min; %s, chart %s%n",
                (System.nanoTime() - t0) / 6e10, out.resolve(ForgettingTable.JSON), out.resolve(ForgettingTable.CHART));
        return 0;
    }

    /** The adaptations, checked against the registry before any work. */
    List<Plan> plans() {
        List<Plan> plans = new ArrayList<>();
        for (String named : methods) {
            String m = MethodRegistry.ALIASES.getOrDefault(named, named);
            switch (m) {
                case "full" -> plans.add(new Plan("full", "full", m, Map.of()));
                case "classify" -> plans.add(new Plan("linear", "linear", m, Map.of()));
                case FusedQkvLora.NAME -> plans.add(new Plan("lora-r" + loraR, "LoRA r " + loraR, m,
                        Map.of("r", loraR, "lora_alpha", loraR)));
                case AddedBlocks.NAME -> {
                    for (int p : blockP) {
                        plans.add(new Plan("block-p" + p, "block p = " + p, m, Map.of("added", p)));
                    }
                }
                default -> throw new IllegalArgumentException("--methods: '" + named + "' is not one of "
                        + MethodRegistry.VIT_MODES.stream().filter(v -> !v.equals("vit-top-k")).toList());
            }
        }
        Map<String, Double> rates = new LinkedHashMap<>();
        methodLr.forEach((k, v) -> rates.put(MethodRegistry.ALIASES.getOrDefault(k, k), v));
        methodLr = rates;
        for (String m : methodLr.keySet()) {
            if (!MethodRegistry.VIT_MODES.contains(m)) {
                throw new IllegalArgumentException("--method-lr names '" + m + "', which is not a ViT mode ("
                        + String.join(", ", MethodRegistry.VIT_MODES) + ")");
            }
        }
        for (Plan p : plans) {
            // Settings the method refuses (a p that does not divide the depth) fail here, before pretraining.
            count(p.method(), p.options(), 6);
        }
        return plans;
    }

    /** Trainable and total parameters of vit-mini with {@code method} attached (null: the bare model). */
    private long[] count(String method, Map<String, Object> options, int classes) {
        try (NDManager m = EngineSetup.newManager()) {
            VisionTransformer vit = new VisionTransformer(m, VitConfig.mini(classes).withImageSize(size));
            if (method != null) {
                try {
                    PeftMethod pm = MethodRegistry.create(method, MethodRegistry.configWith(method, options),
                            MethodInputs.none().withFreshBlock(b -> vit.newBlock()));
                    pm.attach(vit);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(method + " " + new TreeMap<>(options) + ": " + e.getMessage(),
                            e);
                }
            }
            return new long[] {vit.trainableParameterCount(), vit.parameterCount()};
        }
    }

    /**
     * The target as {@code <out>/target-data/<Class>/<name>.jpg} (the MT_ prefix dropped), at most
     * {@code --target-per-class} per class, copied once; a later run checks that the copy is what it would write.
     */
    private Path targetData(PrintStream console) throws IOException {
        Path dir = out.resolve("target-data");
        Map<String, List<Path>> picked = new TreeMap<>();
        List<Path> classDirs;
        if (!Files.isDirectory(target)) {
            throw new DataException(target, "target folder not found");
        }
        try (Stream<Path> s = Files.list(target)) {
            classDirs = s.filter(Files::isDirectory).sorted().toList();
        }
        for (Path c : classDirs) {
            Path imgs = Files.isDirectory(c.resolve("Imgs")) ? c.resolve("Imgs") : c;
            List<Path> jpgs;
            try (Stream<Path> s = Files.list(imgs)) {
                jpgs = s.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jpg")).sorted()
                        .toList();
            }
            if (jpgs.isEmpty()) {
                throw new DataException(imgs, "class folder holds no .jpg images");
            }
            List<Path> some = new ArrayList<>();
            int n = Math.min(targetPerClass, jpgs.size());
            for (int i = 0; i < n; i++) {
                some.add(jpgs.get((int) ((long) i * jpgs.size() / n)));
            }
            picked.put(c.getFileName().toString().replaceFirst("^MT_", ""), some);
        }
        if (picked.size() < 2) {
            throw new DataException(target, "needs at least two class folders, found " + picked.keySet());
        }
        List<String> listing = new ArrayList<>();
        picked.forEach((c, files) -> files.forEach(f -> listing.add(c + "/" + f.getFileName())));
        Path manifest = dir.resolve("files.txt");
        if (Files.isRegularFile(manifest)) {
            if (!Files.readAllLines(manifest).equals(listing)) {
                throw new IllegalArgumentException(dir + " holds another selection of target images than these "
                        + "options pick (--target, --target-per-class); use another --out");
            }
            return dir;
        }
        for (Map.Entry<String, List<Path>> e : picked.entrySet()) {
            Path to = Files.createDirectories(dir.resolve(e.getKey()));
            for (Path f : e.getValue()) {
                Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.write(manifest.resolveSibling("files.txt.tmp"), listing);
        Files.move(manifest.resolveSibling("files.txt.tmp"), manifest, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        StringBuilder counts = new StringBuilder();
        picked.forEach((c, f) -> counts.append(counts.length() == 0 ? "" : ", ").append(c).append(' ')
                .append(f.size()));
        console.println("Target    " + dir + ": " + counts);
        return dir;
    }

    /** A class option's names; empty for {@code all}. */
    static List<String> classList(String option) {
        String o = option.strip();
        if (o.isEmpty() || o.equalsIgnoreCase("all")) {
            return List.of();
        }
        return List.of(o.split("\\s*,\\s*"));
    }

    /** The source's class names (all of them for an empty list), checked against the data set. */
    private List<String> sourceNames(List<String> classes) {
        return LabelledImages.open(source, "name-class", "train", null, classes).classNames();
    }

    /** A name-class target drawn from the source's own data set must not show the source's classes again. */
    private void requireDisjoint(List<String> srcClasses, List<String> tgtClasses) throws IOException {
        if (!source.toRealPath().equals(target.toRealPath())) {
            return;
        }
        List<String> src = sourceNames(srcClasses);
        List<String> tgt = LabelledImages.open(target, "name-class", "train", null, tgtClasses).classNames();
        List<String> shared = src.stream().filter(tgt::contains).toList();
        if (!shared.isEmpty()) {
            throw new IllegalArgumentException("--target is --source and both take class(es) " + shared + "; the "
                    + "target must be another product line: give --source-classes and --target-classes disjoint "
                    + "sets");
        }
    }

    private static int classCount(Path targetData) throws IOException {
        try (Stream<Path> s = Files.list(targetData)) {
            return (int) s.filter(Files::isDirectory).count();
        }
    }

    /**
     * The pretrained model without its head, as peft-vit's bases (DINO, ViT-in21k) come: each adaptation then
     * starts from a fresh zeroed head of the target's classes.
     */
    private Path backbone(Path pretrained) throws IOException {
        Path file = out.resolve("pretrain").resolve("backbone.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> state = new LinkedHashMap<>(Checkpoint.read(pretrained, m).modelState());
            state.keySet().removeIf(k -> k.startsWith("head."));
            Files.createDirectories(file.getParent());
            SafetensorsFile.write(file, state, Map.of("format", "pt"));
        }
        return file;
    }

    private Path writeRunFile(String name, Path data, String layout, List<String> classes, Path output, int epochs,
            double lr, String method, Map<String, Object> options, Path init, double minScale) throws IOException {
        StringBuilder y = new StringBuilder();
        y.append("task: classification\n");
        y.append("model:\n  name: vit\n  backbone: vit-mini\n  image_size: ").append(size).append('\n');
        if (init != null) {
            y.append("  init: ").append(quoted(init.toAbsolutePath().toString())).append('\n');
        }
        y.append("data:\n  layout: ").append(layout).append("\n  root: ")
                .append(quoted(data.toAbsolutePath().toString())).append("\n  val_split: \"\"\n");
        if (!classes.isEmpty()) {
            y.append("  classes: [").append(String.join(", ", classes.stream().map(BenchForgettingCommand::quoted)
                    .toList())).append("]\n");
        }
        y.append("training:\n  epochs: ").append(epochs).append("\n  batch: ").append(batch)
                .append("\n  optimizer: adamw\n  lr: ").append(lr).append("\n  weight_decay: 0.05\n")
                .append("  schedule: cos-step\n  workers: 1\n  seed: ").append(seed).append('\n');
        if (method != null) {
            y.append("method:\n  name: ").append(method).append('\n');
            if (!options.isEmpty()) {
                y.append("  options:\n");
                new TreeMap<>(options).forEach((k, v) -> y.append("    ").append(k).append(": ").append(v)
                        .append('\n'));
            }
        }
        y.append("classification:\n  min_scale: ").append(minScale).append('\n');
        y.append("output: ").append(quoted(output.toAbsolutePath().toString())).append('\n');
        Path f = out.resolve(name);
        Files.writeString(f, y.toString(), StandardCharsets.UTF_8);
        return f;
    }

    private static String quoted(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** Runs a peft4j command in this process; its failure (already printed) stops the study. */
    private static void cli(String... args) {
        int code = Main.run(args);
        if (code != 0) {
            throw new IllegalStateException("'peft4j " + String.join(" ", args) + "' failed (exit " + code + ", "
                    + "see above); fix it and run the study again: it resumes");
        }
    }

    private static JsonNode metrics(Path evalDir) throws IOException {
        return new ObjectMapper().readTree(evalDir.resolve("metrics.json").toFile());
    }

    private static Map<Integer, Double> knn(JsonNode section) {
        Map<Integer, Double> out = new TreeMap<>();
        section.path("knn").forEach(r -> out.put(r.path("k").asInt(), r.path("top1").asDouble()));
        return out;
    }

    /** Training seconds of a run folder: the sum of its history's seconds column (0 when it has none). */
    static double seconds(Path run) throws IOException {
        Path h = run.resolve("history.csv");
        if (!Files.isRegularFile(h)) {
            return 0;
        }
        List<String> lines = Files.readAllLines(h);
        int col = List.of(lines.get(0).split(",")).indexOf("seconds");
        double s = 0;
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            if (col >= 0 && col < f.length && !f[col].isEmpty()) {
                s += Double.parseDouble(f[col]);
            }
        }
        return s;
    }

    private static String joined(List<Integer> v) {
        return String.join(",", v.stream().map(String::valueOf).toList());
    }

    private ObjectNode settings() {
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.put("source", source.toString()).put("source_classes", sourceClasses).put("target", target.toString())
                .put("target_classes", targetClasses).put("target_per_class", targetPerClass)
                .put("model", "vit-mini").put("size", size).put("pretrain_epochs", pretrainEpochs)
                .put("adapt_epochs", adaptEpochs).put("target_min_scale", targetMinScale).put("batch", batch)
                .put("optimizer", "adamw")
                .put("schedule", "cos-step").put("pretrain_lr", pretrainLr).put("adapt_lr", adaptLr)
                .put("knn_temperature", WeightedKnn.PUBLISHED_TEMPERATURE).put("seed", seed);
        j.putPOJO("method_lr", new TreeMap<>(methodLr));
        j.putPOJO("knn_k", knnK);
        return j;
    }

    /** The command as typed, for the line above the table. */
    private String command() {
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        int at = args.indexOf(spec.name());
        List<String> own = args.subList(at + 1, args.size());
        return "./peft4j bench forgetting" + (own.isEmpty() ? "" : " " + String.join(" ", own));
    }
}
