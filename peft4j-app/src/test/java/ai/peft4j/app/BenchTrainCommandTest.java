package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.models.ModelSpec;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTrainCommandTest {
    @TempDir
    Path tmp;

    @Test
    void benchTrain_runsEachMethodInItsOwnProcess_withRatiosToFull() throws Exception {
        Path json = tmp.resolve("train.json");
        Path md = tmp.resolve("train.md");
        CliRun r = CliRun.of("bench", "train", "--backbone", "swin-fixture", "--size", "32", "--batch", "1",
                "--warmup", "0", "--steps", "1", "--methods", "full,lora", "--memory", "default,checkpoint",
                "--json", json.toString(), "--markdown", md.toString());
        assertEquals(0, r.code(), r.err() + r.out());

        JsonNode report = new ObjectMapper().readTree(json.toFile());
        List<String> rows = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        for (JsonNode row : report.path("rows")) {
            rows.add(row.path("method").asText() + "/" + row.path("memory").asText() + "/" + row.path("batch")
                    .asInt());
            assertTrue(row.path("peak_rss_mb").asDouble() > 0 && row.path("seconds_per_step").asDouble() > 0,
                    row.toString());
            if (row.path("method").asText().equals("full")) {
                assertEquals(1.0, row.path("peak_rss_ratio_to_full").asDouble(), 0.0);
                assertEquals(1.0, row.path("time_ratio_to_full").asDouble(), 0.0);
            }
        }
        assertEquals(List.of("full/default/1", "lora/default/1", "full/checkpoint/1", "lora/checkpoint/1"), rows);
        JsonNode lora = report.path("rows").get(1);
        assertTrue(lora.path("trainable").asLong() < report.path("rows").get(0).path("trainable").asLong());
        // Each row's peak is its own process's: this JVM's peak would be the same number in every row.
        assertEquals(lora.path("peak_rss_mb").asDouble() / report.path("rows").get(0).path("peak_rss_mb").asDouble(),
                lora.path("peak_rss_ratio_to_full").asDouble(), 1e-9);
        assertFalse(lora.path("peak_rss_mb").asDouble() == report.path("rows").get(0).path("peak_rss_mb")
                .asDouble());
        // The checkpointed LoRA row against full fine-tuning's default row, the saving a user sees.
        JsonNode loraCheckpoint = report.path("rows").get(3);
        assertEquals(loraCheckpoint.path("peak_rss_mb").asDouble()
                / report.path("rows").get(0).path("peak_rss_mb").asDouble(),
                loraCheckpoint.path("peak_rss_ratio_to_full_default").asDouble(), 1e-9);
        String markdown = Files.readString(md);
        assertTrue(markdown.contains("| method | batch | memory | trainable | images/s | s/step | step time / full | "
                + "peak RSS (MB) | peak RSS / full | peak RSS / full, default memory |"), markdown);
        assertTrue(markdown.contains("| lora | 1 | checkpoint |"), markdown);
    }

    @Test
    void benchTrain_profile_writesEachRowsEventsAndShares() throws Exception {
        Path profile = tmp.resolve("profile.md");
        CliRun r = CliRun.of("bench", "train", "--backbone", "swin-fixture", "--size", "32", "--batch", "2",
                "--warmup", "0", "--steps", "1", "--methods", "lora", "--memory", "checkpoint", "--checkpoint",
                "conv1", "--json", tmp.resolve("train.json").toString(), "--markdown",
                tmp.resolve("train.md").toString(), "--profile", profile.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        String text = Files.readString(profile);
        assertTrue(text.startsWith("## lora, batch 2, checkpoint\n"), text);
        List<String> events = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("| ") && !line.startsWith("| event") && !line.startsWith("| share")) {
                events.add(line.substring(2, line.indexOf(" |")));
            }
        }
        int conv1 = events.indexOf("conv1");
        assertTrue(conv1 > 0 && conv1 < events.indexOf("loss") && events.indexOf("loss") < events.indexOf("backward")
                && events.indexOf("backward") < events.indexOf("recompute conv1")
                && events.indexOf("recompute conv1") < events.indexOf("forward freed")
                && events.indexOf("forward freed") < events.indexOf("optimizer"), events.toString());
        assertTrue(events.contains("Adam state") && events.contains("JVM heap committed"), events.toString());
        assertTrue(Files.readString(tmp.resolve("train.md")).contains("malloc settings from the environment: "));
    }

    @Test
    void benchTrain_micro_runsEachBatchInParts_andNamesThePartSize() throws Exception {
        Path json = tmp.resolve("train.json");
        Path md = tmp.resolve("train.md");
        CliRun r = CliRun.of("bench", "train", "--backbone", "swin-fixture", "--size", "32", "--batch", "2",
                "--warmup", "0", "--steps", "1", "--methods", "lora", "--memory", "micro", "--micro-batch", "1",
                "--json", json.toString(), "--markdown", md.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertEquals(1, report.path("micro_batch").asInt());
        JsonNode row = report.path("rows").get(0);
        assertEquals("micro", row.path("memory").asText());
        assertTrue(row.path("peak_rss_mb").asDouble() > 0, row.toString());
        assertTrue(row.path("peak_rss_ratio_to_full").isNull(), "no full row in this run: " + row);
        assertTrue(Files.readString(md).contains("| lora | 2 | micro (1) |"), Files.readString(md));

        CliRun odd = CliRun.of("bench", "train", "--backbone", "swin-fixture", "--size", "32", "--batch", "3",
                "--methods", "lora", "--memory", "micro", "--json", tmp.resolve("odd.json").toString());
        assertEquals(2, odd.code(), odd.out());
        assertEquals("error: --memory micro: batch 3 is not a multiple of --micro-batch 2", odd.err().strip());
        assertFalse(Files.exists(tmp.resolve("odd.json")));
    }

    @Test
    void benchTrain_rejectsAnUnknownMemorySetting_beforeStartingAnyProcess() throws Exception {
        Path json = tmp.resolve("train.json");
        CliRun r = CliRun.of("bench", "train", "--memory", "default,lean", "--json", json.toString(), "--markdown",
                tmp.resolve("train.md").toString());
        assertEquals(2, r.code(), r.out());
        assertEquals("error: unknown memory setting 'lean' (plain, default, checkpoint or micro)", r.err().strip());
        assertFalse(Files.exists(json));
    }

    @Test
    void benchTrain_samFamily_stepsThePromptableObjectivePerMethod_withTheMethodsParameterCounts() throws Exception {
        Path json = tmp.resolve("sam.json");
        Path md = tmp.resolve("sam.md");
        CliRun r = CliRun.of("bench", "train", "--model", "sam-fixture", "--size", "64", "--batch", "1", "--warmup",
                "1", "--steps", "1", "--methods", "full,sam-lora,sam-adalora", "--json", json.toString(),
                "--markdown", md.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertEquals("sam-fixture", report.path("model").asText());
        assertEquals(64, report.path("size").asInt());
        assertTrue(report.path("backbone").isMissingNode(), report.toString());
        JsonNode rows = report.path("rows");
        assertEquals(3, rows.size());
        // The child processes count what finetune trains: the whole model for full, the method's weights and
        // the mask decoder otherwise (the same model and method built here).
        try (NDManager m = EngineSetup.newManager()) {
            for (int i = 0; i < 3; i++) {
                JsonNode row = rows.get(i);
                String method = row.path("method").asText();
                Module model = (Module) ModelSpec.of("sam-fixture", null, 2).buildPromptable(m, 64);
                if (!method.equals("full")) {
                    MethodRegistry.create(method, MethodInputs.none()).attach(model);
                }
                assertEquals(model.trainableParameterCount(), row.path("trainable").asLong(), method);
                assertEquals(model.parameterCount(), row.path("parameters").asLong(), method);
                assertTrue(row.path("seconds_per_step").asDouble() > 0 && row.path("peak_rss_mb").asDouble() > 0,
                        row.toString());
            }
        }
        assertEquals(1.0, rows.get(0).path("time_ratio_to_full").asDouble(), 0.0);
        assertTrue(rows.get(1).path("trainable").asLong() < rows.get(0).path("trainable").asLong());
        String markdown = Files.readString(md);
        assertTrue(markdown.startsWith("Training step, sam-fixture, 64x64, one click per image, BCE (pos_weight 2)"),
                markdown);
        assertTrue(markdown.contains("| sam-adalora | 1 | default |"), markdown);
        String bad = TinyRuns.assertOneLineError(CliRun.of("bench", "train", "--model", "sam-vit-x", "--json",
                json.toString(), "--markdown", md.toString()));
        assertTrue(bad.startsWith("--model must be swin-att-unet or one of the SAM family"), bad);
    }
}
