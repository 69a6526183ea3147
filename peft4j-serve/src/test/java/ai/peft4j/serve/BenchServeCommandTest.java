package ai.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peft4j bench serve} run tiny: every request answered and equal to the direct call's answer for its line,
 * the counts and percentiles consistent, the engine holding as many arrays after the requests as before, and the
 * Markdown table saying what the JSON says.
 */
class BenchServeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;


    private Path noiseImages(int n) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("images"));
        for (int i = 0; i < n; i++) {
            Files.write(dir.resolve(String.format(Locale.ROOT, "%02d.png", i)),
                    ServiceFixture.noisePng(20 + 6 * i, 24, 40 + i));
        }
        // Not an image type: left out of the folder's images.
        Files.writeString(dir.resolve("notes.txt"), "not an image");
        return dir;
    }

    @Test
    void freshModel_tinyRun_countsPercentilesAndFilesAgree() throws Exception {
        Path images = noiseImages(3);
        Path json = tmp.resolve("out/serve.json");
        Path md = tmp.resolve("out/serve.md");
        ServeCli r = ServeCli.run("bench", "serve", "--size", "32", "--images", images.toString(), "--count", "5",
                "--requests", "9", "--clients", "3", "--warmup", "1", "--repeats", "2", "--json", json.toString(),
                "--markdown", md.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        JsonNode root = JSON.readTree(Files.readString(json));
        assertEquals(3, root.path("images").asInt(), "three images in the folder, the text file left out");
        assertEquals(List.of("line-a", "line-b"), List.of(root.path("lines").get(0).asText(),
                root.path("lines").get(1).asText()));
        JsonNode rows = root.path("rows");
        assertEquals(4, rows.size());
        String[] scenarios = {"direct", "one-line", "one-line", "alternating"};
        int[] clients = {1, 1, 3, 3};
        for (int i = 0; i < 4; i++) {
            JsonNode row = rows.get(i);
            assertEquals(scenarios[i], row.path("scenario").asText());
            assertEquals(clients[i], row.path("clients").asInt());
            assertEquals(9, row.path("requests").asInt());
            assertEquals(0, row.path("errors").asInt(), row.toString());
            assertEquals(0, row.path("wrong_answers").asInt(), "each answer equals the direct call's: " + row);
            assertEquals(9 / row.path("seconds").asDouble(), row.path("requests_per_second").asDouble(), 1e-9);
            double p50 = row.path("p50_ms").asDouble();
            double p95 = row.path("p95_ms").asDouble();
            double p99 = row.path("p99_ms").asDouble();
            double max = row.path("max_ms").asDouble();
            assertTrue(0 < p50 && p50 <= p95 && p95 <= p99 && p99 <= max, row.toString());
            if (i > 0) {
                assertTrue(row.path("switch_p50_ms").asDouble() <= row.path("switch_p99_ms").asDouble()
                        && row.path("switch_p99_ms").asDouble() <= row.path("switch_max_ms").asDouble());
                // A request's adapter switch is part of its latency.
                assertTrue(row.path("switch_max_ms").asDouble() <= max, row.toString());
            }
        }
        assertEquals(List.of("line-a", "line-b"), List.of(rows.get(3).path("lines").get(0).asText(),
                rows.get(3).path("lines").get(1).asText()));
        JsonNode s = root.path("summary");
        assertEquals(rows.get(1).path("p50_ms").asDouble() - rows.get(0).path("p50_ms").asDouble(),
                s.path("overhead_p50_ms").asDouble(), 1e-9);
        assertEquals(rows.get(2).path("requests_per_second").asDouble()
                / rows.get(0).path("requests_per_second").asDouble(), s.path("throughput_ratio_to_direct")
                .asDouble(), 1e-9);
        assertEquals(rows.get(3).path("requests_per_second").asDouble()
                / rows.get(2).path("requests_per_second").asDouble(), s.path("alternating_throughput_ratio")
                .asDouble(), 1e-9);
        assertEquals(2, s.path("rounds").asInt());
        assertEquals(2 * 4 * 9, s.path("requests_all_rounds").asInt());
        assertEquals(0, s.path("errors_all_rounds").asInt());
        assertEquals(0, s.path("wrong_answers_all_rounds").asInt());
        assertEquals(s.path("engine_arrays_before").asInt(), s.path("engine_arrays_after").asInt(),
                "no request leaves an engine array behind");
        assertTrue(s.path("engine_arrays_before").asInt() > 0);

        // The Markdown table: one row per JSON row, the same numbers as printed.
        List<String[]> table = new ArrayList<>();
        for (String line : Files.readAllLines(md)) {
            if (line.startsWith("| ") && !line.startsWith("| row ")) {
                table.add(line.substring(2, line.length() - 2).split(" \\| ", -1));
            }
        }
        assertEquals(4, table.size(), Files.readString(md));
        for (int i = 0; i < 4; i++) {
            String[] cells = table.get(i);
            JsonNode row = rows.get(i);
            assertEquals(i == 0 ? "direct Predictor" : row.path("scenario").asText(), cells[0]);
            assertEquals(Integer.toString(row.path("requests").asInt()), cells[3]);
            assertEquals(String.format(Locale.ROOT, "%.2f", row.path("requests_per_second").asDouble()), cells[6]);
            assertEquals(String.format(Locale.ROOT, "%.2f", row.path("p50_ms").asDouble()), cells[7]);
            assertEquals(String.format(Locale.ROOT, "%.2f", row.path("p99_ms").asDouble()), cells[9]);
            assertEquals(i == 0 ? "" : String.format(Locale.ROOT, "%.3f", row.path("switch_p50_ms").asDouble()),
                    cells[11]);
        }
        assertTrue(r.out().contains("a freshly initialised small Swin-Att-UNet"), r.out());
        // Nothing but the two outputs in their folder: the generated model lived in a temporary folder.
        try (var files = Files.list(json.getParent())) {
            assertEquals(List.of("serve.json", "serve.md"), files.map(p -> p.getFileName().toString()).sorted()
                    .toList());
        }
    }

    @Test
    void givenCheckpoint_linesInTheOrderAsked_everyAnswerIsItsLines() throws Exception {
        ServiceFixture f = new ServiceFixture(tmp.resolve("service"));
        Path images = noiseImages(2);
        Path json = tmp.resolve("given.json");
        ServeCli r = ServeCli.run("bench", "serve", "--checkpoint", f.checkpoint.toString(), "--config",
                f.runFile.toString(), "--adapters", f.adapters.toString(), "--lines", "line-b,line-a", "--images",
                images.toString(), "--requests", "6", "--clients", "2", "--warmup", "0", "--repeats", "1", "--json",
                json.toString(), "--markdown", tmp.resolve("given.md").toString());
        assertEquals(0, r.code(), r.err() + r.out());
        JsonNode root = JSON.readTree(Files.readString(json));
        assertTrue(root.path("model").asText().contains(f.checkpoint.toString()));
        JsonNode rows = root.path("rows");
        assertEquals("line-b", rows.get(0).path("lines").get(0).asText(), "the direct call runs the first line");
        for (JsonNode row : rows) {
            assertEquals(6, row.path("requests").asInt());
            assertEquals(0, row.path("errors").asInt(), row.toString());
            assertEquals(0, row.path("wrong_answers").asInt(), row.toString());
        }
    }

    @Test
    void badOptions_exit2WithOneLine() {
        ServeCli half = ServeCli.run("bench", "serve", "--checkpoint", tmp.resolve("base.safetensors").toString());
        assertEquals(2, half.code(), half.err());
        assertEquals("error: with --checkpoint give its run file (--config FILE) and the adapters folder "
                + "(--adapters DIR, two lines at least)", half.err().strip());
        ServeCli one = ServeCli.run("bench", "serve", "--lines", "line-a");
        assertEquals(2, one.code(), one.err());
        assertEquals("error: --lines takes two different lines or more, e.g. --lines lora,adapter; got [line-a]",
                one.err().strip());
        ServeCli noImages = ServeCli.run("bench", "serve", "--images", tmp.resolve("none").toString());
        assertEquals(2, noImages.code(), noImages.err());
        assertEquals("error: " + tmp.resolve("none") + ": images folder not found", noImages.err().strip());
        ServeCli help = ServeCli.run("bench", "serve", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--clients") && help.out().contains("--requests"), help.out());
    }
}
