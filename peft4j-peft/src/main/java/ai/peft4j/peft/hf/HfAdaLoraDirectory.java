package ai.peft4j.peft.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.peft.TargetModules;
import ai.peft4j.peft.adalora.AdaLora;
import ai.peft4j.peft.adalora.AdaLoraAdapter;
import ai.peft4j.peft.adalora.AdaLoraConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An AdaLoRA adapter directory in HF PEFT's layout, as its {@code save_pretrained} writes one after pruning: the
 * kept triplets only, under {@code base_model.model.<path>.lora_A} {@code [r_k, in]}, {@code .lora_E}
 * {@code [r_k, 1]} and {@code .lora_B} {@code [out, r_k]}, and {@code rank_pattern} in the config, keyed
 * {@code <path>.lora_E}, saying which of the {@code init_r} triplets were kept. {@code ranknum} is not stored: it is
 * {@code init_r} again on loading, as in HF.
 *
 * <p>The layout follows HF PEFT 0.21's source ({@code get_peft_model_state_dict}, {@code resize_*_by_rank_pattern});
 * unlike LoRA and DoRA there is no reference file written by HF PEFT among the fixtures to check it against.
 */
public final class HfAdaLoraDirectory {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FACTORS = List.of("lora_A", "lora_E", "lora_B");

    private HfAdaLoraDirectory() {}

    /** The AdaLoRA settings of {@code dir}'s {@code adapter_config.json}. */
    public static AdaLoraConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve(HfAdapterDirectory.CONFIG);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no " + HfAdapterDirectory.CONFIG + " in " + dir
                    + ": not an HF PEFT adapter directory");
        }
        JsonNode j = JSON.readTree(file.toFile());
        String type = j.path("peft_type").asText("");
        if (!"ADALORA".equals(type)) {
            throw new IllegalArgumentException(file + " holds a " + (type.isEmpty() ? "typeless" : type)
                    + " adapter, not ADALORA");
        }
        JsonNode tm = j.path("target_modules");
        TargetModules targets;
        if (tm.isTextual()) {
            targets = TargetModules.matching(tm.asText());
        } else if (tm.isArray() && tm.size() > 0) {
            List<String> names = new ArrayList<>();
            tm.forEach(n -> names.add(n.asText()));
            targets = new TargetModules(names, null);
        } else {
            throw new IllegalArgumentException(file + " has no target_modules (" + tm + ")");
        }
        Map<String, List<Boolean>> pattern = new LinkedHashMap<>();
        j.path("rank_pattern").fields().forEachRemaining(e -> {
            List<Boolean> kept = new ArrayList<>();
            e.getValue().forEach(b -> kept.add(b.asBoolean()));
            pattern.put(modulePath(e.getKey()), kept);
        });
        return new AdaLoraConfig(j.path("init_r").asInt(12), j.path("target_r").asInt(8),
                j.path("lora_alpha").asDouble(8), j.path("lora_dropout").asDouble(0), targets,
                j.path("tinit").asInt(0), j.path("tfinal").asInt(0), j.path("deltaT").asInt(1),
                j.path("total_step").asInt(0), j.path("beta1").asDouble(0.85), j.path("beta2").asDouble(0.85),
                j.path("orth_reg_weight").asDouble(0.5), pattern);
    }

    /**
     * Attaches the AdaLoRA adapter in {@code dir} to {@code model}, at the ranks its {@code rank_pattern} kept, and
     * loads its tensors; fails naming what differs when it was made for another base.
     */
    public static AdaLoraAdapter load(Path dir, Module model) throws IOException {
        AdaLoraConfig config = readConfig(dir);
        Path weights = dir.resolve(HfAdapterDirectory.WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException("no " + HfAdapterDirectory.WEIGHTS + " in " + dir);
        }
        Map<String, Shape> fileShapes = SafetensorsFile.readShapes(weights);
        AdaLoraAdapter adapter = new AdaLora(config).apply(model);
        Map<String, NDArray> own = adapter.stateDict();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : own.entrySet()) {
            Shape found = fileShapes.get(hfKey(e.getKey()));
            if (found == null) {
                problems.add(hfKey(e.getKey()) + " is missing from the file");
            } else if (!found.equals(e.getValue().getShape())) {
                problems.add(e.getKey() + " is " + found + " in the file but " + e.getValue().getShape()
                        + " in this model");
            }
        }
        for (String k : fileShapes.keySet()) {
            if (!own.containsKey(ownName(k))) {
                problems.add(k + " has no place in this model");
            }
        }
        if (!problems.isEmpty()) {
            adapter.attachment().deactivate();
            adapter.close();
            throw new IllegalArgumentException("AdaLoRA adapter " + dir + " does not fit this model: "
                    + String.join("; ", problems.subList(0, Math.min(5, problems.size())))
                    + (problems.size() > 5 ? " and " + (problems.size() - 5) + " more" : ""));
        }
        HfAdapterDirectory.copyInto(model, own, weights, HfAdaLoraDirectory::hfKey);
        return adapter;
    }

    /** Writes {@code adapter} with its pruned triplets removed, and its rank pattern, into {@code dir}. */
    public static void save(AdaLoraAdapter adapter, Path dir) throws IOException {
        Files.createDirectories(dir);
        NDManager home = adapter.layers().values().iterator().next().loraA().weight().data().getManager();
        try (NDManager tmp = home.newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            adapter.prunedStateDict(tmp).forEach((k, v) -> tensors.put(hfKey(k), v));
            SafetensorsFile.write(dir.resolve(HfAdapterDirectory.WEIGHTS), tensors, Map.of("format", "pt"));
        }
        byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(configJson(adapter.config(),
                adapter.rankPattern()));
        AtomicFiles.write(dir.resolve(HfAdapterDirectory.CONFIG), out -> out.write(json));
    }

    /** {@code adapter_config.json} for an AdaLoRA adapter with the given kept triplets, keys sorted as HF writes. */
    public static Map<String, Object> configJson(AdaLoraConfig c, Map<String, List<Boolean>> rankPattern) {
        Map<String, Object> j = new TreeMap<>();
        for (String k : List.of("auto_mapping", "base_model_name_or_path", "exclude_modules", "layer_replication",
                "layers_pattern", "layers_to_transform", "revision", "task_type")) {
            j.put(k, null);
        }
        j.put("peft_type", "ADALORA");
        j.put("bias", "none");
        j.put("fan_in_fan_out", false);
        j.put("inference_mode", true);
        j.put("init_lora_weights", true);
        j.put("r", 8); // not used by AdaLoRA; HF warns unless it is its default
        j.put("lora_alpha", c.loraAlpha() == Math.rint(c.loraAlpha()) ? (Object) (int) c.loraAlpha()
                : (Object) c.loraAlpha());
        j.put("lora_dropout", c.loraDropout());
        j.put("modules_to_save", null);
        j.put("use_dora", false);
        j.put("use_rslora", false);
        TargetModules t = c.targetModules();
        j.put("target_modules", t.regex() != null ? t.regex() : t.names());
        j.put("init_r", c.initR());
        j.put("target_r", c.targetR());
        j.put("tinit", c.tinit());
        j.put("tfinal", c.tfinal());
        j.put("deltaT", c.deltaT());
        j.put("beta1", c.beta1());
        j.put("beta2", c.beta2());
        j.put("orth_reg_weight", c.orthRegWeight());
        j.put("total_step", c.totalStep());
        Map<String, List<Boolean>> pattern = new LinkedHashMap<>();
        rankPattern.forEach((path, kept) -> pattern.put(path + ".lora_E", kept));
        j.put("rank_pattern", pattern);
        return j;
    }

    /** HF's key for a peft4j AdaLoRA tensor name ({@code <path>.lora_A.weight -> base_model.model.<path>.lora_A}). */
    static String hfKey(String name) {
        return HfAdapterDirectory.PREFIX + name.substring(0, name.length() - ".weight".length());
    }

    static String ownName(String hfKey) {
        String k = hfKey.startsWith(HfAdapterDirectory.PREFIX) ? hfKey.substring(HfAdapterDirectory.PREFIX.length())
                : hfKey;
        return k + ".weight";
    }

    // rank_pattern keys are parameter names of lora_E, with or without the adapter name and PeftModel's prefix.
    private static String modulePath(String key) {
        String k = key.startsWith(HfAdapterDirectory.PREFIX) ? key.substring(HfAdapterDirectory.PREFIX.length())
                : key;
        if (k.endsWith(".default")) {
            k = k.substring(0, k.length() - ".default".length());
        }
        for (String f : FACTORS) {
            if (k.endsWith("." + f)) {
                return k.substring(0, k.length() - f.length() - 1);
            }
        }
        return k;
    }
}
