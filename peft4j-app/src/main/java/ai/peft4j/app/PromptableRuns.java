package ai.peft4j.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.config.PromptableSection;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.AdaLoraSteps;
import ai.peft4j.app.run.MethodFactory;
import ai.peft4j.app.run.PromptableObjective;
import ai.peft4j.app.run.PromptableOutput;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.RunFolderLock;
import ai.peft4j.app.run.RunTraining;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.TrainedModel;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.engine.NoGradient;
import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.loader.BatchLoader;
import ai.peft4j.data.loader.LoaderConfig;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.transform.PairTransform;
import ai.peft4j.data.transform.TrainAugmentation;
import ai.peft4j.models.ModelSpec;
import ai.peft4j.models.sam.PromptFreeClasses;
import ai.peft4j.models.sam.PromptableSegmenter;
import ai.peft4j.models.sam.Prompts;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.sam.SamAdaLora;
import ai.peft4j.peft.sam.SamAdaLoraAdapter;
import ai.peft4j.train.loop.BatchSource;
import ai.peft4j.train.loop.Checkpoint;
import ai.peft4j.train.loop.StepHook;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainerConfig;
import ai.peft4j.train.loop.TrainingResult;
import ai.peft4j.train.promptable.MaskPrompt;
import ai.peft4j.train.promptable.MaskPrompts;
import ai.peft4j.train.promptable.PromptMode;
import ai.peft4j.train.promptable.PromptedScores;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code train}, {@code finetune}, {@code eval} and {@code predict} for a {@code task: promptable} run: SAM,
 * MobileSAM or EfficientSAM on a segmentation data set, every defect class counted as defect, one binary mask per
 * prompt. The same run files, run folders, trainer (through {@link PromptableObjective}), checkpoints, resume and
 * adapters as segmentation.
 */
final class PromptableRuns {
    static final List<String> CLASS_NAMES = List.of("background", "defect");
    /** Prompts eval derives from the test masks, or none. */
    static final List<String> EVAL_PROMPTS = List.of("point", "box", "none");

    private PromptableRuns() {}

    static ModelSpec spec(RunConfig c) {
        ModelSpec s = ModelSpec.of(c.model().name(), c.model().backbone(), 2);
        if (!s.promptable()) {
            throw new IllegalArgumentException("task: promptable needs a model of the SAM family ("
                    + String.join(", ", ModelSpec.PROMPTABLE) + "), got model.name '" + c.model().name() + "'");
        }
        if (c.data().crops()) {
            throw new IllegalArgumentException("task: promptable letterboxes whole images; data.sampling: crops is "
                    + "not supported for it");
        }
        return s;
    }

    static Module build(RunConfig c, NDManager m) {
        return (Module) spec(c).buildPromptable(m, c.model().imageSize());
    }

    /**
     * The model of a {@code promptable.classes: all} run: the segmenter with one mask token per class, seen as a
     * semantic segmenter ({@link PromptFreeClasses}).
     */
    static PromptFreeClasses buildClasses(RunConfig c, int classes, NDManager m) {
        if (classes < 2) {
            throw new IllegalArgumentException("promptable.classes: all needs at least two classes (background and "
                    + "a defect), got " + classes);
        }
        return new PromptFreeClasses(spec(c).buildPromptable(m, c.model().imageSize(), classes));
    }

    /** Loads a fine-tuning base: strictly, or as {@link #loadBaseForClasses}; returns the tensors left fresh. */
    private static int loadBase(Module model, Weights w, boolean classes) {
        if (classes) {
            return loadBaseForClasses(model, w);
        }
        SegmentationNet.loadStrict(model, w);
        return 0;
    }

    /** The model as the console names it, in the run's mode. */
    private static String describe(RunConfig c, int classes) {
        return c.promptable().allClasses() ? spec(c).model() + " (prompt-free: one mask token per class, " + classes
                + " classes)" : spec(c).describe();
    }

    /** Whether a state-dict key is one of the decoder's per-token tensors, which SAMed starts fresh. */
    static boolean perToken(String key) {
        return key.startsWith("mask_decoder.mask_tokens.") || key.startsWith("mask_decoder.output_hypernetworks_mlps.")
                || key.startsWith("mask_decoder.iou_prediction_head.");
    }

    /**
     * Loads a base into a {@code classes: all} model: every tensor, except that the decoder's per-token tensors
     * (mask tokens, their hypernetworks, the IoU head) may not fit the class count and then keep their fresh
     * values, as SAMed loads SAM's checkpoint. Returns how many tensors kept their fresh values.
     */
    static int loadBaseForClasses(Module model, Weights file) {
        Weights w = file.forModel(model);
        LoadReport r = model.loadStateDict(w.tensors(), false);
        List<String> off = new ArrayList<>();
        r.missing().stream().filter(k -> !perToken(k)).forEach(off::add);
        r.unexpected().stream().filter(k -> !perToken(k)).forEach(off::add);
        r.mismatched().stream().map(LoadReport.Mismatch::key).filter(k -> !perToken(k)).forEach(off::add);
        if (!off.isEmpty()) {
            throw new IllegalArgumentException(w.file() + ": does not fit this model (" + r.describe() + w.layoutNote()
                    + ")\nCheck model.name; only the decoder's per-token tensors may differ for another class count.");
        }
        return r.missing().size() + r.mismatched().size();
    }

    static int train(RunConfigFile rc, PrintStream console) throws IOException {
        RunConfig c = rc.config();
        ImageDataset train = RunData.open(c.data(), c.data().trainSplit());
        ImageDataset val = c.data().valSplit().isEmpty() ? null : RunData.open(c.data(), c.data().valSplit());
        RunData.requireReadable(train, val);
        Path out = Path.of(c.output());
        boolean classes = c.promptable().allClasses();
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(c.training().seed());
            Module model = classes ? buildClasses(c, train.numClasses(), m) : build(c, m);
            String described = describe(c, train.numClasses());
            LoadReport init = c.model().init().isEmpty() ? null
                    : SegmentationNet.loadLenient(model, Weights.read(Path.of(c.model().init()), m), described);
            RunData.createRunDirectory(out);
            try (RunFolderLock lock = RunFolderLock.take(out, console)) {
                RunTraining.checkResumable(out, c, RunTraining.trainerConfig(c.training(), classes
                        ? train.numClasses() : 2));
                rc.writeResolved(out, "train");
                RunSummary.model(console, described + " at " + c.model().imageSize() + "x" + c.model().imageSize(),
                        model);
                if (init != null) {
                    console.printf(Locale.ROOT, "Init      %s: %d tensors loaded, %d kept their initial values, "
                            + "%d in the file unused%n", c.model().init(), init.loaded().size(), init.missing().size()
                            + init.mismatched().size(), init.unexpected().size());
                }
                printData(console, c, train, val);
                TrainingResult r = fit(model, c, train, val, out, null, console);
                RunSummary.result(console, r, out);
            }
        }
        return 0;
    }

    static int finetune(RunConfigFile rc, PrintStream console, ClassificationRuns.BaseCheck baseCheck)
            throws IOException {
        RunConfig c = rc.config();
        ImageDataset train = RunData.open(c.data(), c.data().trainSplit());
        ImageDataset val = c.data().valSplit().isEmpty() ? null : RunData.open(c.data(), c.data().valSplit());
        RunData.requireReadable(train, val);
        Path out = Path.of(c.output());
        try (NDManager m = EngineSetup.newManager()) {
            Weights w = Weights.read(Path.of(c.model().init()), m);
            boolean classes = c.promptable().allClasses();
            EngineSetup.seed(c.training().seed());
            Module model = classes ? buildClasses(c, train.numClasses(), m) : build(c, m);
            int fresh = loadBase(model, w, classes);
            PeftMethod pm = MethodFactory.create(c.method().name(), c.method().options(), m);
            SamAdaLoraAdapter adaLora = pm instanceof SamAdaLora sal ? sal.apply(model) : null;
            Attachment a = adaLora != null ? adaLora.attachment() : pm.attach(model);
            RunData.createRunDirectory(out);
            try (RunFolderLock lock = RunFolderLock.take(out, console)) {
                RunTraining.checkResumable(out, c, RunTraining.trainerConfig(c.training(), classes
                        ? train.numClasses() : 2), Set.of("model.init"));
                baseCheck.check(out, w.file(), a.baseFingerprint());
                rc.writeResolved(out, "finetune");
                RunSummary.model(console, pm.name() + " on " + describe(c, train.numClasses()) + " at "
                        + c.model().imageSize()
                        + "x" + c.model().imageSize() + " from " + w.file(), model);
                printData(console, c, train, val);
                if (fresh > 0) {
                    console.printf(Locale.ROOT, "Decoder   %d per-token tensors of the base do not fit %d classes: "
                            + "started fresh (seed %d), trained with the decoder%n", fresh, train.numClasses(),
                            c.training().seed());
                }
                AdaLoraSteps steps = adaLora == null ? null : new AdaLoraSteps(adaLora, out);
                if (steps != null) {
                    console.printf(Locale.ROOT, "AdaLoRA   rank budget %d -> %d singular values over steps %d-%d "
                            + "(allocator %s); per step in %s%n", steps.initialBudget(), steps.targetBudget(),
                            adaLora.config().initWarmup(), adaLora.config().totalStep() - adaLora.config()
                            .finalWarmup(), adaLora.config().allocator().name().toLowerCase(Locale.ROOT),
                            out.resolve(AdaLoraSteps.CSV));
                }
                TrainingResult r = fit(model, c, train, val, out, steps, console);
                AdapterFiles.save(a, out.resolve("adapter"));
                PromptableOutput.writeAdapter(out.resolve("adapter"), classes, train.numClasses());
                if (r.bestCheckpoint() != null) {
                    model.loadStateDict(Checkpoint.read(r.bestCheckpoint(), m).modelState(), true);
                    AdapterFiles.save(a, out.resolve("adapter-best"));
                    PromptableOutput.writeAdapter(out.resolve("adapter-best"), classes, train.numClasses());
                }
                RunSummary.result(console, r, out);
                console.printf(Locale.ROOT, "Adapter   %s%s%n", out.resolve("adapter"),
                        r.bestCheckpoint() == null ? "" : ", best epoch's: " + out.resolve("adapter-best"));
            }
        }
        return 0;
    }

    private static void printData(PrintStream console, RunConfig c, ImageDataset train, ImageDataset val) {
        PromptableSection p = c.promptable();
        if (p.allClasses()) {
            console.printf(Locale.ROOT, "Data      %s: %d training images%s; %d classes %s%n", c.data().root(),
                    train.size(), val == null ? ", no validation" : ", " + val.size() + " validation images",
                    train.numClasses(), train.classNames());
            console.printf(Locale.ROOT, "Prompts   none; one decoder mask token per class (background first), loss "
                    + "%s over the class logits at the input size%n", c.training().loss());
            return;
        }
        console.printf(Locale.ROOT, "Data      %s: %d training images%s; every defect class is defect%n",
                c.data().root(), train.size(), val == null ? ", no validation" : ", " + val.size()
                + " validation images");
        console.printf(Locale.ROOT, "Prompts   %s; loss %s (pos_weight %s)%n", p.prompt().equals("none")
                ? "none (prompt-free: empty sparse prompt, one mask of all defects)" : "one " + p.prompt()
                + " per image from a random defect region (validation: every region)", p.loss(), p.posWeight());
    }

    /** Letterboxed (or published-augmented) pairs whose masks are binary: every defect class becomes 1. */
    static PairTransform binary(PairTransform t, int ignore) {
        return (pair, random) -> {
            LabelledImage x = t.apply(pair, random);
            return new LabelledImage(x.id(), x.image(), MaskPrompts.binary(x.mask(), ignore));
        };
    }

    static TrainingResult fit(Module model, RunConfig c, ImageDataset train, ImageDataset val, Path out,
            StepHook hook, PrintStream console) throws IOException {
        if (c.promptable().allClasses()) {
            // A semantic segmenter now: the segmenters' training, loss, validation mIoU and checkpoints.
            return RunTraining.fit(model, c.training(), c.model().imageSize(), c.data(), train, val, out,
                    PromptableOutput.metadata(true), hook, console);
        }
        var t = c.training();
        int size = c.model().imageSize();
        if (train.size() < t.batch()) {
            throw new IllegalArgumentException(train.name() + ": " + train.size() + " training images, fewer than "
                    + "one batch of " + t.batch() + " (training drops the last partial batch); lower training.batch");
        }
        TrainerConfig config = RunTraining.trainerConfig(t, 2);
        PromptableSegmenter net = (PromptableSegmenter) model;
        PromptableSection p = c.promptable();
        PromptableObjective objective = new PromptableObjective(net, PromptMode.parse(p.prompt()), p.posWeight(),
                p.loss().equals("bce+dice"), t.seed());
        Trainer.Builder b = Trainer.builder().setModel(SegmentationNet.layer(model)).setConfig(config)
                .setOutputDir(out).optConsole(console).optClassNames(CLASS_NAMES).optMemory(RunTraining.memory(t))
                .optMicroBatch(t.microBatch())
                .optObjective(objective).optMetadata(PromptableOutput.metadata(false)).optStepHook(hook);
        PairTransform trainTransform = binary(t.augment() ? TrainAugmentation.published(size)
                : Letterbox.square(size), train.numClasses());
        LoaderConfig loading = LoaderConfig.training(t.batch()).withSeed(t.seed()).withWorkers(t.workers());
        try (BatchLoader trainLoader = new BatchLoader(train, trainTransform, loading);
                BatchLoader valLoader = val == null ? null : new BatchLoader(val, binary(Letterbox.square(size),
                        val.numClasses()), LoaderConfig.evaluation(t.batch()).withWorkers(t.workers()))) {
            b.setTrainData(BatchSource.of(trainLoader));
            if (valLoader != null) {
                b.optValidationData(BatchSource.of(valLoader));
            }
            return b.build().fit();
        }
    }

    /** The model of a checkpoint, with an adapter on it when one is given. */
    static PromptableSegmenter restore(RunConfig c, Path checkpoint, Path adapter, boolean forceBase, NDManager m)
            throws IOException {
        PromptableOutput.Recorded ad = adapter == null ? null : PromptableOutput.ofAdapter(adapter);
        String trained = ad != null ? ad.output() : PromptableOutput.ofCheckpoint(checkpoint);
        if (PromptableOutput.CLASSES.equals(trained)) {
            throw new IllegalArgumentException((ad != null ? adapter : checkpoint) + " was trained prompt-free with "
                    + "one mask token per class (promptable.classes: all); it answers no prompts: evaluate or "
                    + "predict it with promptable.classes: all and promptable.prompt: none (--set)");
        }
        Weights w = Weights.read(checkpoint, m);
        Module model = build(c, m);
        SegmentationNet.loadStrict(model, w);
        if (adapter != null) {
            if (!Files.isDirectory(adapter)) {
                throw new IllegalArgumentException(adapter + ": adapter directory not found");
            }
            AdapterFiles.load(adapter, model, m, AdapterFiles.LoadOptions.forced(forceBase));
        }
        model.eval();
        return (PromptableSegmenter) model;
    }

    /**
     * The model of a {@code promptable.classes: all} run for eval and predict, refused unless the adapter (when
     * given) or else the checkpoint records that it was trained so: a model trained with prompts has never been
     * asked for class masks.
     */
    static TrainedModel restoreClasses(RunConfig c, Path checkpoint, Path adapter, boolean forceBase, NDManager m)
            throws IOException {
        PromptableOutput.Recorded ad = adapter == null ? null : PromptableOutput.ofAdapter(adapter);
        String base = PromptableOutput.ofCheckpoint(checkpoint);
        String trained = adapter != null ? (ad == null ? null : ad.output()) : base;
        if (!PromptableOutput.CLASSES.equals(trained)) {
            Path which = adapter != null ? adapter : checkpoint;
            throw new IllegalArgumentException(which + " was " + (trained == null ? "not trained by a "
                    + "promptable.classes: all run (it records no " + (adapter != null ? PromptableOutput.ADAPTER_FILE
                    : "promptable_output") + "; a published checkpoint was trained with prompts)" : "trained with "
                    + "prompts (one binary mask per prompt)") + ", so it has no class masks to give: evaluate it "
                    + "with promptable.classes: defect and --prompts, or train it with promptable.classes: all");
        }
        Weights w = Weights.read(checkpoint, m);
        int classes = ad != null ? ad.classes() : w.classes();
        EngineSetup.seed(c.training().seed());
        PromptFreeClasses model = buildClasses(c, classes, m);
        // A base of another class count (a prompt-trained one, or a classes run on other data under an adapter)
        // loads but its per-token tensors, as finetune loaded it; with everything fitting, this is a strict load.
        loadBaseForClasses(model, w);
        if (adapter == null) {
            model.eval();
            return new TrainedModel(model, classes, null);
        }
        if (!Files.isDirectory(adapter)) {
            throw new IllegalArgumentException(adapter + ": adapter directory not found");
        }
        Attachment a = AdapterFiles.load(adapter, model, m, AdapterFiles.LoadOptions.forced(forceBase));
        model.eval();
        return new TrainedModel(model, classes, a);
    }

    /**
     * Mask logits at the image's own size, one {@code float[h * w]} per prompt: the image letterboxed to the input,
     * the prompts (in image pixels) moved into the letterbox, the low-res masks bilinearly to the input size, the
     * image's part cut out and bilinearly to the image size (segment-anything's {@code postprocess_masks} with a
     * centred letterbox). Threshold at 0 for the mask.
     */
    static List<float[]> predict(PromptableSegmenter net, NDManager manager, RgbImage image, List<MaskPrompt> prompts,
            PromptMode mode) {
        if (mode == PromptMode.NONE) {
            return predict(net, manager, image, List.of(MaskPrompt.none()));
        }
        for (MaskPrompt p : prompts) {
            if (p.mode() != mode) {
                throw new IllegalArgumentException("a " + p.mode().id() + " prompt among " + mode.id() + " prompts");
            }
        }
        return predict(net, manager, image, prompts);
    }

    /**
     * As above for prompts of any kinds, each answered by its own mask in the given order (boxes, clicks and
     * prompt-free ones may be mixed: the image is encoded once, each kind decoded as one batch).
     */
    static List<float[]> predict(PromptableSegmenter net, NDManager manager, RgbImage image,
            List<MaskPrompt> prompts) {
        int size = net.imageSize();
        Letterbox lb = Letterbox.square(size);
        Letterbox.Placement at = lb.placement(image.width(), image.height());
        LabelledImage boxed = lb.apply(new LabelledImage("image", image, new int[image.width() * image.height()]),
                new SplittableRandom(0));
        double sx = (double) at.scaledWidth() / image.width();
        double sy = (double) at.scaledHeight() / image.height();
        List<MaskPrompt> moved = new ArrayList<>();
        for (MaskPrompt p : prompts) {
            float[] c = p.coords().clone();
            for (int i = 0; i < c.length; i++) {
                c[i] = (float) (i % 2 == 0 ? at.left() + (c[i] + 0.5) * sx - 0.5 : at.top() + (c[i] + 0.5) * sy - 0.5);
            }
            moved.add(new MaskPrompt(p.mode(), c, p.label(), p.target()));
        }
        try (NDManager m = manager.newSubManager()) {
            return NoGradient.run(() -> {
                NDArray x = m.create(boxed.toSample().image(), new Shape(1, 3, size, size));
                NDArray emb = net.encodeImage(x);
                float[][] out = new float[moved.size()][];
                for (PromptMode mode : PromptMode.values()) {
                    List<Integer> at0 = new ArrayList<>();
                    List<MaskPrompt> group = new ArrayList<>();
                    for (int i = 0; i < moved.size(); i++) {
                        if (moved.get(i).mode() == mode) {
                            at0.add(i);
                            group.add(moved.get(i));
                        }
                    }
                    if (group.isEmpty()) {
                        continue;
                    }
                    NDArray e = emb.repeat(0, group.size());
                    Prompts ps = PromptableObjective.prompts(m, group, mode);
                    NDArray masks = net.toInputSize(net.maskLogits(e, ps));
                    masks = masks.get(":, :, " + at.top() + ":" + (at.top() + at.scaledHeight()) + ", " + at.left()
                            + ":" + (at.left() + at.scaledWidth()));
                    masks = Resize.bilinear(masks, image.height(), image.width(), false);
                    for (int k = 0; k < group.size(); k++) {
                        out[at0.get(k)] = masks.get(k + ", 0").toFloatArray();
                    }
                }
                return List.of(out);
            });
        }
    }

    static int eval(RunConfig c, Path checkpoint, Path adapter, boolean forceBase, Path out, String split,
            String prompts, PrintStream console) throws IOException {
        String p = prompts == null ? c.promptable().prompt() : prompts.toLowerCase(Locale.ROOT);
        if (!EVAL_PROMPTS.contains(p)) {
            throw new IllegalArgumentException("--prompts for eval of a promptable run must be point, box (from "
                    + "each connected defect region of the test masks) or none (prompt-free), got '" + prompts + "'");
        }
        PromptMode mode = PromptMode.parse(p);
        ImageDataset test = RunData.open(c.data(), split != null ? split : c.data().testSplit());
        RunData.requireReadable(test);
        Path dir = out != null ? out : Path.of(c.output()).resolve("eval");
        Path metrics = dir.resolve("metrics.json");
        InputFiles.of(List.of(checkpoint)).refuseOverwrite(metrics, "choose an --out folder away from the model");
        PromptedScores scores = new PromptedScores();
        int without = 0;
        try (NDManager m = EngineSetup.newManager()) {
            PromptableSegmenter net = restore(c, checkpoint, adapter, forceBase, m);
            SplittableRandom random = new SplittableRandom(0);
            for (int i = 0; i < test.size(); i++) {
                LabelledImage gt = test.read(i);
                int[] binary = MaskPrompts.binary(gt.mask(), test.numClasses());
                List<MaskPrompt> ps = MaskPrompts.all(binary, gt.width(), gt.height(), mode, random);
                if (ps.isEmpty()) {
                    without++;
                    continue;
                }
                List<float[]> logits = predict(net, m, gt.image(), ps, mode);
                for (int k = 0; k < ps.size(); k++) {
                    scores.add(logits.get(k), ps.get(k).target());
                }
            }
        }
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.put("task", "promptable").put("model", checkpoint.toString());
        if (adapter != null) {
            j.put("adapter", adapter.toString());
        }
        j.put("split", test.name()).put("images", test.size()).put("prompts", mode.id())
                .put("images_without_prompt", without).put("masks", scores.masks())
                .put("dice", scores.dice()).put("iou", scores.iou())
                .put("pooled_dice", scores.pooledDice()).put("pooled_iou", scores.pooledIou());
        j.putArray("thresholds").addAll(java.util.Arrays.stream(PromptedScores.THRESHOLDS)
                .mapToObj(v -> j.numberNode(v)).toList());
        Files.createDirectories(dir);
        AtomicFiles.write(metrics, o -> o.write(j.toPrettyString().getBytes(StandardCharsets.UTF_8)));
        console.printf(Locale.ROOT, "%s, %d images, %d masks (%s prompts%s): Dice %.2f  IoU %.2f (published: "
                + "per mask, averaged over thresholds 0.1-0.9 on the logits); pooled pixels at 0: Dice %.2f  IoU "
                + "%.2f (%%)%n", test.name(), test.size(), scores.masks(), mode.id(), without == 0 ? ""
                : ", " + without + " images without a defect region unprompted", 100 * scores.dice(),
                100 * scores.iou(), 100 * scores.pooledDice(), 100 * scores.pooledIou());
        console.printf("Report    %s%n", metrics);
        return 0;
    }

    static int predict(RunConfig c, List<Path> images, Path promptFile, List<String> boxes, Path checkpoint,
            Path adapter, boolean forceBase, Path out, PrintStream console) throws IOException {
        return predict(c, images, promptFile, boxes, List.of(), checkpoint, adapter, forceBase, out, console);
    }

    /**
     * {@code predict} of a promptable run: the prompts of {@code promptFile}, or the {@code boxes} and {@code points}
     * (command-line text) asked of every image, or the images prompt-free. One mask per prompt.
     */
    static int predict(RunConfig c, List<Path> images, Path promptFile, List<String> boxes, List<String> points,
            Path checkpoint, Path adapter, boolean forceBase, Path out, PrintStream console) throws IOException {
        Map<Path, List<MaskPrompt>> work = new LinkedHashMap<>();
        if (promptFile != null && !(boxes.isEmpty() && points.isEmpty())) {
            throw new IllegalArgumentException("give prompts either with --box/--point or in --prompts "
                    + promptFile + ", not both");
        }
        boolean free = promptFile == null && boxes.isEmpty() && points.isEmpty();
        if (promptFile != null) {
            work.putAll(PromptFile.read(promptFile));
        }
        List<MaskPrompt> given = new ArrayList<>();
        for (String b : boxes) {
            float[] corners = PromptFile.box(b.split(",", -1), 0, "--box " + b);
            given.add(MaskPrompt.box(corners[0], corners[1], corners[2], corners[3]));
        }
        for (String p : points) {
            given.add(PromptFile.point(p.split(",", -1), 0, "--point " + p));
        }
        for (Path image : images) {
            if (promptFile != null) {
                throw new IllegalArgumentException("give images either on the command line (prompt-free or with "
                        + "--box/--point) or in --prompts " + promptFile + ", not both");
            }
            work.put(image, given.isEmpty() ? List.of(MaskPrompt.none()) : given);
        }
        if (work.isEmpty()) {
            throw new IllegalArgumentException("no images: give image files (prompt-free, or with --box/--point) or "
                    + "--prompts FILE");
        }
        List<Path> read = new ArrayList<>(work.keySet());
        read.add(checkpoint);
        InputFiles inputs = InputFiles.of(read);
        Map<Path, List<Path>> targets = new LinkedHashMap<>();
        for (var e : work.entrySet()) {
            List<Path> t = new ArrayList<>();
            for (int k = 0; k < e.getValue().size(); k++) {
                Path target = ContainedPath.resolve(out.resolve("masks"), stem(e.getKey())
                        + (free ? "" : "_" + k), ".png", "image name");
                inputs.refuseOverwrite(target, "choose an --out folder whose masks/ holds no inputs");
                t.add(target);
            }
            targets.put(e.getKey(), t);
        }
        String source = promptFile != null ? promptFile.toString() : null;
        // Every prompt is checked against its image's size before anything is written.
        for (var e : work.entrySet()) {
            int[] wh = ImageDecoder.probe(e.getKey());
            PromptFile.check(e.getKey(), wh[0], wh[1], e.getValue(), source);
        }
        Palette palette = Palette.of(0, 0, 0, 255, 255, 255);
        try (NDManager m = EngineSetup.newManager()) {
            PromptableSegmenter net = restore(c, checkpoint, adapter, forceBase, m);
            Files.createDirectories(out.resolve("masks"));
            for (var e : work.entrySet()) {
                RgbImage image = ImageDecoder.readRgb(e.getKey());
                List<float[]> logits = predict(net, m, image, e.getValue());
                for (int k = 0; k < logits.size(); k++) {
                    float[] l = logits.get(k);
                    int[] mask = new int[l.length];
                    int area = 0;
                    for (int i = 0; i < l.length; i++) {
                        mask[i] = l[i] > 0 ? 1 : 0;
                        area += mask[i];
                    }
                    Path t = targets.get(e.getKey()).get(k);
                    ImageEncoder.writeIndexPng(mask, image.width(), image.height(), palette, t);
                    console.printf(Locale.ROOT, "%s: %s, %d defect pixels -> %s%n", e.getKey().getFileName(),
                            describe(e.getValue().get(k)), area, t);
                }
            }
        }
        return 0;
    }

    private static String describe(MaskPrompt p) {
        switch (p.mode()) {
            case BOX:
                return "box " + describe(p.coords());
            case POINT:
                return String.format(Locale.ROOT, "point %s,%s label %d", number(p.coords()[0]),
                        number(p.coords()[1]), p.label());
            default:
                return "no prompt";
        }
    }

    private static String number(float v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static String describe(float[] c) {
        return String.format(Locale.ROOT, "%.0f,%.0f,%.0f,%.0f", c[0], c[1], c[2], c[3]);
    }

    static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /**
     * Prompts to predict: a CSV file of {@code image,x0,y0,x1,y1} rows (a box, inclusive pixel corners) and
     * {@code image,x,y[,label]} rows (a click; label 1, a defect, unless given; 0 asks for background).
     */
    static final class PromptFile {
        private PromptFile() {}

        static Map<Path, List<MaskPrompt>> read(Path file) throws IOException {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(file + ": prompt file not found (--prompts)");
            }
            Map<Path, List<MaskPrompt>> out = new LinkedHashMap<>();
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            Path base = file.toAbsolutePath().getParent();
            for (int n = 0; n < lines.size(); n++) {
                String line = lines.get(n).strip();
                if (line.isEmpty() || line.startsWith("#") || (n == 0 && line.toLowerCase(Locale.ROOT)
                        .startsWith("image,"))) {
                    continue;
                }
                String where = file + " line " + (n + 1);
                String[] f = line.split(",", -1);
                if (f.length < 3 || f.length > 5) {
                    throw new IllegalArgumentException(where + ": expected image,x0,y0,x1,y1 (a box) or "
                            + "image,x,y[,label] (a click), got '" + line + "'");
                }
                Path image = Path.of(f[0].strip());
                if (!image.isAbsolute() && !Files.exists(image)) {
                    image = base.resolve(image);
                }
                if (!Files.isRegularFile(image)) {
                    throw new IllegalArgumentException(where + ": image " + f[0].strip() + " not found (relative "
                            + "paths are taken from the working directory, then from the prompt file's folder)");
                }
                float[] c = f.length == 5 ? box(f, 1, where) : null;
                MaskPrompt p = c != null ? MaskPrompt.box(c[0], c[1], c[2], c[3]) : point(f, 1, where);
                out.computeIfAbsent(image, k -> new ArrayList<>()).add(p);
            }
            return out;
        }

        /** Four coordinates from {@code f[from..from+3]}; {@code where} names the source in errors. */
        static float[] box(String[] f, int from, String where) {
            if (f.length != from + 4) {
                throw new IllegalArgumentException(where + ": a box is x0,y0,x1,y1");
            }
            float[] box = new float[4];
            for (int i = 0; i < 4; i++) {
                box[i] = coordinate(f[from + i], "box", where);
            }
            if (box[2] < box[0] || box[3] < box[1]) {
                throw new IllegalArgumentException(where + ": box " + describe(box) + " has x1 < x0 or y1 < y0 "
                        + "(corners are x0,y0 top-left, x1,y1 bottom-right)");
            }
            return box;
        }

        /** A click from {@code f[from..]}: x, y and an optional label, 1 (defect, the default) or 0 (background). */
        static MaskPrompt point(String[] f, int from, String where) {
            int n = f.length - from;
            if (n != 2 && n != 3) {
                throw new IllegalArgumentException(where + ": a point is x,y or x,y,label");
            }
            float[] xy = {coordinate(f[from], "point", where), coordinate(f[from + 1], "point", where)};
            int label = 1;
            if (n == 3) {
                String l = f[from + 2].strip();
                if (!l.equals("0") && !l.equals("1")) {
                    throw new IllegalArgumentException(where + ": point label must be 1 (a defect at the click) or 0 "
                            + "(background at the click), got '" + l + "'");
                }
                label = Integer.parseInt(l);
            }
            return MaskPrompt.point(xy[0], xy[1], label);
        }

        private static float coordinate(String s, String what, String where) {
            try {
                float v = Float.parseFloat(s.strip());
                if (Float.isFinite(v)) {
                    return v;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(where + ": " + what + " coordinate '" + s.strip()
                    + "' is not a number");
        }

        /**
         * Fails when a box or a click reaches outside its image; {@code file} names the prompt file, or is null for
         * prompts from the command line.
         */
        static void check(Path image, int width, int height, List<MaskPrompt> prompts, String file) {
            String corners = " (pixel coordinates run from 0,0 to " + (width - 1) + "," + (height - 1) + ")";
            for (MaskPrompt p : prompts) {
                float[] c = p.coords();
                if (p.mode() == PromptMode.BOX && (c[0] < 0 || c[1] < 0 || c[2] > width - 1
                        || c[3] > height - 1)) {
                    throw new IllegalArgumentException((file != null ? file : "--box") + ": box " + describe(c)
                            + " of " + image + " lies outside the " + width + "x" + height
                            + " image" + corners);
                }
                if (p.mode() == PromptMode.POINT && (c[0] < 0 || c[1] < 0 || c[0] > width - 1
                        || c[1] > height - 1)) {
                    throw new IllegalArgumentException((file != null ? file : "--point") + ": point "
                            + number(c[0]) + "," + number(c[1]) + " of " + image + " lies outside the "
                            + width + "x" + height + " image" + corners);
                }
            }
        }
    }
}
