package ai.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BERT and its tokeniser against transformers and tokenizers ({@code fixtures/bert}): the token ids of the nine
 * TP-LoRA prompts, their {@code last_hidden_state} on the fixture's closed-form weights within 1e-4, and the state
 * dict and size of bert-base.
 */
class BertParityTest {
    private static final String DIR = "fixtures/bert/";
    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path tmp;

    @Test
    void wordPieces_matchPublishedTokenIdsForAllNinePrompts() throws Exception {
        JsonNode prompts = fixture().path("prompts");
        assertEquals(9, prompts.size());
        try (WordPieceTokenizer t = WordPieceTokenizer.fromVocab(SharedFiles.require(DIR + "bert_vocab.txt"))) {
            for (Iterator<Map.Entry<String, JsonNode>> it = prompts.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                WordPieceTokenizer.Tokens tokens = t.encode(p.getValue().path("text").asText());
                assertArrayEquals(longs(p.getValue().path("ids")), tokens.ids(), p.getKey());
                assertEquals(strings(p.getValue().path("tokens")), tokens.pieces(), p.getKey());
            }
        }
    }

    @Test
    void lastHiddenState_matchesPublishedForAllNinePrompts() throws Exception {
        JsonNode fixture = fixture();
        Path checkpoint = fixtureCheckpoint(fixture);
        try (NDManager m = EngineSetup.newManager();
                BertTextEncoder encoder = BertTextEncoder.load(checkpoint, m)) {
            Map<String, NDArray> expected = SafetensorsFile.read(SharedFiles.require(DIR + "bert_small.safetensors"),
                    m).tensors();
            assertEquals(64, encoder.width());
            for (Iterator<Map.Entry<String, JsonNode>> it = fixture.path("prompts").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                BertTextEncoder.Embeddings e = encoder.encode(p.getValue().path("text").asText());
                float[] want = expected.get(p.getKey()).toFloatArray();
                assertEquals(want.length, e.values().length, p.getKey());
                assertEquals(expected.get(p.getKey()).getShape().get(0), e.seq(), p.getKey());
                double worst = 0;
                for (int i = 0; i < want.length; i++) {
                    worst = Math.max(worst, Math.abs(want[i] - e.values()[i]));
                }
                assertTrue(worst <= TOLERANCE, p.getKey() + ": max |diff| " + worst);
            }
        }
    }

    @Test
    void bertBase_hasTransformersKeysAndPublishedParameterTotal() throws Exception {
        List<String> expected = new ArrayList<>(List.of("embeddings.word_embeddings.weight",
                "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight",
                "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"));
        for (int i = 0; i < 12; i++) {
            for (String k : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense",
                    "output.LayerNorm")) {
                expected.add("encoder.layer." + i + "." + k + ".weight");
                expected.add("encoder.layer." + i + "." + k + ".bias");
            }
        }
        expected.add("pooler.dense.weight");
        expected.add("pooler.dense.bias");
        try (NDManager m = EngineSetup.newManager()) {
            BertModel base = new BertModel(m, BertConfig.base());
            assertEquals(expected, new ArrayList<>(base.stateDict().keySet()));
            assertEquals(fixture().path("bert_base_total").asLong(), base.parameterCount());
        }
    }

    /** A model folder as transformers saves it: config.json (the fixture's), model.safetensors, vocab.txt. */
    private Path fixtureCheckpoint(JsonNode fixture) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("bert-small"));
        new ObjectMapper().writeValue(dir.resolve("config.json").toFile(), fixture.path("config"));
        Files.copy(SharedFiles.require(DIR + "bert_vocab.txt"), dir.resolve("vocab.txt"));
        try (NDManager m = EngineSetup.newManager()) {
            BertModel model = new BertModel(m, BertConfig.fixtureSmall());
            ClosedFormWeights.fill(model);
            SafetensorsFile.write(dir.resolve("model.safetensors"), model.stateDict(), Map.of("format", "pt"));
        }
        return dir;
    }

    static JsonNode fixture() throws Exception {
        return new ObjectMapper().readTree(SharedFiles.require(DIR + "bert_small.json").toFile());
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(n -> out.add(n.asText()));
        return out;
    }
}
