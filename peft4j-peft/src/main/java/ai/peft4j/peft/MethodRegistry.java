package ai.peft4j.peft;

import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.adalora.AdaLora;
import ai.peft4j.peft.adalora.AdaLoraConfig;
import ai.peft4j.peft.adaptformer.AdaptFormer;
import ai.peft4j.peft.adaptformer.AdaptFormerConfig;
import ai.peft4j.peft.bitfit.BitFit;
import ai.peft4j.peft.bitfit.BitFitConfig;
import ai.peft4j.peft.convpass.Convpass;
import ai.peft4j.peft.convpass.ConvpassConfig;
import ai.peft4j.peft.expansion.AddedBlocks;
import ai.peft4j.peft.expansion.AddedBlocksConfig;
import ai.peft4j.peft.expansion.BlockExpansion;
import ai.peft4j.peft.expansion.BlockExpansionConfig;
import ai.peft4j.peft.full.AllWeights;
import ai.peft4j.peft.full.AllWeightsConfig;
import ai.peft4j.peft.full.ClassifyConfig;
import ai.peft4j.peft.full.FullConfig;
import ai.peft4j.peft.full.FullFineTuning;
import ai.peft4j.peft.full.HeadOnly;
import ai.peft4j.peft.houlsby.HoulsbyAdapter;
import ai.peft4j.peft.houlsby.HoulsbyConfig;
import ai.peft4j.peft.lora.Lora;
import ai.peft4j.peft.lora.LoraConfig;
import ai.peft4j.peft.qvlora.QueryValueLora;
import ai.peft4j.peft.qvlora.QueryValueLoraConfig;
import ai.peft4j.peft.sam.SamAdaLora;
import ai.peft4j.peft.sam.SamAdaLoraConfig;
import ai.peft4j.peft.sam.SamDecoderOnly;
import ai.peft4j.peft.sam.SamAdapter;
import ai.peft4j.peft.sam.SamAdapterConfig;
import ai.peft4j.peft.sam.SamLora;
import ai.peft4j.peft.sam.SamLoraConfig;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.peft.transfer.FusedQkvLora;
import ai.peft4j.peft.transfer.FusedQkvLoraConfig;
import ai.peft4j.peft.transfer.TopBlocks;
import ai.peft4j.peft.transfer.TopBlocksConfig;
import ai.peft4j.peft.tplora.TpLora;
import ai.peft4j.peft.tplora.TpLoraConfig;
import ai.peft4j.peft.vpt.Vpt;
import ai.peft4j.peft.vpt.VptConfig;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Every method by its one name, with its config record and how to build it (HF PEFT's
 * {@code PEFT_TYPE_TO_CONFIG_MAPPING}): the command line, run files and adapter files all go through here. Config
 * records travel as JSON with snake_case field names ({@code lora_alpha}, {@code mlp_ratio}).
 *
 * <p>{@code lora} is the published q/v LoRA of the TP-LoRA comparison; the generic LoRA of HF PEFT (DoRA and
 * rsLoRA being options of it) is {@code hf-lora}. {@code tplora-readme} is not a method but a preset: TP-LoRA
 * with the published README's settings.
 */
public final class MethodRegistry {
    /** The mapper of config records: snake_case names, unknown fields refused. */
    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** The methods of the TP-LoRA comparison, in the order of the published table. */
    public static final List<String> TABLE = List.of("full", "classify", "bitfit", "vpt", "adapter", "adaptformer",
            "lora", "convpass", "tplora");

    /**
     * A registered method.
     *
     * @param name the method's one name
     * @param configClass its settings record
     * @param published the settings it runs with when none are given
     * @param factory builds the method from settings and inputs
     */
    public record Entry<C extends Record>(String name, Class<C> configClass, Supplier<C> published,
            BiFunction<C, MethodInputs, PeftMethod> factory) {
        PeftMethod create(Record config, MethodInputs inputs) {
            if (!configClass.isInstance(config)) {
                throw new IllegalArgumentException("method " + name + " takes a " + configClass.getSimpleName()
                        + ", not a " + config.getClass().getSimpleName());
            }
            return factory.apply(configClass.cast(config), inputs);
        }
    }

    private static final Map<String, Entry<?>> ENTRIES = new LinkedHashMap<>();
    /**
     * Old names that still load (run files and adapter files written with them), and the method they now name:
     * peft-vit's {@code full} and {@code linear} modes are {@code full} and {@code classify} on a ViT classifier.
     */
    public static final Map<String, String> ALIASES = Map.of(
            "vit-full", "full",
            "vit-linear", "classify");
    /** Names that once named a method, and what to write instead. */
    private static final Map<String, String> RENAMED = Map.of(
            "head", "classify",
            "tplora-paper", "tplora",
            "dora", "hf-lora with use_dora: true");

    static {
        add(new Entry<>("full", FullConfig.class, FullConfig::new, (c, in) -> FullFineTuning.published()));
        add(new Entry<>(AllWeights.NAME, AllWeightsConfig.class, AllWeightsConfig::new, (c, in) -> new AllWeights()));
        add(new Entry<>("classify", ClassifyConfig.class, ClassifyConfig::new, (c, in) -> HeadOnly.published()));
        add(new Entry<>("bitfit", BitFitConfig.class, BitFitConfig::new, (c, in) -> BitFit.published()));
        add(new Entry<>("vpt", VptConfig.class, VptConfig::published,
                (c, in) -> new Vpt(SegmenterLayout.swinAttUNet(), c)));
        add(new Entry<>("adapter", HoulsbyConfig.class, () -> new HoulsbyConfig(0.25f),
                (c, in) -> new HoulsbyAdapter(SegmenterLayout.swinAttUNet(), c)));
        add(new Entry<>("adaptformer", AdaptFormerConfig.class, () -> new AdaptFormerConfig(64, 0.1f),
                (c, in) -> new AdaptFormer(SegmenterLayout.swinAttUNet(), c.width(), c.scale())));
        add(new Entry<>("lora", QueryValueLoraConfig.class, () -> new QueryValueLoraConfig(8),
                (c, in) -> new QueryValueLora(SegmenterLayout.swinAttUNet(), c.rank())));
        add(new Entry<>("convpass", ConvpassConfig.class, () -> new ConvpassConfig(8, 1f),
                (c, in) -> new Convpass(SegmenterLayout.swinAttUNet(), c.dim(), c.scale())));
        add(new Entry<>("tplora", TpLoraConfig.class, TpLoraConfig::paper,
                (c, in) -> new TpLora(SegmenterLayout.swinAttUNet(), c, requirePrompt(in.prompt()))));
        // HF's defaults (r 8, alpha 8); the target is the attention projection of Swin and ViT blocks.
        add(new Entry<>(Lora.NAME, LoraConfig.class, () -> LoraConfig.of(8, 8, "qkv"), (c, in) -> new Lora(c)));
        add(new Entry<>("adalora", AdaLoraConfig.class, () -> AdaLoraConfig.of(12, 8, 1000, "qkv"),
                (c, in) -> new AdaLora(c)));
        // Medical-SAM-Adapter's methods on the segment-anything encoders; see docs/methods.md for the published
        // behaviours kept as options.
        add(new Entry<>(SamAdapter.NAME, SamAdapterConfig.class, SamAdapterConfig::published,
                (c, in) -> new SamAdapter(c)));
        add(new Entry<>(SamLora.NAME, SamLoraConfig.class, SamLoraConfig::defaults, (c, in) -> new SamLora(c)));
        add(new Entry<>(SamAdaLora.NAME, SamAdaLoraConfig.class, SamAdaLoraConfig::defaults,
                (c, in) -> new SamAdaLora(c)));
        add(new Entry<>(SamDecoderOnly.NAME, SamDecoderOnly.Config.class, SamDecoderOnly.Config::new,
                (c, in) -> new SamDecoderOnly()));
        add(new Entry<>("block-expansion", BlockExpansionConfig.class, () -> BlockExpansionConfig.timmVit(4),
                (c, in) -> new BlockExpansion(c, requireFreshBlock(in, "block-expansion"))));
    }

    /**
     * peft-vit's modes of fine-tuning a ViT classifier, in the order of its table (top-k being its "Top-3"); its
     * {@code full} and {@code linear} modes are {@code full} and {@code classify}, which take the classifier's form
     * on a ViT.
     */
    public static final List<String> VIT_MODES = List.of("full", "classify", FusedQkvLora.NAME, TopBlocks.NAME,
            AddedBlocks.NAME);

    static {
        add(new Entry<>(FusedQkvLora.NAME, FusedQkvLoraConfig.class, FusedQkvLoraConfig::published,
                (c, in) -> new FusedQkvLora(c)));
        add(new Entry<>(TopBlocks.NAME, TopBlocksConfig.class, () -> new TopBlocksConfig(3),
                (c, in) -> new TopBlocks(c)));
        add(new Entry<>(AddedBlocks.NAME, AddedBlocksConfig.class, () -> new AddedBlocksConfig(3),
                (c, in) -> new AddedBlocks(c, requireFreshBlock(in, AddedBlocks.NAME))));
    }

    private MethodRegistry() {}

    private static void add(Entry<?> e) {
        ENTRIES.put(e.name(), e);
    }

    /** All method names, the comparison's first. */
    public static List<String> names() {
        return List.copyOf(ENTRIES.keySet());
    }

    /** Presets: a name for a method with other settings than its published ones. */
    public static List<String> presets() {
        return List.of("tplora-readme");
    }

    /**
     * The entry of {@code name} (case-insensitive, an old name of {@link #ALIASES} giving its method's entry); fails
     * naming the known methods, or the new name of an old one.
     */
    public static Entry<?> entry(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        Entry<?> e = ENTRIES.get(ALIASES.getOrDefault(n, n));
        if (e != null) {
            return e;
        }
        if (RENAMED.containsKey(n)) {
            throw new IllegalArgumentException("method '" + name + "' is now called " + RENAMED.get(n));
        }
        throw new IllegalArgumentException("unknown method '" + name + "' (known: " + String.join(", ", names())
                + "; preset: " + String.join(", ", presets()) + "; old names: " + aliasesText() + ")");
    }

    /** The old names that still load, as help texts list them: {@code vit-full = full, vit-linear = classify}. */
    public static String aliasesText() {
        return String.join(", ", new TreeSet<>(ALIASES.keySet()).stream().map(k -> k + " = " + ALIASES.get(k))
                .toList());
    }

    /** The method name behind {@code name}, which may be a preset or an old name. */
    public static String methodOf(String name) {
        return "tplora-readme".equalsIgnoreCase(name) ? "tplora" : entry(name).name();
    }

    /** The settings {@code name} (a method or a preset) runs with when none are given. */
    public static Record defaultConfig(String name) {
        return "tplora-readme".equalsIgnoreCase(name) ? TpLoraConfig.readme() : entry(name).published().get();
    }

    /** The method {@code name} (or a preset) with its default settings. */
    public static PeftMethod create(String name, MethodInputs inputs) {
        return create(methodOf(name), defaultConfig(name), inputs);
    }

    /** The method {@code name} with {@code config}, which must be of the method's config class. */
    public static PeftMethod create(String name, Record config, MethodInputs inputs) {
        return entry(name).create(config, inputs);
    }

    /** {@code name}'s settings (a method or preset) with {@code overrides} by their file names, e.g. rank. */
    public static Record configWith(String name, Map<String, ?> overrides) {
        Entry<?> e = entry(methodOf(name));
        ObjectNode tree = toJson(defaultConfig(name));
        Set<String> known = new TreeSet<>();
        tree.fieldNames().forEachRemaining(known::add);
        List<String> unknown = new ArrayList<>();
        for (String k : overrides.keySet()) {
            if (!known.contains(k)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("method " + e.name() + " has no option " + String.join(", ", unknown)
                    + (known.isEmpty() ? " (it takes none)" : " (its options: " + String.join(", ", known) + ")"));
        }
        overrides.forEach((k, v) -> tree.set(k, JSON.valueToTree(v)));
        return fromJson(e.name(), tree);
    }

    /** The names of {@code name}'s settings (a method or preset) as files spell them. */
    public static List<String> settingNames(String name) {
        List<String> out = new ArrayList<>();
        toJson(defaultConfig(name)).fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** The config record as JSON, every field written. */
    public static ObjectNode toJson(Record config) {
        return JSON.valueToTree(config);
    }

    /** Reads method {@code name}'s config record from JSON; fails with the field at fault. */
    public static Record fromJson(String name, JsonNode json) {
        Entry<?> e = entry(name);
        try {
            return JSON.treeToValue(json, e.configClass());
        } catch (UnrecognizedPropertyException ex) {
            throw new IllegalArgumentException("settings of " + e.name() + ": unknown field '" + ex.getPropertyName()
                    + "'", ex);
        } catch (JsonProcessingException | IllegalArgumentException ex) {
            Throwable cause = ex;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            throw new IllegalArgumentException("settings of " + e.name() + ": " + cause.getMessage(), ex);
        }
    }

    static Map<String, Object> settingsOf(Record config) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = JSON.convertValue(config, Map.class);
        return m;
    }

    private static UnaryOperator<Module> requireFreshBlock(MethodInputs in, String method) {
        if (in.freshBlock() == null) {
            throw new IllegalArgumentException(method + " needs the model's block factory "
                    + "(MethodInputs.withFreshBlock), which only code can give");
        }
        return in.freshBlock();
    }

    private static TextPrompt requirePrompt(TextPrompt prompt) {
        if (prompt == null) {
            throw new IllegalArgumentException("TP-LoRA needs a text prompt: BERT token embeddings [seq, 768] "
                    + "(--prompt FILE)");
        }
        return prompt;
    }
}
