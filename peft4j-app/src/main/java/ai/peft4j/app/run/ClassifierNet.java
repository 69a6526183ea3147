package ai.peft4j.app.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.config.ClassificationSection;
import ai.peft4j.app.config.ModelSection;
import ai.peft4j.app.config.SettingException;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.models.vit.HfVitNames;
import ai.peft4j.models.vit.VisionTransformer;
import ai.peft4j.models.vit.VitConfig;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.MethodInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The classifier of a {@code task: classification} run: a timm-named ViT of {@code model.backbone}'s preset at
 * {@code model.image_size}, fed pixels normalised by the run's mean and std, loading timm or Hugging Face
 * checkpoints by name.
 */
public final class ClassifierNet {
    /** The preset when {@code model.backbone} is empty: one that trains on two cores. */
    public static final String DEFAULT_PRESET = "vit-mini";

    private ClassifierNet() {}

    public static VisionTransformer build(ModelSection s, int classes, NDManager manager) {
        return new VisionTransformer(manager, config(s, classes));
    }

    public static VitConfig config(ModelSection s, int classes) {
        if (!s.name().equalsIgnoreCase("vit")) {
            throw new SettingException("model.name", "model.name must be vit for task classification (the preset "
                    + "goes in model.backbone: " + VitConfig.PRESETS + "), got '" + s.name() + "'");
        }
        VitConfig preset;
        try {
            preset = VitConfig.preset(s.backbone().isEmpty() ? DEFAULT_PRESET : s.backbone(), classes);
        } catch (IllegalArgumentException e) {
            throw new SettingException("model.backbone", "model.backbone: " + e.getMessage());
        }
        if (s.imageSize() % preset.patchSize() != 0) {
            throw new SettingException("model.image_size", "model.image_size " + s.imageSize() + " must be a "
                    + "multiple of the ViT's patch size " + preset.patchSize());
        }
        return preset.withImageSize(s.imageSize());
    }

    /** For the console: e.g. "ViT vit-mini (64x64, patch 8, dim 96, depth 6), 3 classes". */
    public static String describe(ModelSection s, int classes) {
        VitConfig v = config(s, classes);
        return String.format(Locale.ROOT, "ViT %s (%dx%d, patch %d, dim %d, depth %d), %d classes",
                s.backbone().isEmpty() ? DEFAULT_PRESET : s.backbone(), v.imageSize(), v.imageSize(), v.patchSize(),
                v.embedDim(), v.depth(), classes);
    }

    /** The model as the trainer and predictor call it: images in [0, 1] normalised, then the ViT. */
    public static Layer layer(VisionTransformer vit, ClassificationSection c) {
        float[] mean = floats(c.mean());
        float[] std = floats(c.std());
        return x -> {
            NDManager m = x.getManager();
            NDArray mu = m.create(mean, new Shape(1, 3, 1, 1));
            NDArray sd = m.create(std, new Shape(1, 3, 1, 1));
            return vit.forward(x.sub(mu).div(sd));
        };
    }

    /** The file's tensors under timm's names (Hugging Face ViT names are mapped). */
    public static Weights timmNames(Weights w) {
        return HfVitNames.matches(w.tensors().keySet())
                ? new Weights(w.file(), HfVitNames.toTimm(w.tensors()), w.classes(), null) : w;
    }

    /** The class count of the file's head, 0 when it has none (a backbone such as DINO or ViT-in21k). */
    public static int headClasses(Weights w) {
        NDArray head = w.tensors().get("head.weight");
        return head == null ? 0 : (int) head.getShape().get(0);
    }

    /**
     * Loads a base checkpoint strictly, the head aside: a file without a head, or with one of another class count
     * when {@code replaceHead}, leaves the model a fresh head, zeroed so that the base is the same at every load
     * (peft-vit draws it at random). Returns what happened to the head, for the console.
     *
     * @param remedy what to do when the head's class count differs and may not be replaced
     */
    public static String loadBase(VisionTransformer vit, Weights file, boolean replaceHead, String remedy) {
        Weights w = timmNames(file);
        int classes = vit.config().numClasses();
        int own = headClasses(w);
        if (own > 0 && own != classes && !replaceHead) {
            throw new IllegalArgumentException(w.file() + ": its head has " + own + " classes but the data has "
                    + classes + "; " + remedy);
        }
        Map<String, NDArray> tensors = new LinkedHashMap<>(w.tensors());
        boolean fresh = own != classes;
        if (fresh) {
            tensors.keySet().removeIf(k -> k.startsWith("head."));
        }
        LoadReport r = vit.loadStateDict(tensors, false);
        List<String> missing = r.missing().stream().filter(k -> !(fresh && k.startsWith("head."))).toList();
        if (!missing.isEmpty() || !r.unexpected().isEmpty() || !r.mismatched().isEmpty()) {
            throw new IllegalArgumentException(w.file() + ": does not fit this ViT (" + r.describe() + ")\n"
                    + "Check model.backbone and model.image_size; a finetune run's own checkpoints hold the adapter "
                    + "too: give the base checkpoint with --adapter RUN/adapter instead.");
        }
        if (!fresh) {
            return "";
        }
        Linear head = (Linear) vit.module("head");
        Initializers.constant(head.weight(), 0f);
        Initializers.constant(head.bias(), 0f);
        return own == 0 ? "no head in the file: a fresh " + classes + "-class head"
                : "its " + own + "-class head replaced by a fresh " + classes + "-class head";
    }

    /**
     * A trained classifier for eval and predict: the checkpoint, and the adapter of a finetune run on top (which
     * brings its own head, so a base head of another class count is replaced).
     */
    public static VisionTransformer restore(ModelSection s, int classes, Path checkpoint, Path adapter,
            boolean forceBase, NDManager manager) throws IOException {
        return restoreAttached(s, classes, checkpoint, adapter, forceBase, manager).vit();
    }

    /** A restored classifier and its adapter's attachment (null without {@code --adapter}), to switch it off. */
    public record Restored(VisionTransformer vit, Attachment adapter) {}

    /** As {@link #restore}, keeping the adapter's attachment. */
    public static Restored restoreAttached(ModelSection s, int classes, Path checkpoint, Path adapter,
            boolean forceBase, NDManager manager) throws IOException {
        Weights w = timmNames(Weights.read(checkpoint, manager));
        VisionTransformer vit = build(s, classes, manager);
        loadBase(vit, w, adapter != null, "it predicts other classes than the data set's: score it on its own data, "
                + "or fine-tune it (finetune with classification.new_head: true) and give --adapter");
        Attachment a = null;
        if (adapter != null) {
            if (!Files.isDirectory(adapter)) {
                throw new IllegalArgumentException(adapter + ": adapter directory not found");
            }
            a = AdapterFiles.load(adapter, vit, manager, new AdapterFiles.LoadOptions(forceBase,
                    MethodInputs.none().withFreshBlock(b -> vit.newBlock())));
        }
        vit.eval();
        return new Restored(vit, a);
    }

    private static float[] floats(List<Double> v) {
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i).floatValue();
        }
        return out;
    }
}
