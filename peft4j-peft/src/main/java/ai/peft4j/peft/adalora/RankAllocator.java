package ai.peft4j.peft.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * AdaLoRA's budget: after each optimiser step it smooths every adapter weight's importance {@code |w * grad|}
 * (sensitivity EMA with beta1, uncertainty EMA of its deviation with beta2), and on pruning steps zeroes the singular
 * values whose triplet score (E's score plus the mean scores of A's row and B's column) is among the lowest, so that
 * exactly {@code budget} triplets remain (barring ties).
 *
 * <p>Unlike the published notebook, which built a new allocator every batch, one allocator lives as long as the
 * adapter, so the averages build up over training and the budget really shrinks. Call {@link #updateAndAllocate}
 * after {@code backward} and the optimiser step, before gradients are cleared, with the global step.
 */
public final class RankAllocator implements AutoCloseable {
    private final AdaLoraConfig config;
    private final Map<String, Triplets> layers;
    private final NDManager state;
    private final Map<String, NDArray> sensitivity = new LinkedHashMap<>();
    private final Map<String, NDArray> uncertainty = new LinkedHashMap<>();
    private final Map<String, boolean[]> kept = new LinkedHashMap<>();
    private final int initialBudget;

    /** A budget and whether this step prunes to it. */
    public record Budget(int budget, boolean mask) {}

    /**
     * The SVD factors of one adapted module and the names their gradients go by: HF's layout
     * ({@code qkv.lora_A.weight}) or loralib's ({@code qkv.lora_A}).
     */
    public record Triplets(Parameter a, Parameter e, Parameter b, String aName, String eName, String bName) {
        int rank() {
            return (int) e.shape().get(0);
        }
    }

    RankAllocator(AdaLoraConfig config, Map<String, AdaLoraLayer> layers, NDManager parent) {
        this(parent, config, hfLayout(layers));
    }

    /** An allocator over any module's SVD factors, keyed by module path, with the schedule of {@code config}. */
    public RankAllocator(NDManager parent, AdaLoraConfig config, Map<String, Triplets> triplets) {
        this.config = config;
        this.layers = new LinkedHashMap<>(triplets);
        this.state = parent.newSubManager();
        int total = 0;
        for (Map.Entry<String, Triplets> e : layers.entrySet()) {
            total += e.getValue().rank();
            boolean[] k = new boolean[e.getValue().rank()];
            Arrays.fill(k, true);
            kept.put(e.getKey(), k);
        }
        this.initialBudget = total;
    }

    private static Map<String, Triplets> hfLayout(Map<String, AdaLoraLayer> layers) {
        Map<String, Triplets> out = new LinkedHashMap<>();
        layers.forEach((p, l) -> out.put(p, new Triplets(l.loraA().weight(), l.loraE().weight(), l.loraB().weight(),
                p + ".lora_A.weight", p + ".lora_E.weight", p + ".lora_B.weight")));
        return out;
    }

    /** Triplets at the start: the sum of all modules' ranks. */
    public int initialBudget() {
        return initialBudget;
    }

    /** Triplets at the end: {@code target_r} per module. */
    public int targetBudget() {
        return config.targetR() * layers.size();
    }

    /**
     * The budget at {@code step}: the initial one up to {@code tinit}, the target after {@code total - tfinal}, and
     * in between {@code target + (initial - target) (1 - (step - tinit) / (total - tfinal - tinit))^3}, rounded
     * down, pruning every {@code deltaT} steps.
     */
    public Budget budgetAt(int step) {
        int tinit = config.tinit();
        int total = config.totalStep();
        int tfinal = config.tfinal();
        if (step <= tinit) {
            return new Budget(initialBudget, false);
        }
        if (step > total - tfinal) {
            return new Budget(targetBudget(), true);
        }
        double left = 1 - (double) (step - tinit) / (total - tfinal - tinit);
        int budget = (int) ((initialBudget - targetBudget()) * left * left * left + targetBudget());
        return new Budget(budget, step % config.deltaT() == 0);
    }

    /** {@link #updateAndAllocate(int, Function)} with the gradients the last backward pass left on the parameters. */
    public Budget updateAndAllocate(int step) {
        return updateAndAllocate(step, name -> parameter(name).gradient());
    }

    /**
     * One step of the schedule, with the gradient of each adapter weight given by its model name
     * ({@code blocks.0.attn.qkv.lora_A.weight}): while the budget falls, update the importance averages and prune
     * on pruning steps; at {@code total - tfinal}, prune to the target and fix the pattern; after it, keep the
     * pruned singular values at zero.
     */
    public Budget updateAndAllocate(int step, Function<String, NDArray> gradients) {
        int fixedFrom = config.totalStep() - config.tfinal();
        Budget b = budgetAt(step);
        if (step < fixedFrom) {
            updateImportance(gradients);
            if (b.mask()) {
                maskToBudget(b.budget());
            }
        } else if (step == fixedFrom) {
            maskToBudget(targetBudget());
        } else {
            applyPattern();
        }
        return b;
    }

    /** Per module path, which triplets survive the last pruning. */
    public Map<String, List<Boolean>> rankPattern() {
        Map<String, List<Boolean>> out = new LinkedHashMap<>();
        kept.forEach((k, v) -> {
            List<Boolean> l = new ArrayList<>(v.length);
            for (boolean x : v) {
                l.add(x);
            }
            out.put(k, l);
        });
        return out;
    }

    /** Triplets that survive the last pruning. */
    public int keptRanks() {
        int n = 0;
        for (boolean[] v : kept.values()) {
            for (boolean x : v) {
                n += x ? 1 : 0;
            }
        }
        return n;
    }

    /** The sensitivity average of one adapter weight (for inspection and tests); null before the first update. */
    NDArray sensitivity(String name) {
        return sensitivity.get(name);
    }

    NDArray uncertainty(String name) {
        return uncertainty.get(name);
    }

    private void updateImportance(Function<String, NDArray> gradients) {
        float b1 = (float) config.beta1();
        float b2 = (float) config.beta2();
        for (String name : factorNames()) {
            NDArray g = gradients.apply(name);
            if (g == null) {
                throw new IllegalStateException("no gradient for " + name + ": call updateAndAllocate after backward "
                        + "and before the gradients are cleared");
            }
            NDArray w = parameter(name).data();
            try (NDManager tmp = state.newSubManager()) {
                NDArray ipt = AdaLoraLayer.view(w, tmp).mul(AdaLoraLayer.view(g, tmp)).abs();
                NDArray oldS = sensitivity.get(name);
                NDArray oldU = uncertainty.get(name);
                NDArray s = oldS == null ? ipt.mul(1 - b1) : AdaLoraLayer.view(oldS, tmp).mul(b1).add(ipt.mul(1 - b1));
                NDArray dev = ipt.sub(s).abs().mul(1 - b2);
                NDArray u = oldU == null ? dev : AdaLoraLayer.view(oldU, tmp).mul(b2).add(dev);
                s.attach(state);
                u.attach(state);
                sensitivity.put(name, s);
                uncertainty.put(name, u);
                if (oldS != null) {
                    oldS.close();
                    oldU.close();
                }
            }
        }
    }

    /**
     * Each module's triplet scores: E's importance (sensitivity times uncertainty) plus the mean over A's row and
     * over B's column, as loralib's {@code mask_to_target_rank} combines them; empty before the first update.
     */
    public Map<String, float[]> tripletScores() {
        Map<String, float[]> scores = new LinkedHashMap<>();
        try (NDManager tmp = state.newSubManager()) {
            for (Map.Entry<String, Triplets> t : layers.entrySet()) {
                String path = t.getKey();
                NDArray a = score(t.getValue().aName(), tmp);
                NDArray e = score(t.getValue().eName(), tmp);
                NDArray b = score(t.getValue().bName(), tmp);
                if (a == null) {
                    return Map.of(); // no importance yet: nothing to rank by
                }
                NDArray triplet = e.reshape(-1).add(a.mean(new int[] {1}).add(b.mean(new int[] {0})));
                float[] v = triplet.toFloatArray();
                for (float x : v) {
                    if (!Float.isFinite(x)) {
                        throw new IllegalStateException("the importance of " + path + "'s triplets is " + x
                                + ": the training has diverged (lower the learning rate)");
                    }
                }
                scores.put(path, v);
            }
        }
        return scores;
    }

    private void maskToBudget(int budget) {
        Map<String, float[]> scores = tripletScores();
        if (scores.isEmpty()) {
            return;
        }
        List<Float> all = new ArrayList<>();
        for (float[] v : scores.values()) {
            for (float x : v) {
                all.add(x);
            }
        }
        int prune = initialBudget - budget;
        if (prune <= 0) {
            return; // HF would ask kthvalue for k <= 0 here and fail (huggingface/peft#2337)
        }
        float[] sorted = new float[all.size()];
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = all.get(i);
        }
        Arrays.sort(sorted);
        float threshold = sorted[Math.min(prune, sorted.length) - 1];
        for (Map.Entry<String, float[]> s : scores.entrySet()) {
            boolean[] k = kept.get(s.getKey());
            for (int i = 0; i < k.length; i++) {
                k[i] = s.getValue()[i] > threshold;
            }
        }
        applyPattern();
    }

    /** Zeroes the singular values of the pruned triplets. */
    private void applyPattern() {
        for (Map.Entry<String, boolean[]> k : kept.entrySet()) {
            Parameter e = layers.get(k.getKey()).e();
            float[] mask = new float[k.getValue().length];
            for (int i = 0; i < mask.length; i++) {
                mask[i] = k.getValue()[i] ? 1f : 0f;
            }
            try (NDManager tmp = state.newSubManager()) {
                NDArray masked = AdaLoraLayer.view(e.data(), tmp).mul(tmp.create(mask, e.shape()));
                e.replace(masked);
            }
        }
    }

    private NDArray score(String name, NDManager tmp) {
        NDArray s = sensitivity.get(name);
        return s == null ? null : AdaLoraLayer.view(s, tmp).mul(AdaLoraLayer.view(uncertainty.get(name), tmp));
    }

    private List<String> factorNames() {
        List<String> out = new ArrayList<>();
        for (Triplets t : layers.values()) {
            out.add(t.aName());
            out.add(t.eName());
            out.add(t.bName());
        }
        return out;
    }

    private Parameter parameter(String name) {
        for (Triplets t : layers.values()) {
            if (name.equals(t.aName())) {
                return t.a();
            } else if (name.equals(t.eName())) {
                return t.e();
            } else if (name.equals(t.bName())) {
                return t.b();
            }
        }
        throw new IllegalArgumentException("no AdaLoRA factor named " + name);
    }

    /** Frees the importance averages. */
    @Override
    public void close() {
        state.close();
    }
}
