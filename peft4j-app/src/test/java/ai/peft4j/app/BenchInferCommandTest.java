package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.core.testing.SharedFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchInferCommandTest {
    @TempDir
    Path tmp;

    @Test
    void benchInfer_writesEveryStageOfEveryRuntime_asJsonAndMarkdown() throws Exception {
        Path root = SharedFiles.require("data/neu-seg");
        Path frames = Files.createDirectory(tmp.resolve("frames"));
        List<String> ids = Files.readAllLines(root.resolve("ImageSets/Segmentation/test.txt")).subList(0, 4);
        for (String id : ids) {
            Files.copy(root.resolve("JPEGImages/" + id.strip() + ".jpg"), frames.resolve(id.strip() + ".jpg"));
        }
        Path json = tmp.resolve("infer.json");
        Path md = tmp.resolve("infer.md");
        CliRun r = CliRun.of("bench", "infer", "--models", "fastsegformer-e", "--frames", frames.toString(),
                "--warmup", "1", "--runs", "3", "--repeats", "2", "--json", json.toString(), "--markdown",
                md.toString());
        assertEquals(0, r.code(), r.err() + r.out());

        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertTrue(report.path("peak_gflops_before").asDouble() > 0 && report.path("peak_gflops_after").asDouble() > 0);
        assertEquals(Math.max(report.path("peak_gflops_before").asDouble(), report.path("peak_gflops_after")
                .asDouble()), report.path("peak_gflops").asDouble(), "the peak is the better of the two");
        assertEquals(2, report.path("ort_workers").asInt());
        assertEquals(782_000_000L, report.path("models").get(0).path("macs").asLong(), 1_000_000L,
                "FastSegFormer-E's MACs at 224x224");
        Set<String> seen = new HashSet<>();
        for (JsonNode row : report.path("rows")) {
            assertEquals("fastsegformer-e", row.path("model").asText());
            assertTrue(row.path("fps").asDouble() > 0 && row.path("p50_ms").asDouble() > 0
                    && row.path("p50_ms").asDouble() <= row.path("p99_ms").asDouble(), row.toString());
            seen.add(row.path("runtime").asText() + "/" + row.path("precision").asText() + "/"
                    + row.path("stage").asText());
        }
        for (String runtime : List.of("engine/fp32", "onnxruntime/fp32", "onnxruntime/int8")) {
            for (String stage : List.of("inference", "postprocess", "end_to_end")) {
                assertTrue(seen.contains(runtime + "/" + stage), runtime + "/" + stage + " in " + seen);
            }
        }
        assertTrue(seen.contains("engine/fp32/preprocess"), seen.toString());
        // Each inference and end-to-end row is the fastest of the runs printed for its runtime.
        Matcher run = Pattern.compile("fastsegformer-e\\s+(\\S+)\\s+(\\S+)\\s+(inference|end_to_end)\\s+run \\d of 2: "
                + "([0-9.]+) FPS").matcher(r.out());
        Map<String, Double> fastest = new HashMap<>();
        Map<String, Integer> runs = new HashMap<>();
        while (run.find()) {
            String key = run.group(1) + "/" + run.group(2) + "/" + run.group(3);
            fastest.merge(key, Double.parseDouble(run.group(4)), Math::max);
            runs.merge(key, 1, Integer::sum);
        }
        assertEquals(6, runs.size(), r.out());
        assertTrue(runs.values().stream().allMatch(n -> n == 2), r.out());
        for (JsonNode row : report.path("rows")) {
            String key = row.path("runtime").asText() + "/" + row.path("precision").asText() + "/"
                    + row.path("stage").asText();
            if (runs.containsKey(key)) {
                assertEquals(fastest.get(key), row.path("fps").asDouble(), 0.05, key);
            }
        }
        String table = Files.readString(md);
        assertTrue(table.contains("end to end 2 calls side by side")
                && table.contains("| fastsegformer-e | onnxruntime | int8 | end_to_end |"), table);
    }
}
