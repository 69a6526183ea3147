package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.RunTraining;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.train.loop.TrainingResult;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
                + "checkpoint."})
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
        ImageDataset train = RunData.open(c.data(), c.data().trainSplit());
        ImageDataset val = c.data().valSplit().isEmpty() ? null : RunData.open(c.data(), c.data().valSplit());
        int classes = classes(c, train);
        Path out = Path.of(c.output());
        RunTraining.checkResumable(out, RunTraining.trainerConfig(c.training(), classes));
        Files.createDirectories(out);
        rc.writeResolved(out, "train");
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(c.training().seed());
            Module model = SegmentationNet.build(c.model(), classes, m);
            RunSummary.model(console, SegmentationNet.spec(c.model(), classes).describe(), model);
            if (!c.model().init().isEmpty()) {
                LoadReport r = SegmentationNet.loadLenient(model, Weights.read(Path.of(c.model().init()), m));
                console.printf(Locale.ROOT, "Init      %s: %d tensors loaded, %d kept their initial values, %d in "
                        + "the file unused%n", c.model().init(), r.loaded().size(), r.missing().size()
                        + r.mismatched().size(), r.unexpected().size());
            }
            console.printf(Locale.ROOT, "Data      %s: %d training images%s%n", c.data().root(), train.size(),
                    val == null ? ", no validation" : ", " + val.size() + " validation images");
            TrainingResult r = RunTraining.fit(model, c.training(), c.model().imageSize(), c.data(), train, val,
                    out, console);
            RunSummary.result(console, r, out);
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
