package ai.peft4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.Attachment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A LoRA adapter on a model: its layers by module path, the modules it saves in full, and merging. The generic
 * parts (freezing, adapter state, switching adapters) are those of its {@link Attachment}.
 */
public final class LoraAdapter {
    private final LoraConfig config;
    private final Attachment attachment;
    private final Map<String, LoraLayer> layers;
    private final List<String> savedModules;

    LoraAdapter(LoraConfig config, Attachment attachment, Map<String, LoraLayer> layers, List<String> savedModules) {
        this.config = config;
        this.attachment = attachment;
        this.layers = Collections.unmodifiableMap(new LinkedHashMap<>(layers));
        this.savedModules = List.copyOf(savedModules);
    }

    public LoraConfig config() {
        return config;
    }

    public Attachment attachment() {
        return attachment;
    }

    public Module model() {
        return attachment.model();
    }

    /** LoRA layers keyed by the path of the module they adapt, in model order. */
    public Map<String, LoraLayer> layers() {
        return layers;
    }

    /** Paths of the modules the adapter replaced with its own trained copies ({@code modules_to_save}). */
    public List<String> savedModules() {
        return savedModules;
    }

    /**
     * The adapter's tensors under their names in the model ({@code blocks.0.attn.qkv.lora_A.weight},
     * {@code head.weight}); live tensors.
     */
    public Map<String, NDArray> stateDict() {
        return attachment.stateDict();
    }

    /**
     * Writes every layer's update into its base weight, as HF's {@code merge_adapter}: the model then runs at the
     * base model's cost with the adapter's output. Reversible with {@link #unmerge}.
     */
    public void merge() {
        if (!attachment.isActive()) {
            throw new IllegalStateException("activate the adapter before merging it");
        }
        layers.values().forEach(LoraLayer::merge);
    }

    /** Restores the base weights after {@link #merge}. Unmerge before deactivating a merged adapter. */
    public void unmerge() {
        layers.values().forEach(LoraLayer::unmerge);
    }

    public boolean isMerged() {
        return layers.values().stream().anyMatch(LoraLayer::isMerged);
    }
}
