package ai.peft4j.app;

import ai.peft4j.app.config.ConfigOverride;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Named shortcuts for the run-file keys changed most often; each is the same as the {@code --set} shown. */
final class TrainingFlags {
    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (--set output=DIR).")
    Path out;

    @Option(names = "--epochs", description = "(--set training.epochs=N)")
    Integer epochs;

    @Option(names = "--batch", description = "(--set training.batch=N)")
    Integer batch;

    @Option(names = "--lr", description = "(--set training.lr=X)")
    Double lr;

    @Option(names = "--seed", description = "(--set training.seed=N)")
    Long seed;

    @Option(names = "--loader-threads", description = "Threads that decode and augment the next batches (--set "
            + "training.workers=N); --workers elsewhere counts model workers.")
    Integer workers;

    @Option(names = "--size", description = "Network input side (--set model.image_size=N).")
    Integer size;

    @Option(names = "--crops", paramLabel = "SIZE", description = "Train on SIZE x SIZE crops at native resolution "
            + "and predict by sliding windows (--set data.sampling=crops --set data.crop_size=SIZE).")
    Integer crops;

    @Option(names = "--scale", paramLabel = "X", description = "Resize images by X before cropping and tiling "
            + "(--set data.scale=X).")
    Double scale;

    @Option(names = "--bn-recalibrate", paramLabel = "N", description = "Before each validation and after the last "
            + "epoch, re-estimate the BatchNorm statistics that train from N training batches, no gradients "
            + "(--set training.bn_recalibrate=N; 0 for off).")
    Integer bnRecalibrate;

    @Option(names = "--micro-batch", paramLabel = "N", description = "Run each batch in parts of N images whose "
            + "gradients add up (gradient accumulation): less memory for the same update when no BatchNorm statistics "
            + "train (--set training.micro_batch=N; 0 for the whole batch).")
    Integer microBatch;

    List<ConfigOverride> overrides() {
        List<ConfigOverride> o = new ArrayList<>();
        if (out != null) {
            o.add(ConfigOverride.ofOption("output", "--out", out));
        }
        add(o, "training.epochs", "--epochs", epochs);
        add(o, "training.batch", "--batch", batch);
        add(o, "training.lr", "--lr", lr);
        add(o, "training.seed", "--seed", seed);
        add(o, "training.workers", "--loader-threads", workers);
        add(o, "model.image_size", "--size", size);
        if (crops != null) {
            o.add(new ConfigOverride("data.sampling", "crops", "--crops " + crops));
        }
        add(o, "data.crop_size", "--crops", crops);
        add(o, "data.scale", "--scale", scale);
        add(o, "training.bn_recalibrate", "--bn-recalibrate", bnRecalibrate);
        add(o, "training.micro_batch", "--micro-batch", microBatch);
        return o;
    }

    private static void add(List<ConfigOverride> o, String path, String option, Object value) {
        if (value != null) {
            o.add(ConfigOverride.ofOption(path, option, value));
        }
    }
}
