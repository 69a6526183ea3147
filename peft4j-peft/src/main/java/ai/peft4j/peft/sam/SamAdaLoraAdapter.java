package ai.peft4j.peft.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.tensor.Scalars;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.adalora.AdaLoraConfig;
import ai.peft4j.peft.adalora.RankAllocator;
import ai.peft4j.peft.TargetModules;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code sam-adalora} adapter on a model: its SVD factors by module path, the orthogonality regulariser and the
 * rank allocator. A step as the published {@code train_sam}: {@code loss + orthogonalPenalty(m)}, backward,
 * optimiser step, then {@link #updateAndMask(int)} with the step.
 */
public final class SamAdaLoraAdapter implements AutoCloseable {
    private final SamAdaLoraConfig config;
    private final Attachment attachment;
    private final Map<String, RankAllocator.Triplets> triplets;
    private RankAllocator allocator;

    SamAdaLoraAdapter(SamAdaLoraConfig config, Attachment attachment, Map<String, RankAllocator.Triplets> triplets) {
        this.config = config;
        this.attachment = attachment;
        this.triplets = Collections.unmodifiableMap(new LinkedHashMap<>(triplets));
    }

    public SamAdaLoraConfig config() {
        return config;
    }

    public Attachment attachment() {
        return attachment;
    }

    public Map<String, RankAllocator.Triplets> triplets() {
        return triplets;
    }

    /**
     * loralib's {@code compute_orth_regu}: {@code weight} times the mean over every A and B of
     * {@code ||A A^T - I||_F} and {@code ||B^T B - I||_F}, computed in {@code m}. With nothing adapted it is zero
     * (the published code divides by zero there).
     */
    public NDArray orthogonalPenalty(NDManager m) {
        NDArray sum = m.zeros(new Shape());
        int terms = 0;
        for (RankAllocator.Triplets t : triplets.values()) {
            NDArray a = LoralibLayer.view(t.a().data(), m);
            NDArray b = LoralibLayer.view(t.b().data(), m);
            NDArray eye = m.eye((int) a.getShape().get(0));
            sum = sum.add(a.matMul(a.transpose()).sub(eye).square().sum().sqrt());
            sum = sum.add(b.transpose().matMul(b).sub(eye).square().sum().sqrt());
            terms += 2;
        }
        return terms == 0 ? sum : Scalars.mul(sum, (float) (config.orthRegWeight() / terms));
    }

    /**
     * The published {@code rankallocator.update_and_mask(net, step)}, after backward and before the gradients are
     * cleared: with {@link AllocatorLife#PERSISTENT} one allocator updates its importance averages and masks to the
     * budget; with {@link AllocatorLife#PER_BATCH} nothing is masked (see there). Returns the budget of the step.
     */
    public RankAllocator.Budget updateAndMask(int step) {
        if (triplets.isEmpty()) {
            return new RankAllocator.Budget(0, false);
        }
        if (config.allocator() == AllocatorLife.PER_BATCH) {
            int initial = config.r() * triplets.size();
            return new RankAllocator.Budget(initial, false);
        }
        return rankAllocator().updateAndAllocate(step);
    }

    /** The persistent allocator (built on first use). */
    public RankAllocator rankAllocator() {
        if (allocator == null) {
            AdaLoraConfig schedule = new AdaLoraConfig(config.r(), Math.min(config.targetRank(), config.r()),
                    config.loraAlpha(), 0, TargetModules.named("qkv"), config.initWarmup(), config.finalWarmup(),
                    config.maskInterval(), config.totalStep(), config.beta1(), config.beta2(),
                    config.orthRegWeight(), Map.of());
            NDManager home = triplets.values().iterator().next().a().data().getManager();
            allocator = new RankAllocator(home, schedule, triplets);
        }
        return allocator;
    }

    @Override
    public void close() {
        if (allocator != null) {
            allocator.close();
        }
    }
}
