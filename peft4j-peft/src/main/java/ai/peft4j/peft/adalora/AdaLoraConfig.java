package ai.peft4j.peft.adalora;

import ai.peft4j.peft.TargetModules;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdaLoRA settings with the meaning of HF PEFT's {@code AdaLoraConfig} (JSON names in brackets) and the defaults
 * given by {@link #of}.
 *
 * @param initR rank of every module at the start [{@code init_r}, 12]
 * @param targetR average rank per module at the end; the final budget is {@code targetR * modules}
 *     [{@code target_r}, 8]
 * @param loraAlpha the update is multiplied by {@code alpha / (ranknum + 1e-5)} (by {@code initR} when alpha is 0)
 *     [{@code lora_alpha}, 8]
 * @param loraDropout dropout on the input of the update [{@code lora_dropout}, 0]
 * @param targetModules the Linear modules to adapt [{@code target_modules}]
 * @param tinit steps without pruning at the start [{@code tinit}, the notebook's {@code init_warmup}, 0]
 * @param tfinal steps at the end with the final pattern fixed [{@code tfinal}, {@code final_warmup}, 0]
 * @param deltaT steps between two prunings while the budget falls [{@code deltaT}, {@code mask_interval}, 1]
 * @param totalStep training steps in all [{@code total_step}]
 * @param beta1 EMA factor of the sensitivity [{@code beta1}, 0.85]
 * @param beta2 EMA factor of the uncertainty [{@code beta2}, 0.85]
 * @param orthRegWeight weight of the orthogonality penalty [{@code orth_reg_weight}, 0.5; the notebook uses 0.1]
 * @param rankPattern per module path, which of its {@code initR} triplets are kept; modules built from it have that
 *     many ranks but keep dividing by {@code initR}, so a pruned adapter computes what the masked one did
 *     [{@code rank_pattern}]
 */
public record AdaLoraConfig(int initR, int targetR, double loraAlpha, double loraDropout, TargetModules targetModules,
        int tinit, int tfinal, int deltaT, int totalStep, double beta1, double beta2, double orthRegWeight,
        Map<String, List<Boolean>> rankPattern) {

    public AdaLoraConfig {
        if (initR < 1) {
            throw new IllegalArgumentException("AdaLoRA init_r must be a positive integer, got " + initR);
        }
        if (targetR < 0 || targetR > initR) {
            // The published notebook runs target_rank 8 over lora_r 4: nothing is ever pruned.
            throw new IllegalArgumentException("target_r " + targetR + " must be between 0 and init_r " + initR
                    + ", or AdaLoRA never prunes");
        }
        if (totalStep <= 0) {
            throw new IllegalArgumentException("AdaLoRA needs total_step > 0 (the steps of the whole training), got "
                    + totalStep);
        }
        if (tinit < 0 || tfinal < 0 || tinit >= totalStep - tfinal) {
            throw new IllegalArgumentException("tinit " + tinit + " and tfinal " + tfinal + " leave no steps of "
                    + totalStep + " for pruning: decrease them or increase total_step");
        }
        if (deltaT < 1) {
            throw new IllegalArgumentException("deltaT (steps between prunings) must be at least 1, got " + deltaT);
        }
        if (!(beta1 > 0 && beta1 < 1 && beta2 > 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta1 " + beta1 + " and beta2 " + beta2 + " must lie in (0, 1)");
        }
        if (!(loraDropout >= 0 && loraDropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + loraDropout);
        }
        if (targetModules == null) {
            throw new IllegalArgumentException("AdaLoRA needs target_modules, e.g. [\"qkv\", \"fc1\", \"fc2\"]");
        }
        Map<String, List<Boolean>> copy = new LinkedHashMap<>();
        for (Map.Entry<String, List<Boolean>> e : rankPattern.entrySet()) {
            if (e.getValue().size() != initR) {
                throw new IllegalArgumentException("rank_pattern of '" + e.getKey() + "' has " + e.getValue().size()
                        + " entries, one per initial rank (" + initR + ") expected");
            }
            copy.put(e.getKey(), List.copyOf(e.getValue()));
        }
        rankPattern = java.util.Collections.unmodifiableMap(copy);
    }

    /** HF's defaults (alpha 8, no dropout, tinit = tfinal = 0, deltaT 1, betas 0.85, orth 0.5) for the rest. */
    public static AdaLoraConfig of(int initR, int targetR, int totalStep, String... targets) {
        return new AdaLoraConfig(initR, targetR, 8, 0, TargetModules.named(targets), 0, 0, 1, totalStep, 0.85, 0.85,
                0.5, Map.of());
    }

    /** The budget schedule: {@code tinit} steps at full rank, pruning every {@code deltaT}, {@code tfinal} fixed. */
    public AdaLoraConfig withSchedule(int tinit, int tfinal, int deltaT) {
        return new AdaLoraConfig(initR, targetR, loraAlpha, loraDropout, targetModules, tinit, tfinal, deltaT,
                totalStep, beta1, beta2, orthRegWeight, rankPattern);
    }

    public AdaLoraConfig withAlpha(double alpha) {
        return new AdaLoraConfig(initR, targetR, alpha, loraDropout, targetModules, tinit, tfinal, deltaT, totalStep,
                beta1, beta2, orthRegWeight, rankPattern);
    }

    public AdaLoraConfig withBetas(double b1, double b2) {
        return new AdaLoraConfig(initR, targetR, loraAlpha, loraDropout, targetModules, tinit, tfinal, deltaT,
                totalStep, b1, b2, orthRegWeight, rankPattern);
    }

    public AdaLoraConfig withOrthRegWeight(double weight) {
        return new AdaLoraConfig(initR, targetR, loraAlpha, loraDropout, targetModules, tinit, tfinal, deltaT,
                totalStep, beta1, beta2, weight, rankPattern);
    }

    public AdaLoraConfig withRankPattern(Map<String, List<Boolean>> pattern) {
        return new AdaLoraConfig(initR, targetR, loraAlpha, loraDropout, targetModules, tinit, tfinal, deltaT,
                totalStep, beta1, beta2, orthRegWeight, pattern);
    }

    /** The factor before dividing by {@code ranknum + 1e-5}: alpha, or {@code initR} when alpha is 0. */
    public double scaling() {
        return loraAlpha > 0 ? loraAlpha : initR;
    }

    /** Ranks the module at {@code path} has: the kept entries of its rank pattern, else {@code initR}. */
    public int rankOf(String path) {
        List<Boolean> kept = rankPattern.get(path);
        return kept == null ? initR : (int) kept.stream().filter(b -> b).count();
    }
}
