package ai.peft4j.app.run;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.ModelSection;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.infer.predict.Predictor;
import ai.peft4j.models.ModelSpec;
import java.util.List;

/** Builds the segmentation model a {@link ModelSection} names and loads weights into it. */
public final class SegmentationNet {
    /** The architectures that map images to per-pixel logits. */
    public static final List<String> SEGMENTERS = List.of("swin-att-unet", "fastsegformer-p", "fastsegformer-e",
            "fastsegformer-teacher");

    private SegmentationNet() {}

    /** The model with fresh weights for {@code classes} classes. */
    public static Module build(ModelSection m, int classes, NDManager manager) {
        ModelSpec spec = spec(m, classes);
        if (!SEGMENTERS.contains(spec.model())) {
            throw new IllegalArgumentException("model.name '" + m.name() + "' is not a segmentation model (these "
                    + "are: " + String.join(", ", SEGMENTERS) + ")");
        }
        if (m.imageSize() % 16 != 0) {
            throw new IllegalArgumentException("model.image_size must be a multiple of 16 (the decoders start at "
                    + "1/16 or 1/32 of the input), got " + m.imageSize());
        }
        return spec.build(manager);
    }

    public static ModelSpec spec(ModelSection m, int classes) {
        return ModelSpec.of(m.name(), m.backbone(), classes);
    }

    /** The model seen as what trainers and predictors call: a module with one input. */
    @SuppressWarnings("unchecked")
    public static <M extends Module & Layer> M layer(Module model) {
        if (!(model instanceof Layer)) {
            throw new IllegalArgumentException(model.getClass().getSimpleName() + " has no one-input forward");
        }
        return (M) model;
    }

    /** Tiles per forward pass where a command has no option for it (eval's and predict's --tile-batch default). */
    public static final int TILE_BATCH = 4;

    /**
     * How a run's model predicts whole images, in eval, predict, serve and Spark alike: letterboxed into
     * {@code model.image_size}, or, for a run trained on crops ({@code data.sampling: crops}), by sliding windows of
     * the crop size at the run's overlap and scale, {@code tileBatch} tiles per forward pass.
     */
    public static Predictor.Builder predictor(RunConfig run, Module model, int tileBatch) {
        return predictor(run, model, tileBatch, false);
    }

    /**
     * As above; with {@code logitAdjust}, each class's logits are lowered by the log of its
     * {@code training.class_weights} entry (the weighting's prior taken out), refused for a run without weights.
     */
    public static Predictor.Builder predictor(RunConfig run, Module model, int tileBatch, boolean logitAdjust) {
        Predictor.Builder pb = Predictor.builder().setModel(layer(model)).setInputSize(run.model().imageSize());
        if (run.data().crops()) {
            pb.optSlidingWindow(RunTraining.slidingWindow(run.data(), run.model().imageSize(), tileBatch));
        }
        if (logitAdjust) {
            if (run.training().classWeights().isEmpty()) {
                throw new IllegalArgumentException("--logit-adjust: the run trained without training.class_weights, "
                        + "so its scores carry no weighting to take out");
            }
            pb.optLogitOffsets(Predictor.Builder.priorOffsets(run.training().classWeights()));
        }
        return pb;
    }

    /** Loads every tensor of the model from {@code w}; a mismatch fails with the keys and a hint. */
    public static void loadStrict(Module model, Weights file) {
        Weights w = file.forModel(model);
        LoadReport r = model.loadStateDict(w.tensors(), false);
        if (!r.isClean()) {
            throw new IllegalArgumentException(w.file() + ": does not fit this model (" + r.describe()
                    + w.layoutNote() + ")\n"
                    + "Check model.name, model.backbone and the class count; a finetune run's own checkpoints hold "
                    + "the adapter too: evaluate the base checkpoint with --adapter RUN/adapter instead.");
        }
    }

    /**
     * Loads what matches (e.g. a pretrained backbone, such as a published Swin ImageNet checkpoint whose keys go under
     * {@code swin_backbone.}) and says what did not. Fails, loading nothing that matters, when fewer than half of
     * the model's tensors and fewer than half of the file's match: a pretrained backbone matches most of its file,
     * a checkpoint of the same model most of the model, another model's checkpoint neither.
     *
     * @param model the model, described as {@code described} in errors (e.g. "Swin-Att-UNet (swin-t backbone, ...)")
     */
    public static LoadReport loadLenient(Module model, Weights file, String described) {
        Weights w = file.forModel(model);
        LoadReport r = model.loadStateDict(w.tensors(), false);
        int loaded = r.loaded().size();
        int inModel = loaded + r.missing().size() + r.mismatched().size();
        int inFile = loaded + r.unexpected().size() + r.mismatched().size();
        if (2 * loaded < inModel && 2 * loaded < inFile) {
            throw new IllegalArgumentException(w.file() + ": " + loaded + " of " + inModel + " model tensors found "
                    + "in it (by name and shape; " + loaded + " of its " + inFile + " tensors used"
                    + (w.layout() != null && w.layout().layout().isAsSaved() ? "" : w.layoutNote())
                    + "); is it a checkpoint of this model, " + described + "? Check model.init, model.name and "
                    + "model.backbone");
        }
        return r;
    }
}
