package ai.peft4j.peft.lora;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.PeftMethod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA (and DoRA, rsLoRA) as HF PEFT defines it, on any model: each module named by {@code target_modules} gets
 * {@code y + scaling * B(A(dropout(x)))}; {@code modules_to_save} are replaced by trained copies; everything else
 * is frozen.
 */
public final class Lora implements PeftMethod {
    private final LoraConfig config;

    public Lora(LoraConfig config) {
        this.config = config;
    }

    public LoraConfig config() {
        return config;
    }

    @Override
    public String name() {
        return config.useDora() ? "dora" : "lora";
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("r", config.r());
        s.put("lora_alpha", config.loraAlpha());
        s.put("lora_dropout", config.loraDropout());
        s.put("target_modules", config.targetModules().toString());
        s.put("modules_to_save", config.modulesToSave());
        s.put("rank_pattern", config.rankPattern());
        s.put("alpha_pattern", config.alphaPattern());
        s.put("use_rslora", config.useRslora());
        s.put("use_dora", config.useDora());
        s.put("init_lora_weights", config.initLoraWeights().name().toLowerCase(java.util.Locale.ROOT));
        return s;
    }

    @Override
    public Attachment attach(Module model) {
        return apply(model).attachment();
    }

    /** Attaches to {@code model} and returns the adapter, with its layers and merging. */
    public LoraAdapter apply(Module model) {
        List<String> targets = config.targetModules().require(model, "LoRA", Linear.class, Conv2d.class);
        List<String> toSave = new ArrayList<>();
        for (String path : model.namedModules().keySet()) {
            if (!path.isEmpty() && config.savesModule(path)) {
                toSave.add(path);
            }
        }
        for (String name : config.modulesToSave()) {
            if (toSave.stream().noneMatch(p -> p.equals(name) || p.endsWith("." + name))) {
                throw new IllegalArgumentException("modules_to_save entry '" + name + "' matches no module of this "
                        + model.getClass().getSimpleName() + " (top-level modules: " + model.children().keySet()
                        + ")");
            }
        }
        for (String path : targets) {
            Module m = model.module(path);
            if (!(m instanceof Linear) && !(m instanceof Conv2d)) {
                throw new IllegalArgumentException("LoRA target '" + path + "' is a " + m.getClass().getSimpleName()
                        + "; LoRA adapts Linear and Conv2d modules, so narrow target_modules " + config.targetModules()
                        + " to those");
            }
        }
        Attachment attachment = new Attachment(model, this);
        Map<String, LoraLayer> layers = new LinkedHashMap<>();
        try {
            for (String path : targets) {
                layers.put(path, LoraLayer.attach(attachment, path, config.rankFor(path), config.scalingFor(path),
                        (float) config.loraDropout(), config.useDora(), config.initLoraWeights()));
            }
            for (String path : toSave) {
                attachment.swapModule(path, trainedCopy(path, model.module(path)));
            }
        } catch (RuntimeException e) {
            attachment.deactivate(); // no half-attached adapter stays behind
            throw e;
        }
        attachment.markTrainable();
        return new LoraAdapter(config, attachment, layers, toSave);
    }

    /** A copy with the same weights that the adapter owns and trains (HF's {@code ModulesToSaveWrapper}). */
    static Module trainedCopy(String path, Module original) {
        Module copy;
        if (original instanceof Linear) {
            Linear l = (Linear) original;
            copy = new Linear(managerOf(l), l.inFeatures(), l.outFeatures(), l.bias() != null);
        } else if (original instanceof Conv2d) {
            Conv2d c = (Conv2d) original;
            copy = new Conv2d(managerOf(c), c.inChannels(), c.outChannels(), c.kernel(), c.stride(), c.padding(),
                    c.groups(), c.bias() != null);
        } else {
            throw new IllegalArgumentException("modules_to_save '" + path + "' is a "
                    + original.getClass().getSimpleName() + "; peft4j copies Linear and Conv2d modules (task heads)");
        }
        copy.loadStateDict(original.stateDict(), true);
        return copy;
    }

    private static NDManager managerOf(Module m) {
        return m.parameter("weight").data().getManager();
    }
}
