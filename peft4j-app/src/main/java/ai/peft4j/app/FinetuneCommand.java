package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.ConfigOverride;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.MethodFactory;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.RunFolderLock;
import ai.peft4j.app.run.RunTraining;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.TextPromptSource;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.BaseFingerprint;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import ai.peft4j.train.loop.Checkpoint;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainerConfig;
import ai.peft4j.train.loop.TrainingResult;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code peft4j finetune}: adapts a trained base model to a new data set with a fine-tuning method. */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Attach a fine-tuning method to a trained base model and train it on the run file's data "
            + "set (which may have other classes: the adapter brings its own head).",
            "The run directory gets the checkpoints, history.csv, curves.png, config.yaml, and the adapter as a "
                + "directory: adapter/ (last epoch) and adapter-best/ (best validation epoch). Use it with "
                + "'peft4j eval|predict --checkpoint BASE --adapter RUN/adapter-best'. Rerunning the same command "
                + "continues from the last checkpoint; another method, base, model, data or training settings in "
                + "the same directory are refused, and one run at a time holds a directory."})
final class FinetuneCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--method", description = "Fine-tuning method (--set method.name=NAME): full, classify, "
            + "bitfit, adapter, adaptformer, lora, convpass, vpt, tplora, tplora-readme (a preset), hf-lora, "
            + "adalora; for task: promptable (SAM, MobileSAM, EfficientSAM) sam-adapter, sam-lora, sam-adalora, "
            + "sam-decoder (the mask decoder alone); for "
            + "task: classification full, classify (head only), vit-lora, vit-top-k, vit-block (the old names "
            + "vit-full and vit-linear still load as full and classify); for task: detection "
            + "(Florence-2, --base a checkpoint folder) hf-lora or all-weights. method.options set the method's "
            + "config fields and bn_stats (frozen or update).")
    String method;

    @Option(names = "--base", paramLabel = "CKPT", description = "The base model's checkpoint (--set "
            + "model.init=CKPT), e.g. runs/neu-seg/best.safetensors.")
    Path base;

    @Option(names = "--force-base", description = "Continue a run even when --base is not the checkpoint the run "
            + "started from (its base fingerprint differs from the run's base.json).")
    boolean forceBase;

    @Option(names = "--prompt-text", paramLabel = "TEXT", description = "TP-LoRA: the sentence describing the "
            + "product line (--set method.options.prompt_text=TEXT), or a published one by name, e.g. "
            + "LARGE/ORANGE-NAVEL; encoded once by --text-encoder and kept in the run directory.")
    String promptText;

    @Option(names = "--text-encoder", paramLabel = "DIR", description = "TP-LoRA: the BERT checkpoint folder "
            + "(model.safetensors or pytorch_model.bin, config.json, vocab.txt; e.g. bert-base-uncased) that encodes "
            + "--prompt-text (--set method.options.text_encoder=DIR). It never trains and is not part of the "
            + "adapter.")
    Path textEncoder;

    @Mixin
    TrainingFlags flags;

    /** The run folder's record of the base it fine-tunes, checked when a rerun continues the run. */
    static final String BASE_RECORD = "base.json";

    @Override
    public Integer call() throws Exception {
        List<ConfigOverride> named = new ArrayList<>();
        if (method != null) {
            named.add(ConfigOverride.ofOption("method.name", "--method", method));
        }
        if (base != null) {
            named.add(ConfigOverride.ofOption("model.init", "--base", base));
        }
        if (promptText != null) {
            // Quoted, so a sentence with ': ' or a leading '[' stays text rather than becoming YAML structure.
            named.add(new ConfigOverride("method.options.prompt_text", new ObjectMapper().writeValueAsString(
                    promptText), "--prompt-text " + promptText));
        }
        if (textEncoder != null) {
            named.add(ConfigOverride.ofOption("method.options.text_encoder", "--text-encoder", textEncoder));
        }
        named.addAll(flags.overrides());
        RunConfigFile rc = config.require("finetune", named);
        RunConfig c = rc.config();
        if (c.method().name().isEmpty()) {
            throw new IllegalArgumentException("no method: give --method NAME or method.name in the run file");
        }
        if (c.model().init().isEmpty()) {
            throw new IllegalArgumentException("no base model: give --base CKPT or model.init in the run file");
        }
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        RunTraining.requireNoClassWeights(c);
        if (c.detects()) {
            return DetectionRuns.finetune(rc, console, this::checkBase);
        }
        if (c.classifies()) {
            return ClassificationRuns.finetune(rc, console, this::checkBase);
        }
        if (c.promptableTask()) {
            return PromptableRuns.finetune(rc, console, this::checkBase);
        }
        ImageDataset train = RunData.open(c.data(), c.data().trainSplit());
        ImageDataset val = c.data().valSplit().isEmpty() ? null : RunData.open(c.data(), c.data().valSplit());
        RunData.requireReadable(train, val);
        int classes = TrainCommand.classes(c, train);
        // The weights are checked against the classes before anything is written.
        TrainerConfig trainerConfig = RunTraining.segmentationConfig(c.training(), classes, train.classNames());
        Path out = Path.of(c.output());
        try (NDManager m = EngineSetup.newManager()) {
            Weights w = Weights.read(Path.of(c.model().init()), m);
            int baseClasses = w.classes() > 0 ? w.classes() : classes;
            EngineSetup.seed(c.training().seed());
            Module model = SegmentationNet.build(c.model(), baseClasses, m);
            SegmentationNet.loadStrict(model, w);
            TextPromptSource prompts = new TextPromptSource(out);
            PeftMethod pm = MethodFactory.create(c.method().name(), c.method().options(), m, prompts);
            if (pm instanceof SegmenterMethod sm) {
                sm.withClasses(classes);
            } else if (baseClasses != classes) {
                throw new IllegalArgumentException("method '" + pm.name() + "' keeps the base model's head ("
                        + baseClasses + " classes) but the data set has " + classes);
            }
            Attachment a = pm.attach(model);
            RunTraining.checkBnRecalibrate(model, c.training(), pm.name());
            // Weights and method are known to fit before the run directory is made.
            RunData.createRunDirectory(out);
            // The lock before the check: the settings compared must be those of the run that continues.
            try (RunFolderLock lock = RunFolderLock.take(out, console)) {
                // The base is compared by its content (base.json) rather than by the path of model.init.
                RunTraining.checkResumable(out, c, trainerConfig, Set.of("model.init"));
                checkBase(out, w.file(), a.baseFingerprint());
                prompts.store();
                rc.writeResolved(out, "finetune");
                RunSummary.model(console, pm.name() + " on " + SegmentationNet.spec(c.model(), baseClasses)
                        .describe() + " from " + w.file() + ", " + classes + " classes", model);
                if (prompts.encoded() != null) {
                    console.printf(Locale.ROOT, "Prompt    %d BERT tokens of \"%s\"%n",
                            prompts.encoded().prompt().seq(), prompts.encoded().text());
                }
                console.printf(Locale.ROOT, "Data      %s: %d training images%s%n", c.data().root(), train.size(),
                        val == null ? ", no validation" : ", " + val.size() + " validation images");
                TrainingResult r = RunTraining.fit(model, c.training(), c.model().imageSize(), c.data(), train, val,
                        out, console);
                AdapterFiles.save(a, out.resolve("adapter"));
                if (r.bestCheckpoint() != null) {
                    model.loadStateDict(Checkpoint.read(r.bestCheckpoint(), m).modelState(), true);
                    AdapterFiles.save(a, out.resolve("adapter-best"));
                }
                RunSummary.result(console, r, out);
                console.printf(Locale.ROOT, "Adapter   %s%s%n", out.resolve("adapter"),
                        r.bestCheckpoint() == null ? "" : ", best epoch's: " + out.resolve("adapter-best"));
            }
        }
        return 0;
    }

    /**
     * Refuses to continue a run on another base than the one it started from, unless forced: the checkpoint's
     * adapter weights were trained for that base. Records the base of a fresh (or forced) run.
     */
    private void checkBase(Path out, Path baseFile, String fingerprint) throws IOException {
        Path record = out.resolve(BASE_RECORD);
        ObjectMapper json = new ObjectMapper();
        if (Files.isRegularFile(out.resolve(Trainer.LAST)) && Files.isRegularFile(record)) {
            JsonNode r = json.readTree(record.toFile());
            String before = r.path("fingerprint").asText();
            if (!before.equals(fingerprint) && !forceBase) {
                throw new IllegalArgumentException(out + " was started on base " + BaseFingerprint.shorten(before)
                        + " (" + r.path("checkpoint").asText() + ", see " + record + ") but --base " + baseFile
                        + " is " + BaseFingerprint.shorten(fingerprint) + "; give the run's base, a new output "
                        + "folder, or --force-base");
            }
            if (before.equals(fingerprint)) {
                return;
            }
        }
        ObjectNode r = json.createObjectNode();
        r.put("checkpoint", baseFile.toString()).put("fingerprint", fingerprint);
        AtomicFiles.write(record, o -> o.write(r.toPrettyString().getBytes(
                StandardCharsets.UTF_8)));
    }
}
