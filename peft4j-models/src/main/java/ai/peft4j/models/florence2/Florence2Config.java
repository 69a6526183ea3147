package ai.peft4j.models.florence2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A whole Florence-2: the image encoder, the language model and what joins them.
 *
 * @param vision the DaViT encoder
 * @param text the encoder-decoder
 * @param projectionDim width the image tokens are projected to (the language model's {@code d_model})
 * @param imagePositions rows of the learned 2-D image position tables ({@code max_pos_embeddings}), the largest
 *     side of the last stage's map
 * @param temporalPositions rows of the cosine frame table ({@code max_temporal_embeddings})
 */
public record Florence2Config(DaVitConfig vision, BartConfig text, int projectionDim, int imagePositions,
        int temporalPositions) {
    public Florence2Config {
        if (projectionDim != text.dModel()) {
            throw new IllegalArgumentException("Florence-2 projection_dim " + projectionDim
                    + " must equal the language model's d_model " + text.dModel());
        }
    }

    /** Florence-2-base (0.23 B parameters), 768x768 images. */
    public static Florence2Config base() {
        return new Florence2Config(DaVitConfig.base(), BartConfig.base(), 768, 50, 100);
    }

    /** The tiny model of the reference fixtures ({@code fixtures/florence2}), 64x64 images, full vocabulary. */
    public static Florence2Config fixtureTiny() {
        return fixtureTiny(51289);
    }

    /** The tiny model with another vocabulary size (the fixtures' 64-token twin). */
    public static Florence2Config fixtureTiny(int vocabSize) {
        return new Florence2Config(DaVitConfig.fixtureTiny(), BartConfig.fixtureTiny(vocabSize), 32, 50, 100);
    }

    /**
     * Reads a checkpoint's {@code config.json} ({@code vision_config}, {@code text_config}, {@code projection_dim}).
     * Keys it lacks take Florence-2-base's values; settings this implementation does not compute (another
     * activation, pre-norm layers, other image feature sources) are refused with the key named.
     */
    public static Florence2Config read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": Florence-2 config not found");
        }
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not a JSON Florence-2 config (" + e.getMessage() + ")", e);
        }
        JsonNode v = c.path("vision_config");
        JsonNode t = c.path("text_config");
        Florence2Config d = base();
        require(file, "text_config.activation_function", t.path("activation_function").asText("gelu"), "gelu");
        require(file, "text_config.normalize_before", t.path("normalize_before").asText("false"), "false");
        require(file, "text_config.add_final_layer_norm", t.path("add_final_layer_norm").asText("false"), "false");
        require(file, "vision_config.image_feature_source", v.path("image_feature_source").toString(),
                v.has("image_feature_source") ? "[\"spatial_avg_pool\",\"temporal_avg_pool\"]" : "[]");
        try {
            DaVitConfig dv = d.vision();
            DaVitConfig vision = new DaVitConfig(ints(v, "dim_embed", dv.dims()), ints(v, "num_heads", dv.heads()),
                    ints(v, "num_groups", dv.groups()), ints(v, "depths", dv.depths()),
                    ints(v, "patch_size", dv.patchSize()), ints(v, "patch_stride", dv.patchStride()),
                    ints(v, "patch_padding", dv.patchPadding()), bools(v, "patch_prenorm", dv.patchPrenorm()),
                    v.path("window_size").asInt(dv.windowSize()), dv.mlpRatio());
            BartConfig dt = d.text();
            BartConfig text = new BartConfig(t.path("vocab_size").asInt(dt.vocabSize()),
                    t.path("d_model").asInt(dt.dModel()), t.path("encoder_layers").asInt(dt.encoderLayers()),
                    t.path("decoder_layers").asInt(dt.decoderLayers()),
                    t.path("encoder_attention_heads").asInt(dt.encoderHeads()),
                    t.path("decoder_attention_heads").asInt(dt.decoderHeads()),
                    t.path("encoder_ffn_dim").asInt(dt.encoderFfn()), t.path("decoder_ffn_dim").asInt(dt.decoderFfn()),
                    t.path("max_position_embeddings").asInt(dt.maxPositions()),
                    t.path("scale_embedding").asBoolean(dt.scaleEmbedding()));
            int projection = c.path("projection_dim").asInt(v.path("projection_dim").asInt(d.projectionDim()));
            return new Florence2Config(vision, text, projection,
                    v.path("image_pos_embed").path("max_pos_embeddings").asInt(d.imagePositions()),
                    v.path("visual_temporal_embedding").path("max_temporal_embeddings").asInt(d.temporalPositions()));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static void require(Path file, String key, String value, String supported) throws IOException {
        if (!value.equals(supported)) {
            throw new IOException(file + ": " + key + " is " + value + "; only " + supported
                    + " is supported (the published Florence-2 setting)");
        }
    }

    private static List<Integer> ints(JsonNode parent, String key, List<Integer> fallback) {
        if (!parent.has(key)) {
            return fallback;
        }
        List<Integer> out = new ArrayList<>();
        parent.get(key).forEach(n -> out.add(n.asInt()));
        return out;
    }

    private static List<Boolean> bools(JsonNode parent, String key, List<Boolean> fallback) {
        if (!parent.has(key)) {
            return fallback;
        }
        List<Boolean> out = new ArrayList<>();
        parent.get(key).forEach(n -> out.add(n.asBoolean()));
        return out;
    }
}
