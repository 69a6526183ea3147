package ai.peft4j.models.bert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shape of a BERT encoder, with the names and defaults of Hugging Face's {@code config.json}.
 *
 * @param vocabSize rows of the word embedding
 * @param hidden width of every token ({@code hidden_size}), 768 for bert-base
 * @param layers encoder layers
 * @param heads attention heads per layer
 * @param intermediate width of the feed-forward layer
 * @param maxPositions longest input the position embedding covers, special tokens included
 * @param typeVocabSize rows of the token-type (segment) embedding
 * @param layerNormEps epsilon of every LayerNorm (BERT uses 1e-12, not PyTorch's 1e-5)
 * @param pooler whether the model has the {@code pooler} ({@code BertModel}'s default; the text prompt does not use it)
 */
public record BertConfig(int vocabSize, int hidden, int layers, int heads, int intermediate, int maxPositions,
        int typeVocabSize, float layerNormEps, boolean pooler) {
    public BertConfig {
        if (vocabSize < 1 || hidden < 1 || layers < 1 || heads < 1 || intermediate < 1 || maxPositions < 1
                || typeVocabSize < 1) {
            throw new IllegalArgumentException("BERT sizes must be positive: " + this);
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("BERT hidden size " + hidden + " is not a multiple of the " + heads
                    + " attention heads");
        }
    }

    /** {@code bert-base-uncased}: 12 layers of 768 with 12 heads, 30,522 word pieces, 512 positions. */
    public static BertConfig base() {
        return new BertConfig(30522, 768, 12, 12, 3072, 512, 2, 1e-12f, true);
    }

    /** The small encoder of the reference fixtures: 62 word pieces, 2 layers of 64 with 2 heads, 128 positions. */
    public static BertConfig fixtureSmall() {
        return new BertConfig(62, 64, 2, 2, 128, 128, 2, 1e-12f, true);
    }

    public BertConfig withPooler(boolean on) {
        return new BertConfig(vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize,
                layerNormEps, on);
    }

    /**
     * Reads a Hugging Face {@code config.json}. Keys it lacks take bert-base's values, as transformers' defaults
     * are; an activation other than exact GELU is refused, since this encoder computes that one only.
     */
    public static BertConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": BERT config not found");
        }
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not a JSON BERT config (" + e.getMessage() + ")", e);
        }
        String type = c.path("model_type").asText("bert");
        if (!type.equals("bert")) {
            throw new IOException(file + ": model_type is '" + type + "', not 'bert'; give a BERT checkpoint");
        }
        String act = c.path("hidden_act").asText("gelu");
        if (!act.equals("gelu")) {
            throw new IOException(file + ": hidden_act '" + act + "' is not supported (only 'gelu', exact erf)");
        }
        BertConfig d = base();
        try {
            return new BertConfig(c.path("vocab_size").asInt(d.vocabSize), c.path("hidden_size").asInt(d.hidden),
                    c.path("num_hidden_layers").asInt(d.layers), c.path("num_attention_heads").asInt(d.heads),
                    c.path("intermediate_size").asInt(d.intermediate),
                    c.path("max_position_embeddings").asInt(d.maxPositions),
                    c.path("type_vocab_size").asInt(d.typeVocabSize),
                    (float) c.path("layer_norm_eps").asDouble(d.layerNormEps), true);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    public int headDim() {
        return hidden / heads;
    }
}
