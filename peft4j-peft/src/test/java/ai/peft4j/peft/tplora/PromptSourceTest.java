package ai.peft4j.peft.tplora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The published sentences by name, and the sentence and encoder an adapter records. */
class PromptSourceTest {
    @TempDir
    Path tmp;

    @Test
    void publishedPrompts_areTheNineSentencesOfTheFixture() throws Exception {
        JsonNode prompts = new ObjectMapper().readTree(SharedFiles.require("fixtures/bert/bert_small.json").toFile())
                .path("prompts");
        assertEquals(9, PublishedPrompts.all().size());
        for (Iterator<Map.Entry<String, JsonNode>> it = prompts.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            assertEquals(p.getValue().path("text").asText(), PublishedPrompts.all().get(p.getKey()), p.getKey());
        }
        assertEquals(PublishedPrompts.all().get("LARGE/ORANGE-NAVEL"),
                PublishedPrompts.text(" large/Orange-Navel ").orElseThrow());
        assertFalse(PublishedPrompts.text("HUGE/LEMON").isPresent());
    }

    @Test
    void adapter_recordsSentenceAndEncoderAndKeepsThemWhenReloaded() throws Exception {
        try (NDManager m = EngineSetup.newManager()) {
            SwinAttUNet a = new SwinAttUNet(m, SwinAttUNetConfig.fixture(6));
            ClosedFormWeights.fill(a);
            TpLora method = TpLora.published(TpLoraConfig.readme(), TextPrompt.zeros(7, 768))
                    .withPromptSource("A lemon defect dataset.", "f00d");
            Attachment att = method.attach(a);
            Path dir = tmp.resolve("tp");
            AdapterFiles.save(att, dir);
            JsonNode source = new ObjectMapper().readTree(dir.resolve(AdapterFiles.CONFIG).toFile())
                    .path("prompt_source");
            assertEquals("A lemon defect dataset.", source.path("text").asText());
            assertEquals("f00d", source.path("text_encoder").asText());

            SwinAttUNet b = new SwinAttUNet(m, SwinAttUNetConfig.fixture(6));
            ClosedFormWeights.fill(b);
            TpLora loaded = (TpLora) AdapterFiles.load(dir, b, m).method();
            assertEquals("A lemon defect dataset.", loaded.promptText());
            assertEquals("f00d", loaded.textEncoder());
            assertEquals(method.config(), loaded.config());
        }
    }
}
