package ai.peft4j.app.detect;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.models.florence2.BartConfig;
import ai.peft4j.models.florence2.DaVitConfig;
import ai.peft4j.models.florence2.Florence2;
import ai.peft4j.models.florence2.Florence2Checkpoint;
import ai.peft4j.models.florence2.Florence2Config;
import ai.peft4j.models.florence2.Florence2Tokenizer;
import ai.peft4j.models.florence2.TaskPrompts;
import ai.peft4j.core.state.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Florence-2 checkpoint folder with fresh (random) weights, for data where no pretrained Florence-2 is at hand:
 * {@code config.json} in the published layout, {@code model.safetensors} (the tied token table stored once, under
 * {@code language_model.model.shared.weight}) and a small byte-level vocabulary ({@link ByteLevelVocabulary}) whose
 * merges make the data's label words and the task prompts' words single tokens. Presets: {@code tiny} (the
 * fixtures' 1.8 M-parameter shape, 512 text positions), {@code small} (its widths times four, for training from
 * scratch on a CPU) and {@code base} (Florence-2-base's shape).
 */
public final class Florence2Starter {
    private static final Pattern WORD = Pattern.compile("\\p{L}+");
    public static final List<String> PRESETS = List.of("tiny", "small", "base");

    private Florence2Starter() {}

    /** The preset's shape with {@code vocabSize} token rows. */
    public static Florence2Config preset(String name, int vocabSize) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "tiny": {
                BartConfig t = BartConfig.fixtureTiny(vocabSize);
                return new Florence2Config(DaVitConfig.fixtureTiny(), new BartConfig(vocabSize, t.dModel(),
                        t.encoderLayers(), t.decoderLayers(), t.encoderHeads(), t.decoderHeads(), t.encoderFfn(),
                        t.decoderFfn(), 512, t.scaleEmbedding()), 32, 50, 100);
            }
            case "small": {
                // Four times the tiny's widths (DaViT 32-64-96-128, text 128 wide with 4 heads), same depths.
                DaVitConfig t = DaVitConfig.fixtureTiny();
                DaVitConfig v = new DaVitConfig(List.of(32, 64, 96, 128), t.heads(), t.groups(), t.depths(),
                        t.patchSize(), t.patchStride(), t.patchPadding(), t.patchPrenorm(), t.windowSize(),
                        t.mlpRatio());
                return new Florence2Config(v, new BartConfig(vocabSize, 128, 2, 2, 4, 4, 256, 256, 512, false), 128,
                        50, 100);
            }
            case "base": {
                Florence2Config b = Florence2Config.base();
                return new Florence2Config(b.vision(), b.text().withVocabSize(vocabSize), b.projectionDim(),
                        b.imagePositions(), b.temporalPositions());
            }
            default:
                throw new IllegalArgumentException("unknown Florence-2 preset '" + name + "' (known: "
                        + String.join(", ", PRESETS) + ")");
        }
    }

    /**
     * Writes the folder: a vocabulary with merges for the words of {@code labels} and of every task prompt, the
     * preset sized to it, weights drawn from {@code seed}.
     *
     * @return the model's parameter count
     */
    public static long write(Path dir, String preset, Collection<String> labels, long seed) throws IOException {
        Set<String> words = new LinkedHashSet<>();
        for (String text : labels) {
            addWords(words, text);
        }
        for (String task : TaskPrompts.tasks()) {
            addWords(words, TaskPrompts.construct(task));
        }
        Files.createDirectories(dir);
        ByteLevelVocabulary.write(dir, words);
        int vocab;
        try (Florence2Tokenizer t = Florence2Tokenizer.read(dir)) {
            vocab = t.size();
        }
        Florence2Config config = preset(preset, vocab);
        byte[] json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(configJson(config));
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(seed);
            Florence2 model = new Florence2(m, config);
            Map<String, NDArray> state = new LinkedHashMap<>(model.stateDict());
            Florence2Checkpoint.TIED.subList(1, Florence2Checkpoint.TIED.size()).forEach(state::remove);
            SafetensorsFile.write(dir.resolve("model.safetensors"), state, Map.of("format", "pt"));
            AtomicFiles.write(dir.resolve("config.json"), o -> o.write(json));
            return model.parameterCount();
        }
    }

    private static void addWords(Set<String> words, String text) {
        Matcher m = WORD.matcher(text);
        while (m.find()) {
            words.add(m.group());
        }
    }

    /** {@code config.json} as {@link Florence2Config#read} reads it (the published keys). */
    public static ObjectNode configJson(Florence2Config c) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("model_type", "florence2").put("projection_dim", c.projectionDim());
        ObjectNode v = root.putObject("vision_config");
        DaVitConfig d = c.vision();
        v.put("model_type", "davit");
        ints(v.putArray("dim_embed"), d.dims());
        ints(v.putArray("num_heads"), d.heads());
        ints(v.putArray("num_groups"), d.groups());
        ints(v.putArray("depths"), d.depths());
        ints(v.putArray("patch_size"), d.patchSize());
        ints(v.putArray("patch_stride"), d.patchStride());
        ints(v.putArray("patch_padding"), d.patchPadding());
        ArrayNode pre = v.putArray("patch_prenorm");
        d.patchPrenorm().forEach(pre::add);
        v.put("window_size", d.windowSize()).put("projection_dim", c.projectionDim());
        v.putArray("image_feature_source").add("spatial_avg_pool").add("temporal_avg_pool");
        v.putObject("image_pos_embed").put("type", "learned_abs_2d").put("max_pos_embeddings", c.imagePositions());
        v.putObject("visual_temporal_embedding").put("type", "COSINE")
                .put("max_temporal_embeddings", c.temporalPositions());
        BartConfig t = c.text();
        root.putObject("text_config").put("model_type", "florence2_language").put("vocab_size", t.vocabSize())
                .put("d_model", t.dModel()).put("encoder_layers", t.encoderLayers())
                .put("decoder_layers", t.decoderLayers()).put("encoder_attention_heads", t.encoderHeads())
                .put("decoder_attention_heads", t.decoderHeads()).put("encoder_ffn_dim", t.encoderFfn())
                .put("decoder_ffn_dim", t.decoderFfn()).put("max_position_embeddings", t.maxPositions())
                .put("scale_embedding", t.scaleEmbedding()).put("activation_function", "gelu")
                .put("normalize_before", false).put("add_final_layer_norm", false);
        return root;
    }

    private static void ints(ArrayNode a, List<Integer> values) {
        values.forEach(a::add);
    }
}
