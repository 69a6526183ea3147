package ai.peft4j.app.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.models.bert.BertConfig;
import ai.peft4j.models.bert.BertModel;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.tplora.PublishedPrompts;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.peft.tplora.TpLora;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolving TP-LoRA's prompt options into embeddings: published names, the run folder's cache, conflicts. */
class TextPromptSourceTest {
    @TempDir
    static Path shared;

    private static Path bert;

    @TempDir
    Path tmp;

    /** One 768-wide layer with the fixture vocabulary and closed-form weights. */
    @BeforeAll
    static void bertFolder() throws Exception {
        bert = Files.createDirectories(shared.resolve("bert"));
        Files.writeString(bert.resolve("config.json"), "{\"model_type\": \"bert\", \"vocab_size\": 62, "
                + "\"hidden_size\": 768, \"num_hidden_layers\": 1, \"num_attention_heads\": 12, "
                + "\"intermediate_size\": 32, \"max_position_embeddings\": 128}");
        Files.copy(SharedFiles.require("fixtures/bert/bert_vocab.txt"), bert.resolve("vocab.txt"));
        try (NDManager m = EngineSetup.newManager()) {
            BertModel model = new BertModel(m, BertConfig.read(bert.resolve("config.json")));
            ClosedFormWeights.fill(model);
            SafetensorsFile.write(bert.resolve("model.safetensors"), model.stateDict(), Map.of());
        }
    }

    @Test
    void publishedNameInPrompt_isEncodedAsItsSentenceAndRecordedOnTheMethod() throws Exception {
        try (NDManager m = EngineSetup.newManager()) {
            TextPromptSource source = new TextPromptSource(null);
            PeftMethod method = MethodFactory.create("tplora", Map.of("prompt", "tiny/lemon", "text_encoder",
                    bert.toString()), m, source);
            String sentence = PublishedPrompts.all().get("TINY/LEMON");
            assertEquals(sentence, ((TpLora) method).promptText());
            assertEquals(7, source.encoded().prompt().seq());
            assertArrayEquals(TextPromptSource.encode(sentence, bert, 768, m).prompt().values(),
                    source.encoded().prompt().values());
        }
    }

    @Test
    void storedPrompt_isReadBackInsteadOfEncodingAgain() throws Exception {
        Map<String, Object> options = Map.of("prompt_text", "A lemon defect dataset.", "text_encoder",
                bert.toString());
        try (NDManager m = EngineSetup.newManager()) {
            TextPromptSource first = new TextPromptSource(tmp);
            TextPrompt encoded = first.resolve(options, 768, m);
            first.store();
            List<Path> kept;
            try (Stream<Path> s = Files.list(tmp.resolve(TextPromptSource.CACHE_DIR))) {
                kept = s.toList();
            }
            assertEquals(1, kept.size());
            // Overwrite the kept prompt: what the next resolve returns shows where it came from.
            SafetensorsFile.write(kept.get(0), Map.of("prompt", m.zeros(new Shape(1, 7, 768))), Map.of());
            TextPrompt again = new TextPromptSource(tmp).resolve(options, 768, m);
            assertEquals(encoded.seq(), again.seq());
            assertFalse(encoded.values()[0] == 0f);
            assertTrue(allZero(again.values()));
        }
    }

    @Test
    void optionsWithoutASentence_askForNothingHere() throws Exception {
        assertFalse(TextPromptSource.asked(Map.of("rank", 4)));
        assertFalse(TextPromptSource.asked(Map.of("prompt", "HUGE/LEMON")));
        assertNull(new TextPromptSource(null).resolve(Map.of("prompt", "LARGE/LEMONADE"), 768, null));
    }

    @Test
    void conflictingPromptOptions_areRefusedNamingThem() {
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> new TextPromptSource(null)
                .resolve(Map.of("prompt", "LARGE/LEMON", "prompt_text", "x", "text_encoder", bert.toString()), 768,
                        null));
        assertEquals("method.options: give the sentence once, as prompt_text (--prompt-text) or as a published name "
                + "in prompt, not both", both.getMessage());
        IllegalArgumentException file = assertThrows(IllegalArgumentException.class, () -> new TextPromptSource(null)
                .resolve(Map.of("prompt", "vectors.safetensors", "prompt_text", "x", "text_encoder",
                        bert.toString()), 768, null));
        assertTrue(file.getMessage().startsWith("method.options.prompt is a file of token embeddings "
                + "(vectors.safetensors); it cannot be used with prompt_text or text_encoder"), file.getMessage());
    }

    private static boolean allZero(float[] v) {
        for (float f : v) {
            if (f != 0f) {
                return false;
            }
        }
        return true;
    }
}
