package ai.peft4j.peft.adalora;

import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.PeftMethod;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** AdaLoRA as HF PEFT defines it, on the Linear modules named by {@code target_modules}. */
public final class AdaLora extends PeftMethod {
    private final AdaLoraConfig config;
    /** The layers of the last attach, for {@link #apply}. */
    private Map<String, AdaLoraLayer> lastLayers = Map.of();

    public AdaLora(AdaLoraConfig config) {
        this.config = config;
    }

    @Override
    public AdaLoraConfig config() {
        return config;
    }

    @Override
    public String name() {
        return "adalora";
    }

    /** Attaches to {@code model}; the adapter carries its rank allocator and orthogonality penalty. */
    public AdaLoraAdapter apply(Module model) {
        Attachment attachment = attach(model);
        return new AdaLoraAdapter(config, attachment, lastLayers);
    }

    @Override
    protected List<String> findTargets(Module model) {
        return config.targetModules().require(model, "AdaLoRA", Linear.class);
    }

    @Override
    protected void check(Module model, List<String> targets) {
        for (String path : targets) {
            Module m = model.module(path);
            if (!(m instanceof Linear)) {
                throw new IllegalArgumentException("AdaLoRA target '" + path + "' is a "
                        + m.getClass().getSimpleName() + "; AdaLoRA adapts Linear modules, so narrow target_modules "
                        + config.targetModules() + " to those");
            }
        }
    }

    @Override
    protected void addTo(Attachment attachment, List<String> targets) {
        Map<String, AdaLoraLayer> layers = new LinkedHashMap<>();
        for (String path : targets) {
            int rank = config.rankOf(path);
            if (rank > 0) {
                layers.put(path, AdaLoraLayer.attach(attachment, path, rank, config.initR(), config.scaling(),
                        (float) config.loraDropout()));
            }
        }
        lastLayers = layers;
    }
}
