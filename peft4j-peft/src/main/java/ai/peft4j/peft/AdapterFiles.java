package ai.peft4j.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.state.AtomicFiles;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.peft.hf.HfAdaLoraDirectory;
import ai.peft4j.peft.hf.HfAdapterDirectory;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.peft.tplora.TpLora;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An adapter on disk, in the layout HF PEFT uses: a directory with {@code adapter_config.json} and
 * {@code adapter_model.safetensors}. peft4j's own directories record the method by its registry name with its
 * whole config record, the head's classes, the BatchNorm choice and the content fingerprint of the base model it
 * was trained on; the weights file holds only the adapter's tensors under their names in the model (trained base
 * parameters, moved BatchNorm statistics with {@code bn_stats: update}, TP-LoRA's text prompt). LoRA on the full
 * Swin-T-Att-UNet is 0.7 MB against the model's 175 MB. {@link #load} also reads HF PEFT's LoRA and AdaLoRA
 * directories, told apart by the config's content.
 */
public final class AdapterFiles {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    /** The layout of {@code adapter_config.json}; version 1 did not record settings or the base's content. */
    public static final int VERSION = 2;
    private static final String FORMAT = "peft4j-adapter";
    private static final String PROMPT_KEY = "peft4j.tplora.prompt";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How to load.
     *
     * @param forceBase load even when the model's weights are not those the adapter was trained on
     * @param inputs what the method needs besides its settings (block expansion's block factory)
     */
    public record LoadOptions(boolean forceBase, MethodInputs inputs) {
        public static LoadOptions defaults() {
            return new LoadOptions(false, MethodInputs.none());
        }

        public static LoadOptions forced(boolean force) {
            return new LoadOptions(force, MethodInputs.none());
        }
    }

    private AdapterFiles() {}

    /** Writes the active adapter to {@code dir} (created if needed); both files are written atomically. */
    public static void save(Attachment a, Path dir) throws IOException {
        Files.createDirectories(dir);
        PeftMethod method = a.method();
        ObjectNode config = JSON.createObjectNode();
        config.put("format", FORMAT).put("version", VERSION).put("method", method.name());
        config.set("config", MethodRegistry.toJson(method.config()));
        if (method instanceof SegmenterMethod sm) {
            config.put("classes", sm.classes());
        }
        config.put("bn_stats", method.bnStats().fileName());
        config.put("base_fingerprint", a.baseFingerprint());
        config.put("base_parameters", a.baseParameterCount());
        Map<String, NDArray> tensors = new LinkedHashMap<>(a.stateDict());
        if (method instanceof TpLora tp) {
            tensors.put(PROMPT_KEY, tp.promptArray());
            if (tp.promptText() != null) {
                // Which sentence and which BERT made the prompt; the encoder itself never enters the adapter.
                config.putObject("prompt_source").put("text", tp.promptText()).put("text_encoder", tp.textEncoder());
            }
        }
        SafetensorsFile.write(dir.resolve(WEIGHTS), tensors, Map.of("format", FORMAT));
        AtomicFiles.write(dir.resolve(CONFIG), out -> out.write(
                config.toPrettyString().getBytes(StandardCharsets.UTF_8)));
    }

    /** {@link #load(Path, Module, NDManager, LoadOptions)} refusing another base. */
    public static Attachment load(Path dir, Module model, NDManager manager) throws IOException {
        return load(dir, model, manager, LoadOptions.defaults());
    }

    /**
     * Attaches the adapter stored in {@code dir} to {@code model} and loads its weights: a peft4j adapter, or an
     * HF PEFT LoRA or AdaLoRA adapter. Fails, naming the files and the differences and leaving the model as it
     * was, when the adapter does not fit the model, or when it was trained on a base with other weights (unless
     * {@code options.forceBase()}).
     */
    public static Attachment load(Path dir, Module model, NDManager manager, LoadOptions options)
            throws IOException {
        Path configFile = dir.resolve(CONFIG);
        Path weightsFile = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(configFile) || !Files.isRegularFile(weightsFile)) {
            throw new IOException(dir + ": not an adapter directory (needs " + CONFIG + " and " + WEIGHTS + ")");
        }
        JsonNode config = JSON.readTree(configFile.toFile());
        if (!FORMAT.equals(config.path("format").asText())) {
            String type = config.path("peft_type").asText("");
            switch (type) {
                case "LORA": return HfAdapterDirectory.load(dir, model).attachment();
                case "ADALORA": return HfAdaLoraDirectory.load(dir, model).attachment();
                default: throw new IOException(configFile + ": neither a peft4j adapter nor an HF PEFT LORA or "
                        + "ADALORA adapter (format '" + config.path("format").asText() + "', peft_type '" + type
                        + "')");
            }
        }
        int version = config.path("version").asInt(1);
        if (version != VERSION) {
            throw new IOException(configFile + ": adapter format version " + version + ", this peft4j reads "
                    + VERSION + (version < VERSION ? "; version 1 did not record the method's settings or its base: "
                    + "train the adapter again with 'peft4j finetune'" : "; update peft4j"));
        }
        Map<String, NDArray> tensors = SafetensorsFile.read(weightsFile, manager).tensors();
        PeftMethod method = method(config, tensors.remove(PROMPT_KEY), configFile, options.inputs());
        long baseParams = config.path("base_parameters").asLong(-1);
        if (baseParams >= 0 && baseParams != model.parameterCount()) {
            throw new IllegalArgumentException(dir + ": adapter made for a base model with " + baseParams
                    + " parameters; this model has " + model.parameterCount());
        }
        Map<String, Boolean> trainable = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> trainable.put(k, p.isTrainable()));
        Attachment a = method.attach(model);
        try {
            checkFits(dir, a.stateDict(), tensors);
            String expected = config.path("base_fingerprint").asText();
            String actual = a.baseFingerprint();
            if (!expected.equals(actual) && !options.forceBase()) {
                throw new IllegalArgumentException(dir + ": adapter trained on another base model (base "
                        + BaseFingerprint.shorten(expected) + " in " + configFile.getFileName() + ", this model "
                        + BaseFingerprint.shorten(actual) + "); load it onto the checkpoint it was trained on, or "
                        + "force it (--force-base) knowing its outputs will not be those it was validated with");
            }
            if (!expected.equals(actual)) {
                org.slf4j.LoggerFactory.getLogger(AdapterFiles.class).warn("{}: loaded onto another base model "
                        + "(base {} in the adapter, this model {}), as forced", dir,
                        BaseFingerprint.shorten(expected), BaseFingerprint.shorten(actual));
            }
        } catch (RuntimeException e) {
            a.deactivate();
            Map<String, Parameter> params = model.namedParameters();
            trainable.forEach((k, on) -> params.get(k).setTrainable(on));
            throw e;
        }
        a.loadStateDict(tensors);
        return a;
    }

    private static void checkFits(Path dir, Map<String, NDArray> own, Map<String, NDArray> tensors) {
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
            throw new IllegalArgumentException(dir + ": adapter does not fit this base model (" + problems.size()
                    + " differences):\n  " + String.join("\n  ", problems.subList(0, Math.min(20, problems.size()))));
        }
    }

    private static PeftMethod method(JsonNode config, NDArray prompt, Path file, MethodInputs inputs) {
        String name = config.path("method").asText();
        Record settings;
        try {
            settings = MethodRegistry.fromJson(name, config.path("config"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        if (prompt != null) {
            Shape sh = prompt.getShape();
            inputs = new MethodInputs(new TextPrompt(prompt.toFloatArray(), (int) sh.get(1), (int) sh.get(2)),
                    inputs.freshBlock());
        } else if (settings instanceof ai.peft4j.peft.tplora.TpLoraConfig) {
            throw new IllegalArgumentException(file + ": TP-LoRA adapter without its text prompt");
        }
        PeftMethod m = MethodRegistry.create(name, settings, inputs);
        if (m instanceof TpLora t && config.hasNonNull("prompt_source")) {
            JsonNode ps = config.path("prompt_source");
            t.withPromptSource(ps.path("text").asText(), ps.path("text_encoder").asText());
        }
        if (m instanceof SegmenterMethod sm && config.path("classes").asInt(0) > 0) {
            sm.withClasses(config.path("classes").asInt());
        }
        if (config.has("bn_stats")) {
            m.withBnStats(BnStats.parse(config.path("bn_stats").asText()));
        }
        return m;
    }
}
