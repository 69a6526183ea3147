package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.RunFolderLock;
import ai.peft4j.app.run.RunTraining;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.train.loop.TrainerConfig;
import ai.peft4j.train.loop.TrainingResult;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code peft4j train}: trains a base model from a run file. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a segmentation model on a data set as a YAML run file describes it (model, data, "
            + "training, output).",
            "The run directory gets config.yaml (the resolved settings and where they came from), last and best "
                + "checkpoints, history.csv and curves.png. Rerunning the same command continues from the last "
                + "checkpoint; other model, data or training settings in the same directory are refused, and one run "
                + "at a time holds a directory."})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Mixin
    TrainingFlags flags;

    @Override
    public Integer call() throws Exception {
        RunConfigFile rc = config.require("train", flags.overrides());
        RunConfig c = rc.config();
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (c.detects()) {
            throw new IllegalArgumentException("a task: detection run trains with 'peft4j finetune' from a Florence-2 "
                    + "checkpoint folder (--base DIR; --method hf-lora, or full for every weight); 'peft4j boxes "
                    + "--starter DIR' writes one with fresh weights");
        }
        RunTraining.requireNoClassWeights(c);
        if (c.classifies()) {
            return ClassificationRuns.train(rc, console);
        }
        if (c.promptableTask()) {
            return PromptableRuns.train(rc, console);
        }
        ImageDataset train = RunData.open(c.data(), c.data().trainSplit());
        ImageDataset val = c.data().valSplit().isEmpty() ? null : RunData.open(c.data(), c.data().valSplit());
        RunData.requireReadable(train, val);
        int classes = classes(c, train);
        // The weights are checked against the classes before anything is written.
        TrainerConfig trainerConfig = RunTraining.segmentationConfig(c.training(), classes, train.classNames());
        Path out = Path.of(c.output());
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(c.training().seed());
            Module model = SegmentationNet.build(c.model(), classes, m);
            String described = SegmentationNet.spec(c.model(), classes).describe();
            // Weights that do not fit fail here, before the run directory is made.
            LoadReport init = c.model().init().isEmpty() ? null
                    : SegmentationNet.loadLenient(model, Weights.read(Path.of(c.model().init()), m), described);
            RunTraining.checkBnRecalibrate(model, c.training(), null);
            RunData.createRunDirectory(out);
            // The lock before the check: the settings compared must be those of the run that continues.
            try (RunFolderLock lock = RunFolderLock.take(out, console)) {
                RunTraining.checkResumable(out, c, trainerConfig);
                rc.writeResolved(out, "train");
                RunSummary.model(console, described, model);
                if (init != null) {
                    console.printf(Locale.ROOT, "Init      %s: %d tensors loaded, %d kept their initial values, "
                            + "%d in the file unused%n", c.model().init(), init.loaded().size(), init.missing().size()
                            + init.mismatched().size(), init.unexpected().size());
                }
                console.printf(Locale.ROOT, "Data      %s: %d training images%s%n", c.data().root(), train.size(),
                        val == null ? ", no validation" : ", " + val.size() + " validation images");
                TrainingResult r = RunTraining.fit(model, c.training(), c.model().imageSize(), c.data(), train, val,
                        out, console);
                RunSummary.result(console, r, out);
            }
        }
        return 0;
    }

    /** The model's class count: the data set's, which the model section may repeat but not contradict. */
    static int classes(RunConfig c, ImageDataset data) {
        int n = data.numClasses();
        if (c.model().classes() > 0 && c.model().classes() != n) {
            throw new IllegalArgumentException("model.classes is " + c.model().classes() + " but the data set has "
                    + n + " classes " + data.classNames() + "; leave model.classes at 0 or make them agree");
        }
        return n;
    }
}
