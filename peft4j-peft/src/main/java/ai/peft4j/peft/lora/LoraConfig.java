package ai.peft4j.peft.lora;

import ai.peft4j.peft.TargetModules;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * LoRA settings with the meaning of HF PEFT's {@code LoraConfig} (its JSON names in brackets).
 *
 * @param r rank of the update {@code B A} [{@code r}]
 * @param loraAlpha scale numerator: the update is multiplied by {@code alpha / r}, or {@code alpha / sqrt(r)} with
 *     rsLoRA [{@code lora_alpha}]
 * @param loraDropout dropout on the input of the update branch [{@code lora_dropout}]
 * @param targetModules the modules to adapt [{@code target_modules}]
 * @param modulesToSave modules (by name, matched as target names are) that train in full as adapter-owned copies,
 *     e.g. a task head [{@code modules_to_save}]
 * @param rankPattern per-module rank, keyed by a regular expression matched at the end of the module path after a
 *     dot boundary; the first key that matches wins [{@code rank_pattern}]
 * @param alphaPattern per-module alpha, keyed as {@code rankPattern} [{@code alpha_pattern}]
 * @param useRslora scale by {@code alpha / sqrt(r)} [{@code use_rslora}]
 * @param useDora weight-decomposed LoRA: a trained magnitude per output row [{@code use_dora}]
 * @param initLoraWeights initial values [{@code init_lora_weights}]
 */
public record LoraConfig(int r, double loraAlpha, double loraDropout, TargetModules targetModules,
        List<String> modulesToSave, Map<String, Integer> rankPattern, Map<String, Double> alphaPattern,
        boolean useRslora, boolean useDora, LoraInit initLoraWeights) {

    public LoraConfig {
        if (r <= 0) {
            throw new IllegalArgumentException("LoRA rank r must be a positive integer, got " + r);
        }
        if (!(loraDropout >= 0 && loraDropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + loraDropout);
        }
        if (targetModules == null) {
            throw new IllegalArgumentException("LoRA needs target_modules, e.g. [\"qkv\", \"proj\"]");
        }
        modulesToSave = List.copyOf(modulesToSave);
        // Insertion order is kept: as in HF, the first matching key wins.
        rankPattern = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rankPattern));
        alphaPattern = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(alphaPattern));
        for (Map.Entry<String, Integer> e : rankPattern.entrySet()) {
            if (e.getValue() <= 0) {
                throw new IllegalArgumentException("rank_pattern gives '" + e.getKey() + "' rank " + e.getValue()
                        + "; ranks must be positive");
            }
            Pattern.compile(e.getKey());
        }
        alphaPattern.keySet().forEach(Pattern::compile);
        if (initLoraWeights == null) {
            initLoraWeights = LoraInit.KAIMING;
        }
    }

    /** Rank {@code r}, alpha {@code alpha}, on the named modules, with HF's defaults for the rest. */
    public static LoraConfig of(int r, double alpha, String... targets) {
        return new LoraConfig(r, alpha, 0, TargetModules.named(targets), List.of(), Map.of(), Map.of(), false,
                false, LoraInit.KAIMING);
    }

    public LoraConfig withTargets(TargetModules targets) {
        return new LoraConfig(r, loraAlpha, loraDropout, targets, modulesToSave, rankPattern, alphaPattern,
                useRslora, useDora, initLoraWeights);
    }

    public LoraConfig withDropout(double dropout) {
        return new LoraConfig(r, loraAlpha, dropout, targetModules, modulesToSave, rankPattern, alphaPattern,
                useRslora, useDora, initLoraWeights);
    }

    public LoraConfig withModulesToSave(String... names) {
        return new LoraConfig(r, loraAlpha, loraDropout, targetModules, List.of(names), rankPattern, alphaPattern,
                useRslora, useDora, initLoraWeights);
    }

    public LoraConfig withRankPattern(Map<String, Integer> pattern) {
        return new LoraConfig(r, loraAlpha, loraDropout, targetModules, modulesToSave, pattern, alphaPattern,
                useRslora, useDora, initLoraWeights);
    }

    public LoraConfig withAlphaPattern(Map<String, Double> pattern) {
        return new LoraConfig(r, loraAlpha, loraDropout, targetModules, modulesToSave, rankPattern, pattern,
                useRslora, useDora, initLoraWeights);
    }

    public LoraConfig withRslora(boolean on) {
        return new LoraConfig(r, loraAlpha, loraDropout, targetModules, modulesToSave, rankPattern, alphaPattern, on,
                useDora, initLoraWeights);
    }

    public LoraConfig withDora(boolean on) {
        return new LoraConfig(r, loraAlpha, loraDropout, targetModules, modulesToSave, rankPattern, alphaPattern,
                useRslora, on, initLoraWeights);
    }

    public LoraConfig withInit(LoraInit init) {
        return new LoraConfig(r, loraAlpha, loraDropout, targetModules, modulesToSave, rankPattern, alphaPattern,
                useRslora, useDora, init);
    }

    /** The rank of the module at {@code path}: the first matching {@code rank_pattern} entry, else {@code r}. */
    public int rankFor(String path) {
        String key = patternKey(rankPattern.keySet(), path);
        return key == null ? r : rankPattern.get(key);
    }

    /** The alpha of the module at {@code path}: the first matching {@code alpha_pattern} entry, else alpha. */
    public double alphaFor(String path) {
        String key = patternKey(alphaPattern.keySet(), path);
        return key == null ? loraAlpha : alphaPattern.get(key);
    }

    /** The factor of the update at {@code path}: {@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA. */
    public double scalingFor(String path) {
        int rank = rankFor(path);
        return alphaFor(path) / (useRslora ? Math.sqrt(rank) : rank);
    }

    /** True when {@code path} is one of {@code modules_to_save} (its name, or ending with "." + name). */
    public boolean savesModule(String path) {
        for (String n : modulesToSave) {
            if (path.equals(n) || path.endsWith("." + n)) {
                return true;
            }
        }
        return false;
    }

    // HF matches a pattern key as "(.*\.)?(key)$" from the start of the path.
    private static String patternKey(Iterable<String> keys, String path) {
        for (String k : keys) {
            if (Pattern.compile("(.*\\.)?(" + k + ")").matcher(path).matches()) {
                return k;
            }
        }
        return null;
    }
}
