package ai.peft4j.models.bert;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A one-layer BERT folder as transformers saves one ({@code config.json}, {@code vocab.txt}, {@code model.safetensors}
 * with closed-form weights), small enough for tests that need a text encoder on disk.
 */
public final class TinyBert {
    private TinyBert() {}

    /** The fixture's WordPiece vocabulary, one token per line. */
    public static List<String> fixtureVocabulary() throws IOException {
        return Files.readAllLines(SharedFiles.require("fixtures/bert/bert_vocab.txt"));
    }

    /** Writes the folder {@code dir}: {@code hidden} wide, {@code heads} heads, {@code positions} positions. */
    public static Path write(Path dir, int hidden, int heads, int positions, List<String> vocabulary)
            throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "bert", "vocab_size": %d, "hidden_size": %d, "num_hidden_layers": 1,
                 "num_attention_heads": %d, "intermediate_size": 32, "max_position_embeddings": %d,
                 "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12}
                """.formatted(vocabulary.size(), hidden, heads, positions));
        Files.write(dir.resolve("vocab.txt"), vocabulary);
        try (NDManager m = EngineSetup.newManager()) {
            BertModel model = new BertModel(m, BertConfig.read(dir.resolve("config.json")));
            ClosedFormWeights.fill(model);
            SafetensorsFile.write(dir.resolve("model.safetensors"), model.stateDict(), Map.of("format", "pt"));
        }
        return dir;
    }

    /** Flips one bit of the weights file's last byte: the same encoder in every way but its fingerprint. */
    public static void flipWeightByte(Path dir) throws IOException {
        Path weights = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 1;
        Files.write(weights, bytes);
    }
}
