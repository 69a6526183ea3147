package ai.peft4j.app;

import ai.peft4j.app.config.ConfigOverride;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * How eval and predict turn a model's logits into class maps: the tiles slid over an image for a model trained on
 * crops, and whether the prior of the run's class weights is taken out; the run file gives the rest.
 */
final class PredictionOptions {
    @Option(names = "--tile-overlap", paramLabel = "SHARE", description = "For a model trained on crops: the share "
            + "of a tile that neighbouring tiles share (--set data.tile_overlap=SHARE; default: the run file's).")
    Double overlap;

    @Option(names = "--tile-batch", defaultValue = "4", paramLabel = "N", description = "For a model trained on "
            + "crops: tiles per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--logit-adjust", description = "For a run trained with training.class_weights w: lower each "
            + "class's logits by ln w before the argmax (logit adjustment), so that the weighting's prior, which "
            + "makes the network over-call the weighted classes, is taken out again: fewer false alarms, fewer "
            + "hits.")
    boolean logitAdjust;

    /** {@code --tile-overlap} as the run-file key it stands for, or nothing when it is not given. */
    List<ConfigOverride> overrides() {
        return overlap == null ? List.of()
                : List.of(ConfigOverride.ofOption("data.tile_overlap", "--tile-overlap", overlap));
    }

    /**
     * Refuses {@code --logit-adjust} where it would be ignored: a run other than class-map segmentation, or a video,
     * MJPEG or camera stream ({@code stream} true), whose frames take another path.
     */
    void checkLogitAdjust(ai.peft4j.app.config.RunConfig c, boolean stream) {
        if (!logitAdjust) {
            return;
        }
        if (c.classifies() || c.detects() || c.promptableTask()) {
            throw new IllegalArgumentException("--logit-adjust applies to segmentation runs; this is a " + c.task()
                    + " run");
        }
        if (stream) {
            throw new IllegalArgumentException("--logit-adjust applies to images, not to --video, --mjpeg or "
                    + "--camera streams");
        }
    }

    /** Tiles per forward pass, refused below one. */
    int batch() {
        if (batch < 1) {
            throw new IllegalArgumentException("--tile-batch must be at least 1, got " + batch);
        }
        return batch;
    }
}
