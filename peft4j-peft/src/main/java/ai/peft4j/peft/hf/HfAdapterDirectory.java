package ai.peft4j.peft.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.peft.TargetModules;
import ai.peft4j.peft.lora.Lora;
import ai.peft4j.peft.lora.LoraAdapter;
import ai.peft4j.peft.lora.LoraConfig;
import ai.peft4j.peft.lora.LoraInit;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.TreeMap;

/**
 * An adapter directory as HF PEFT's {@code save_pretrained} writes it: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module path>.lora_A.weight},
 * {@code ...lora_B.weight}, {@code ...lora_magnitude_vector} (DoRA) and {@code base_model.model.<path>.weight} for
 * {@code modules_to_save}. The module paths are the base model's, so a directory loads onto a peft4j model whose
 * state-dict names are the PyTorch model's (e.g. timm's ViT).
 */
public final class HfAdapterDirectory {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    /** The prefix PEFT's {@code PeftModel} puts before the base model's names. */
    static final String PREFIX = "base_model.model.";
    private static final String MAGNITUDE = ".lora_magnitude_vector";
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfAdapterDirectory() {}

    /** The LoRA settings of {@code dir}'s {@code adapter_config.json}; fails on settings peft4j does not implement. */
    public static LoraConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no " + CONFIG + " in " + dir + ": not an HF PEFT adapter directory");
        }
        JsonNode j = JSON.readTree(file.toFile());
        String type = j.path("peft_type").asText("");
        if (!"LORA".equals(type)) {
            throw new IllegalArgumentException(file + " holds a " + (type.isEmpty() ? "typeless" : type)
                    + " adapter; peft4j reads LORA adapters (with or without DoRA) in this format");
        }
        List<String> unsupported = new ArrayList<>();
        requireValue(j, "bias", "none", unsupported);
        requireValue(j, "fan_in_fan_out", false, unsupported);
        requireValue(j, "use_qalora", false, unsupported);
        requireValue(j, "lora_bias", false, unsupported);
        for (String key : List.of("layers_to_transform", "layers_pattern", "exclude_modules", "layer_replication",
                "target_parameters", "trainable_token_indices", "alora_invocation_tokens")) {
            JsonNode n = j.path(key);
            if (!n.isMissingNode() && !n.isNull() && !(n.isContainerNode() && n.isEmpty())) {
                unsupported.add(key + " = " + n);
            }
        }
        LoraInit init = LoraInit.KAIMING;
        JsonNode in = j.path("init_lora_weights");
        if (in.isBoolean()) {
            init = in.asBoolean() ? LoraInit.KAIMING : LoraInit.RANDOM;
        } else if (in.isTextual() && "gaussian".equals(in.asText())) {
            init = LoraInit.GAUSSIAN;
        } else if (!in.isMissingNode() && !in.isNull()) {
            // PiSSA, OLoRA, LoftQ and the like also change the base weights, which this file does not hold.
            unsupported.add("init_lora_weights = " + in);
        }
        if (!unsupported.isEmpty()) {
            throw new IllegalArgumentException(file + " uses LoRA settings peft4j does not implement: "
                    + String.join(", ", unsupported));
        }
        JsonNode tm = j.path("target_modules");
        TargetModules targets;
        if (tm.isTextual()) {
            targets = TargetModules.matching(tm.asText());
        } else if (tm.isArray() && tm.size() > 0) {
            targets = new TargetModules(strings(tm), null);
        } else {
            throw new IllegalArgumentException(file + " has no target_modules (" + tm + ")");
        }
        Map<String, Integer> rankPattern = new LinkedHashMap<>();
        j.path("rank_pattern").fields().forEachRemaining(e -> rankPattern.put(e.getKey(), e.getValue().asInt()));
        Map<String, Double> alphaPattern = new LinkedHashMap<>();
        j.path("alpha_pattern").fields().forEachRemaining(e -> alphaPattern.put(e.getKey(), e.getValue().asDouble()));
        return new LoraConfig(j.path("r").asInt(8), j.path("lora_alpha").asDouble(8), j.path("lora_dropout")
                .asDouble(0), targets, strings(j.path("modules_to_save")), rankPattern, alphaPattern,
                j.path("use_rslora").asBoolean(false), j.path("use_dora").asBoolean(false), init);
    }

    /**
     * Attaches the adapter in {@code dir} to {@code model} (built and loaded with its base weights) and loads its
     * tensors. Fails, leaving the model as it was, when the adapter was made for another base: modules it adapts
     * that the model lacks, or tensors of other shapes, are named.
     */
    public static LoraAdapter load(Path dir, Module model) throws IOException {
        LoraConfig config = readConfig(dir);
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException("no " + WEIGHTS + " in " + dir + " (PyTorch .bin adapter files are not "
                    + "read: save with safe_serialization=True)");
        }
        Map<String, Shape> fileShapes = SafetensorsFile.readShapes(weights);
        Map<String, Boolean> trainable = new LinkedHashMap<>();
        model.namedParameters().forEach((k, v) -> trainable.put(k, v.isTrainable()));
        LoraAdapter adapter;
        try {
            adapter = new Lora(config).apply(model);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("adapter " + dir + " does not fit this model: " + e.getMessage(), e);
        }
        Map<String, NDArray> own = adapter.stateDict();
        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : own.entrySet()) {
            Shape found = fileShapes.get(hfKey(e.getKey()));
            if (found == null) {
                missing.add(hfKey(e.getKey()));
            } else if (!found.equals(e.getValue().getShape())) {
                problems.add(e.getKey() + " is " + found + " in the file but " + e.getValue().getShape()
                        + " in this model");
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String k : fileShapes.keySet()) {
            if (!own.containsKey(ownName(k))) {
                unexpected.add(k);
            }
        }
        if (!missing.isEmpty()) {
            problems.add(missing.size() + " tensors the model's adapter needs are not in the file: " + few(missing));
        }
        if (!unexpected.isEmpty()) {
            problems.add(unexpected.size() + " tensors of the file have no place in this model: " + few(unexpected));
        }
        if (!problems.isEmpty()) {
            adapter.attachment().deactivate();
            model.namedParameters().forEach((k, v) -> v.setTrainable(trainable.get(k)));
            throw new IllegalArgumentException("adapter " + dir + " was made for another base model: "
                    + String.join("; ", problems));
        }
        copyInto(model, own, weights, HfAdapterDirectory::hfKey);
        return adapter;
    }

    /**
     * Reads {@code weights} and copies the tensor stored under {@code key(name)} into each parameter named in
     * {@code own} (whose shapes were checked), through a temporary manager freed afterwards.
     */
    static void copyInto(Module model, Map<String, NDArray> own, Path weights, UnaryOperator<String> key)
            throws IOException {
        Map<String, Parameter> params = model.namedParameters();
        NDManager home = own.values().iterator().next().getManager();
        try (NDManager tmp = home.newSubManager()) {
            Map<String, NDArray> tensors = SafetensorsFile.read(weights, tmp).tensors();
            for (String name : own.keySet()) {
                params.get(name).replace(tensors.get(key.apply(name)));
            }
        }
    }

    /** Writes {@code adapter} into {@code dir} in HF PEFT's layout (the directory is created if needed). */
    public static void save(LoraAdapter adapter, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        adapter.stateDict().forEach((k, v) -> tensors.put(hfKey(k), v));
        SafetensorsFile.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
        byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(configJson(adapter.config()));
        AtomicFiles.write(dir.resolve(CONFIG), out -> out.write(json));
    }

    /**
     * The {@code adapter_config.json} content for {@code config}, with the keys of HF PEFT 0.21's LoraConfig in
     * sorted order as {@code save_pretrained} writes them; what peft4j does not implement has its HF default.
     */
    public static Map<String, Object> configJson(LoraConfig config) {
        Map<String, Object> j = new TreeMap<>();
        for (String k : List.of("alora_invocation_tokens", "arrow_config", "auto_mapping", "base_model_name_or_path",
                "corda_config", "eva_config", "exclude_modules", "kasa_config", "layer_replication", "layers_pattern",
                "layers_to_transform", "lora_ga_config", "megatron_config", "monteclora_config", "revision",
                "target_parameters", "task_type", "trainable_token_indices", "use_bdlora", "velora_config")) {
            j.put(k, null);
        }
        j.put("alpha_pattern", config.alphaPattern());
        j.put("bias", "none");
        j.put("ensure_weight_tying", false);
        j.put("fan_in_fan_out", false);
        j.put("inference_mode", true);
        j.put("init_lora_weights", switch (config.initLoraWeights()) {
            case KAIMING -> (Object) Boolean.TRUE;
            case GAUSSIAN -> "gaussian";
            case RANDOM -> Boolean.FALSE;
        });
        j.put("loftq_config", Map.of());
        j.put("lora_alpha", number(config.loraAlpha()));
        j.put("lora_bias", false);
        j.put("lora_dropout", config.loraDropout());
        j.put("megatron_core", "megatron.core");
        j.put("modules_to_save", config.modulesToSave().isEmpty() ? null : config.modulesToSave());
        j.put("peft_type", "LORA");
        j.put("qalora_group_size", 16);
        j.put("r", config.r());
        j.put("rank_pattern", config.rankPattern());
        TargetModules t = config.targetModules();
        j.put("target_modules", t.regex() != null ? t.regex() : t.names());
        j.put("use_dora", config.useDora());
        j.put("use_qalora", false);
        j.put("use_rslora", config.useRslora());
        return j;
    }

    /** The key HF PEFT uses for a peft4j adapter tensor name. */
    public static String hfKey(String name) {
        String k = name.endsWith(MAGNITUDE + ".weight") ? name.substring(0, name.length() - ".weight".length()) : name;
        return PREFIX + k;
    }

    /** The peft4j adapter tensor name of an HF PEFT key. */
    public static String ownName(String hfKey) {
        String k = hfKey.startsWith(PREFIX) ? hfKey.substring(PREFIX.length()) : hfKey;
        return k.endsWith(MAGNITUDE) ? k + ".weight" : k;
    }

    private static Object number(double v) {
        return v == Math.rint(v) && Math.abs(v) < Integer.MAX_VALUE ? (Object) (int) v : (Object) v;
    }

    private static void requireValue(JsonNode j, String key, Object expected, List<String> unsupported) {
        JsonNode n = j.path(key);
        if (n.isMissingNode() || n.isNull()) {
            return;
        }
        boolean ok = expected instanceof Boolean ? n.isBoolean() && n.asBoolean() == (Boolean) expected
                : expected.equals(n.asText());
        if (!ok) {
            unsupported.add(key + " = " + n);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array.isArray()) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    private static String few(List<String> names) {
        return names.size() <= 5 ? names.toString() : names.subList(0, 5) + " and " + (names.size() - 5) + " more";
    }
}
