package ai.peft4j.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.peft.tplora.TpLora;
import ai.peft4j.peft.tplora.TpLoraConfig;
import ai.peft4j.peft.vpt.Vpt;
import ai.peft4j.peft.vpt.VptConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An adapter on disk, in the layout HF PEFT uses: a directory with {@code adapter_config.json} (method, settings,
 * classes, and a fingerprint of the base model it was trained on) and {@code adapter_model.safetensors} (only the
 * adapter's tensors under their names in the model, plus TP-LoRA's text prompt). LoRA on the full Swin-T-Att-UNet
 * is 0.7 MB against the model's 175 MB.
 */
public final class AdapterFiles {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final String PROMPT_KEY = "peft4j.tplora.prompt";
    private static final ObjectMapper JSON = new ObjectMapper();

    private AdapterFiles() {}

    /** Writes the active adapter to {@code dir} (created if needed); both files are written atomically. */
    public static void save(Attachment a, Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectNode config = JSON.createObjectNode();
        config.put("format", "peft4j-adapter").put("version", 1).put("method", a.method().name());
        ObjectNode settings = config.putObject("settings");
        a.method().settings().forEach((k, v) -> settings.putPOJO(k, v));
        if (a.method() instanceof SegmenterMethod sm) {
            config.put("classes", sm.classes());
        }
        config.put("base_fingerprint", fingerprint(a.model(), a));
        config.put("base_parameters", a.baseParameterCount());
        Map<String, NDArray> tensors = new LinkedHashMap<>(a.stateDict());
        if (a.method() instanceof TpLora tp) {
            tensors.put(PROMPT_KEY, tp.promptArray());
        }
        SafetensorsFile.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "peft4j-adapter"));
        AtomicFiles.write(dir.resolve(CONFIG), out -> out.write(
                config.toPrettyString().getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Attaches the adapter stored in {@code dir} to {@code model} and loads its weights. Fails, naming the files
     * and the differences, when the adapter was made for another base model.
     */
    public static Attachment load(Path dir, Module model, NDManager manager) throws IOException {
        Path configFile = dir.resolve(CONFIG);
        Path weightsFile = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(configFile) || !Files.isRegularFile(weightsFile)) {
            throw new IOException(dir + ": not an adapter directory (needs " + CONFIG + " and " + WEIGHTS + ")");
        }
        JsonNode config = JSON.readTree(configFile.toFile());
        if (!"peft4j-adapter".equals(config.path("format").asText())) {
            throw new IOException(configFile + ": not a peft4j adapter (an HF PEFT adapter loads with the hf "
                    + "format reader)");
        }
        Map<String, NDArray> tensors = SafetensorsFile.read(weightsFile, manager).tensors();
        PeftMethod method = method(config, tensors.remove(PROMPT_KEY), configFile);
        long baseParams = config.path("base_parameters").asLong(-1);
        if (baseParams >= 0 && baseParams != model.parameterCount()) {
            throw new IllegalArgumentException(dir + ": adapter made for a base model with " + baseParams
                    + " parameters; this model has " + model.parameterCount());
        }
        Attachment a = method.attach(model);
        Map<String, NDArray> own = a.stateDict();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : own.entrySet()) {
            NDArray t = tensors.get(e.getKey());
            if (t == null) {
                problems.add("missing in the file: " + e.getKey() + " " + e.getValue().getShape());
            } else if (!t.getShape().equals(e.getValue().getShape())) {
                problems.add("shape differs: " + e.getKey() + " model " + e.getValue().getShape() + ", file "
                        + t.getShape());
            }
        }
        for (String k : tensors.keySet()) {
            if (!own.containsKey(k)) {
                problems.add("not in this model: " + k + " " + tensors.get(k).getShape());
            }
        }
        if (!problems.isEmpty()) {
            a.deactivate();
            throw new IllegalArgumentException(dir + ": adapter does not fit this base model ("
                    + problems.size() + " differences):\n  " + String.join("\n  ", problems.subList(0,
                    Math.min(20, problems.size()))));
        }
        Map<String, Parameter> params = model.namedParameters();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            params.get(e.getKey()).replace(e.getValue());
        }
        if (!config.path("base_fingerprint").asText().equals(fingerprint(model, a))) {
            org.slf4j.LoggerFactory.getLogger(AdapterFiles.class).warn("{}: the base model's layout differs from "
                    + "the one the adapter was trained on (fingerprint); outputs may not be what it was trained for",
                    dir);
        }
        return a;
    }

    private static PeftMethod method(JsonNode config, NDArray prompt, Path file) {
        String name = config.path("method").asText();
        JsonNode s = config.path("settings");
        TextPrompt tp = null;
        TpLoraConfig tpc = null;
        if ("tplora".equals(name)) {
            if (prompt == null) {
                throw new IllegalArgumentException(file + ": TP-LoRA adapter without its text prompt");
            }
            Shape sh = prompt.getShape();
            tp = new TextPrompt(prompt.toFloatArray(), (int) sh.get(1), (int) sh.get(2));
            tpc = new TpLoraConfig((float) s.path("mlp_ratio").asDouble(), s.path("rank").asInt(),
                    TpLoraConfig.Act.parse(s.path("act").asText()), TpLoraConfig.In.parse(s.path("in_location").asText()),
                    TpLoraConfig.Out.parse(s.path("out_location").asText()));
        }
        PeftMethod m = "vpt".equals(name) ? new Vpt(SegmenterLayout.swinAttUNet(), new VptConfig(
                s.path("tokens").asInt(), (float) s.path("dropout").asDouble(), s.path("input_size").asInt()))
                : MethodCatalog.create(name, tpc, tp);
        if (m instanceof TpLora t && s.hasNonNull("prompt_text")) {
            t.withPromptSource(s.path("prompt_text").asText(), s.path("text_encoder").asText());
        }
        if (m instanceof SegmenterMethod sm && config.path("classes").asInt(0) > 0) {
            sm.withClasses(config.path("classes").asInt());
        }
        return m;
    }

    /** A digest of the names and shapes of the base parameters the adapter does not own. */
    private static String fingerprint(Module model, Attachment a) {
        Set<String> own = Set.copyOf(a.ownParameterNames());
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                if (!own.contains(e.getKey())) {
                    md.update((e.getKey() + e.getValue().shape() + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
