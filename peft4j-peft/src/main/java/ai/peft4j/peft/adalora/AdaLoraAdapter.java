package ai.peft4j.peft.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.peft4j.peft.Attachment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ai.peft4j.core.tensor.Scalars;

/**
 * An AdaLoRA adapter on a model: its layers, the rank allocator that prunes them during training, the
 * orthogonality penalty to add to the loss, and the pruned adapter for saving.
 *
 * <p>A training step: {@code loss + adapter.orthogonalPenalty(m)}, backward, optimiser step, then
 * {@code adapter.updateAndAllocate(globalStep)}, then clear the gradients.
 */
public final class AdaLoraAdapter implements AutoCloseable {
    private final AdaLoraConfig config;
    private final Attachment attachment;
    private final Map<String, AdaLoraLayer> layers;
    private final RankAllocator allocator;

    AdaLoraAdapter(AdaLoraConfig config, Attachment attachment, Map<String, AdaLoraLayer> layers) {
        this.config = config;
        this.attachment = attachment;
        this.layers = Collections.unmodifiableMap(new LinkedHashMap<>(layers));
        NDManager home = layers.isEmpty() ? null
                : layers.values().iterator().next().loraA().weight().data().getManager();
        this.allocator = home == null ? null : new RankAllocator(config, this.layers, home);
    }

    public AdaLoraConfig config() {
        return config;
    }

    public Attachment attachment() {
        return attachment;
    }

    public Map<String, AdaLoraLayer> layers() {
        return layers;
    }

    public RankAllocator rankAllocator() {
        return allocator;
    }

    /** See {@link RankAllocator#updateAndAllocate(int)}. */
    public RankAllocator.Budget updateAndAllocate(int globalStep) {
        return allocator.updateAndAllocate(globalStep);
    }

    /**
     * See {@link RankAllocator#updateAndAllocate(int, java.util.function.Function)}: for optimisers that replace
     * the parameter tensors (and with them the gradients), pass the gradients kept from before the step.
     */
    public RankAllocator.Budget updateAndAllocate(int globalStep,
            java.util.function.Function<String, NDArray> gradients) {
        return allocator.updateAndAllocate(globalStep, gradients);
    }

    /**
     * {@code orth_reg_weight} times the mean over all layers of {@code ||A A^T - I||_F} and {@code ||B^T B - I||_F},
     * computed in {@code m} (inside the gradient collector, so that it trains A and B towards orthogonality).
     */
    public NDArray orthogonalPenalty(NDManager m) {
        NDArray sum = m.zeros(new ai.djl.ndarray.types.Shape());
        int terms = 0;
        for (AdaLoraLayer l : layers.values()) {
            NDArray a = AdaLoraLayer.view(l.loraA().weight().data(), m);
            NDArray b = AdaLoraLayer.view(l.loraB().weight().data(), m);
            NDArray eye = m.eye(l.rank());
            sum = sum.add(a.matMul(a.transpose()).sub(eye).square().sum().sqrt());
            sum = sum.add(b.transpose().matMul(b).sub(eye).square().sum().sqrt());
            terms += 2;
        }
        return terms == 0 ? sum : Scalars.mul(sum, (float) (config.orthRegWeight() / terms));
    }

    /**
     * Per module, which triplets the last pruning kept; the {@code rank_pattern} of a pruned adapter (for an adapter
     * built at full rank, one entry per {@code init_r}).
     */
    public Map<String, List<Boolean>> rankPattern() {
        return allocator.rankPattern();
    }

    /**
     * The adapter's tensors with the pruned triplets removed ({@code lora_A} rows, {@code lora_E} entries,
     * {@code lora_B} columns), in {@code m}: load them into a model adapted with {@code config().withRankPattern(
     * rankPattern())} to get the same output from fewer parameters.
     */
    public Map<String, NDArray> prunedStateDict(NDManager m) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        Map<String, List<Boolean>> pattern = rankPattern();
        for (Map.Entry<String, AdaLoraLayer> e : layers.entrySet()) {
            List<Long> idx = new ArrayList<>();
            List<Boolean> kept = pattern.get(e.getKey());
            for (int i = 0; i < kept.size(); i++) {
                if (kept.get(i)) {
                    idx.add((long) i);
                }
            }
            if (idx.isEmpty()) {
                continue;
            }
            NDArray index = m.create(idx.stream().mapToLong(Long::longValue).toArray());
            AdaLoraLayer l = e.getValue();
            String p = e.getKey();
            out.put(p + ".lora_A.weight", AdaLoraLayer.view(l.loraA().weight().data(), m).get(new NDIndex("{}", index)));
            out.put(p + ".lora_E.weight", AdaLoraLayer.view(l.loraE().weight().data(), m).get(new NDIndex("{}", index)));
            out.put(p + ".lora_B.weight",
                    AdaLoraLayer.view(l.loraB().weight().data(), m).get(new NDIndex(":, {}", index)));
        }
        return out;
    }

    /** Writes every layer's update into its base weight, for inference at the base model's cost. */
    public void merge() {
        if (!attachment.isActive()) {
            throw new IllegalStateException("activate the adapter before merging it");
        }
        layers.values().forEach(AdaLoraLayer::merge);
    }

    /** Restores the base weights after {@link #merge}; unmerge before training on or deactivating. */
    public void unmerge() {
        layers.values().forEach(AdaLoraLayer::unmerge);
    }

    /** Adapter tensors under their model names; live tensors. */
    public Map<String, NDArray> stateDict() {
        return attachment.stateDict();
    }

    /** Frees the allocator's averages. */
    @Override
    public void close() {
        if (allocator != null) {
            allocator.close();
        }
    }
}
