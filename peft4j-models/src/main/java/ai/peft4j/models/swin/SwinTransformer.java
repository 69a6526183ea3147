package ai.peft4j.models.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.TokenGrid;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Swin Transformer: patch embedding, stages of shifted-window blocks with patch merging between them, a final
 * layer norm and, when {@code numClasses > 0}, a mean-pooled linear head. Parameter names match the published
 * PyTorch model, so its checkpoints load by name.
 */
public class SwinTransformer extends Module implements Layer {
    private final SwinConfig config;

    public SwinTransformer(NDManager manager, SwinConfig config) {
        this.config = config;
        registerModule("patch_embed", new PatchEmbed(manager, config.patchSize(), config.inChannels(),
                config.embedDim()));
        registerModule("pos_drop", new Dropout(config.dropRate()));
        int total = 0;
        for (int d : config.depths()) {
            total += d;
        }
        double[] dpr = new double[total];
        for (int i = 0; i < total; i++) {
            dpr[i] = total == 1 ? 0 : config.dropPathRate() * i / (total - 1);
        }
        ModuleList<SwinStage> layers = new ModuleList<>(SwinStage.class);
        int offset = 0;
        for (int k = 0; k < config.numStages(); k++) {
            int depth = config.depths()[k];
            double[] rates = java.util.Arrays.copyOfRange(dpr, offset, offset + depth);
            offset += depth;
            layers.add(new SwinStage(manager, config.stageDim(k), depth, config.numHeads()[k], config.windowSize(),
                    config.mlpRatio(), config.dropRate(), config.attnDropRate(), rates,
                    k < config.numStages() - 1));
        }
        registerModule("layers", layers);
        int features = config.stageDim(config.numStages() - 1);
        registerModule("norm", new LayerNorm(manager, features));
        if (config.numClasses() > 0) {
            registerModule("head", new Linear(manager, features, config.numClasses(), true));
        }
        initWeights();
    }

    /** The published initialisation: every Linear weight ~ N(0, 0.02) truncated, Linear biases 0. */
    private void initWeights() {
        for (Map.Entry<String, Module> e : namedModules().entrySet()) {
            if (e.getValue() instanceof Linear lin) {
                Initializers.truncNormal(lin.weight(), 0.02f);
                Parameter b = lin.bias();
                if (b != null) {
                    Initializers.constant(b, 0f);
                }
            }
        }
    }

    public SwinConfig config() {
        return config;
    }

    @SuppressWarnings("unchecked")
    public ModuleList<SwinStage> stages() {
        return (ModuleList<SwinStage>) child("layers");
    }

    /**
     * Runs the stem and the first {@code numStages} stages and returns each stage's output before patch merging,
     * as NCHW maps (stage k: {@code embedDim * 2^k} channels at 1/(4 * 2^k) of the input side).
     */
    public List<NDArray> featureMaps(NDArray images, int numStages) {
        if (numStages < 1 || numStages > config.numStages()) {
            throw new IllegalArgumentException("stages must be 1.." + config.numStages() + ", got " + numStages);
        }
        TokenGrid t = ((PatchEmbed) child("patch_embed")).forward(images);
        t = t.with(call("pos_drop", t.x()));
        List<NDArray> maps = new ArrayList<>(numStages);
        ModuleList<SwinStage> stages = stages();
        for (int k = 0; k < numStages; k++) {
            SwinStage.Output out = stages.get(k).forward(t);
            maps.add(out.features().toMap());
            t = out.next();
        }
        return maps;
    }

    /** All stages, the final norm and mean pooling; class logits when there is a head, else pooled features. */
    @Override
    public NDArray forward(NDArray images) {
        TokenGrid t = ((PatchEmbed) child("patch_embed")).forward(images);
        t = t.with(call("pos_drop", t.x()));
        for (SwinStage stage : stages().asList()) {
            t = stage.forward(t).next();
        }
        NDArray pooled = call("norm", t.x()).mean(new int[] {1});
        return hasChild("head") ? call("head", pooled) : pooled;
    }
}
