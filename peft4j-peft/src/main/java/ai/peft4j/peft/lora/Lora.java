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
import java.util.Optional;

/**
 * LoRA (and DoRA, rsLoRA) as HF PEFT defines it, on any model: each module named by {@code target_modules} gets
 * {@code y + scaling * B(A(dropout(x)))}; {@code modules_to_save} are replaced by trained copies; everything else
 * is frozen. Its name is {@code hf-lora}.
 */
public final class Lora extends PeftMethod {
    public static final String NAME = "hf-lora";
    private final LoraConfig config;
    /** The layers and saved modules of the last attach, for {@link #apply}. */
    private Map<String, LoraLayer> lastLayers = Map.of();
    private List<String> lastSaved = List.of();
    private Attachment lastAttachment;

    public Lora(LoraConfig config) {
        this.config = config;
    }

    @Override
    public LoraConfig config() {
        return config;
    }

    /**
     * {@code hf-lora} whatever the options (DoRA and rsLoRA are options of it): {@code lora} is the published q/v
     * LoRA of the TP-LoRA comparison.
     */
    @Override
    public String name() {
        return NAME;
    }

    /**
     * The adapter, with its layers and merging, of an attachment that a {@code Lora} made as its latest (one that
     * {@code AdapterFiles.load} returned, say); empty for any other attachment.
     */
    public static Optional<LoraAdapter> adapterOf(Attachment attachment) {
        if (attachment.method() instanceof Lora lora && lora.lastAttachment == attachment) {
            return Optional.of(new LoraAdapter(lora.config, attachment, lora.lastLayers, lora.lastSaved));
        }
        return Optional.empty();
    }

    /** Attaches to {@code model} and returns the adapter, with its layers and merging. */
    public LoraAdapter apply(Module model) {
        Attachment attachment = attach(model);
        return new LoraAdapter(config, attachment, lastLayers, lastSaved);
    }

    @Override
    protected List<String> findTargets(Module model) {
        return config.targetModules().require(model, "LoRA", Linear.class, Conv2d.class);
    }

    @Override
    protected void check(Module model, List<String> targets) {
        List<String> toSave = savedModules(model);
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
    }

    @Override
    protected void addTo(Attachment attachment, List<String> targets) {
        Module model = attachment.model();
        Map<String, LoraLayer> layers = new LinkedHashMap<>();
        for (String path : targets) {
            layers.put(path, LoraLayer.attach(attachment, path, config.rankFor(path), config.scalingFor(path),
                    (float) config.loraDropout(), config.useDora(), config.initLoraWeights()));
        }
        List<String> toSave = savedModules(model);
        for (String path : toSave) {
            attachment.swapModule(path, trainedCopy(path, model.module(path)));
        }
        lastLayers = layers;
        lastSaved = toSave;
        lastAttachment = attachment;
    }

    private List<String> savedModules(Module model) {
        List<String> toSave = new ArrayList<>();
        for (String path : model.namedModules().keySet()) {
            if (!path.isEmpty() && config.savesModule(path)) {
                toSave.add(path);
            }
        }
        return toSave;
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
