package ai.peft4j.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.tplora.TextPrompt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Total and trainable parameters of every method on the full-size Swin-T and Swin-S Att-UNets (6 classes), against
 * the published counts. One base model per backbone serves all methods: each attaches, is counted and detaches,
 * which also shows that detaching restores the base model exactly.
 */
class PublishedParameterCountsTest {
    private static final List<String> ROWS = List.of("base", "bitfit", "vpt", "lora", "adapter", "adaptformer",
            "convpass", "tplora-paper", "tplora-readme");

    @Test
    void swinT_countsMatchPublishedTable() throws Exception {
        check("swin-t", "swin_T_224");
    }

    @Test
    void swinS_countsMatchPublishedTable() throws Exception {
        check("swin-s", "swin_S_224");
    }

    private static void check(String backbone, String key) throws Exception {
        JsonNode counts = new ObjectMapper().readTree(
                SharedFiles.require("fixtures/tplora/param_counts_full.json").toFile());
        TextPrompt prompt = TextPrompt.zeros(48, TextPrompt.BERT_BASE_WIDTH);
        try (NDManager m = EngineSetup.newManager()) {
            SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.published(backbone, 6));
            long baseTotal = model.parameterCount();
            for (String row : ROWS) {
                JsonNode expected = counts.path(row + "/" + key);
                String name = row.equals("base") ? "full" : row.equals("tplora-paper") ? "tplora" : row;
                Attachment a = MethodRegistry.create(name, MethodInputs.prompt(prompt)).attach(model);
                assertEquals(expected.path("total").asLong(), model.parameterCount(), row + " total on " + backbone);
                assertEquals(expected.path("trainable").asLong(), model.trainableParameterCount(),
                        row + " trainable on " + backbone);
                a.deactivate();
                assertEquals(baseTotal, model.parameterCount(), "detaching " + row + " restores the base model");
            }
            // "Classify": only the 1x1 head trains, 64 x 6 + 6.
            Attachment head = MethodRegistry.create("classify", MethodInputs.prompt(prompt)).attach(model);
            assertEquals(390L, model.trainableParameterCount());
            head.deactivate();
        }
    }
}
