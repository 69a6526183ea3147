package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.app.study.ComparisonTable;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    @TempDir
    Path tmp;

    /** A wrong setting fails at once with one line, before the demo writes anything or pretrains for minutes. */
    private void assertRefused(String expected, String... options) {
        Path out = tmp.resolve("demo");
        String[] args = new String[options.length + 3];
        args[0] = "demo";
        args[1] = "--out";
        args[2] = out.toString();
        System.arraycopy(options, 0, args, 3, options.length);
        CliRun r = CliRun.of(args);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(expected), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void methodLr_withoutARate_failsSayingTheForm() {
        assertRefused("--method-lr: expected METHOD=LR (e.g. lora=5e-3) or none, got 'lora'", "--method-lr", "lora");
    }

    @Test
    void methodLr_ofAnUnknownMethod_failsNamingTheKnownOnes() {
        assertRefused("unknown method 'lorra' (known: full, all-weights, classify", "--method-lr", "lorra=1e-3");
    }

    @Test
    void adaptLoss_unknown_failsBeforePretraining() {
        assertRefused("unknown loss 'dize' in 'ce+dize'", "--adapt-loss", "ce+dize");
    }

    @Test
    void headInit_unknown_failsNamingTheChoices() {
        assertRefused("--head-init must be source or published, got 'zero'", "--head-init", "zero");
    }

    @Test
    void methodSet_withoutAField_failsSayingTheForm() {
        assertRefused("--method-set: expected METHOD.FIELD=VALUE (e.g. adapter.init=identity) or none, got "
                + "'adapter=identity'", "--method-set", "adapter=identity");
    }

    @Test
    void methodSet_ofAnUnknownField_failsNamingTheMethodsOptions() {
        assertRefused("method adapter has no option rank (its options: init, ratio)", "--method-set",
                "adapter.rank=4");
    }

    @Test
    void jobs_zero_fails() {
        assertRefused("--jobs must be at least 1, got 0", "--jobs", "0");
    }

    @Test
    void seeds_zero_fails() {
        assertRefused("--seeds must be at least 1, got 0", "--seeds", "0");
    }

    /**
     * --seeds 2 adapts every method twice on each target (the second target in its own process, --jobs 2), each run
     * in a folder of its own; the table's test mIoU is the mean of the two runs' row files with their range, the
     * switching uses the first seed's adapters, and the first seed's run is exactly the run of --seeds 1, whose
     * output keeps its one-seed form. Given again, every seed's finished run is read back.
     */
    @Test
    void seeds_two_adaptEachMethodTwiceAndTheTableShowsTheirMean() throws Exception {
        String[] tiny = {"--size", "32", "--source-images", "4", "--target-images", "4", "--test-images", "2",
            "--pretrain-epochs", "1", "--adapt-epochs", "1", "--batch", "4", "--methods", "lora",
            "--method-lr", "lora=4e-3", "--seed", "3"};
        Path one = tmp.resolve("one");
        CliRun single = CliRun.of(concat(new String[] {"demo", "--out", one.toString()}, tiny));
        assertEquals(0, single.code(), single.err());
        Path two = tmp.resolve("two");
        String[] twoArgs = concat(new String[] {"demo", "--out", two.toString(), "--seeds", "2", "--base",
            one.resolve("pretrain/last.safetensors").toString()}, tiny);
        CliRun first = CliRun.of(twoArgs);
        assertEquals(0, first.code(), first.err() + first.out());

        // One seed: the folders, table and JSON of the demo before --seeds.
        String oneMd = Files.readString(one.resolve("comparison.md"));
        assertFalse(oneMd.contains("seeds"), oneMd);
        assertEquals(oneMd, ComparisonTable.parse(oneMd).markdown());
        assertTrue(oneMd.contains("| lemon | lora | 38,451 | 1.08 | " + String.format(Locale.ROOT, "%.2f |",
                100 * rowMiou(one.resolve("lemon/lora/row.json")))), oneMd);
        JsonNode oneJson = new ObjectMapper().readTree(one.resolve("comparison.json").toFile());
        assertEquals(3, oneJson.size());
        oneJson.forEach(r -> assertFalse(r.has("seed"), r.toString()));
        assertFalse(Files.exists(one.resolve("lemon/lora/seed-3")));

        ComparisonTable table = ComparisonTable.parse(Files.readString(two.resolve("comparison.md")));
        assertEquals(2, table.seeds());
        assertEquals(List.of("orange (source) pretrained", "lemon lora", "grapefruit lora"),
                table.lines().stream().map(l -> l.data() + " " + l.method()).toList());
        JsonNode json = new ObjectMapper().readTree(two.resolve("comparison.json").toFile());
        assertEquals(5, json.size());
        for (int t = 0; t < 2; t++) {
            String target = t == 0 ? "lemon" : "grapefruit";
            double[] miou = new double[2];
            for (int k = 0; k < 2; k++) {
                Path run = two.resolve(target + "/lora/seed-" + (3 + k));
                assertTrue(Files.isRegularFile(run.resolve("adapter/adapter_model.safetensors")), run.toString());
                miou[k] = rowMiou(run.resolve("row.json"));
                JsonNode j = json.get(1 + 2 * t + k);
                assertEquals(target, j.get("data").asText());
                assertEquals(3 + k, j.get("seed").asLong());
                assertEquals(miou[k], j.get("miou").asDouble(), 0.0);
            }
            // The adaptation seed is all that differs between the two runs, and it changes the figures.
            assertTrue(miou[0] != miou[1], target + ": " + Arrays.toString(miou));
            ComparisonTable.Line line = table.lines().get(1 + t);
            assertEquals(2, line.seeds());
            assertEquals(100 * (miou[0] + miou[1]) / 2, line.miou(), 0.05);
            assertEquals(100 * Math.min(miou[0], miou[1]), line.miouLow(), 0.05);
            assertEquals(100 * Math.max(miou[0], miou[1]), line.miouHigh(), 0.05);
            // The first seed is the one run of --seeds 1, to the last bit.
            assertEquals(rowMiou(one.resolve(target + "/lora/row.json")), miou[0], 0.0);
            // Switching loads the first seed's adapters.
            assertEquals(100 * miou[0], 100 * table.switches().get(t).miou(), 0.006);
        }
        assertTrue(Files.readString(two.resolve("grapefruit/console.log")).contains("== lora seed 4 on grapefruit"));

        // Given again: every seed's row read back, the same table.
        CliRun again = CliRun.of(twoArgs);
        assertEquals(0, again.code(), again.err() + again.out());
        assertTrue(again.out().contains("finished earlier: " + two.resolve("lemon/lora/seed-4/row.json")),
                again.out());
        assertTrue(Files.readString(two.resolve("grapefruit/console.log")).contains("finished earlier: "
                + two.resolve("grapefruit/lora/seed-4/row.json")));
        ComparisonTable reread = ComparisonTable.parse(Files.readString(two.resolve("comparison.md")));
        assertEquals(table.lines().subList(1, 3), reread.lines().subList(1, 3));
    }

    private static double rowMiou(Path rowFile) throws Exception {
        return new ObjectMapper().readTree(rowFile.toFile()).get("miou").asDouble();
    }

    /**
     * The second target adapted in a process of its own (--jobs 2) gives exactly the figures of both targets
     * adapted one after the other in this process: the child gets every setting, and the phase times of both
     * processes reach timings.csv.
     */
    @Test
    void jobs_twoProcesses_giveTheFiguresOfOne() throws Exception {
        String[] tiny = {"--size", "32", "--source-images", "4", "--target-images", "4", "--test-images", "2",
            "--pretrain-epochs", "1", "--adapt-epochs", "1", "--batch", "4", "--methods", "adapter",
            "--switch", "none", "--method-lr", "adapter=4e-3", "--seed", "3"};
        Path one = tmp.resolve("one");
        CliRun first = CliRun.of(concat(new String[] {"demo", "--out", one.toString(), "--jobs", "1"}, tiny));
        assertEquals(0, first.code(), first.err());
        Path two = tmp.resolve("two");
        CliRun second = CliRun.of(concat(new String[] {"demo", "--out", two.toString(), "--jobs", "2", "--base",
            one.resolve("pretrain/last.safetensors").toString()}, tiny));
        assertEquals(0, second.code(), second.err() + second.out());
        JsonNode a = new ObjectMapper().readTree(one.resolve("comparison.json").toFile());
        JsonNode b = new ObjectMapper().readTree(two.resolve("comparison.json").toFile());
        assertEquals(3, a.size());
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            for (String f : List.of("data", "method", "trainable", "miou", "mpa", "source_miou", "source_off_miou")) {
                assertEquals(a.get(i).get(f), b.get(i).get(f), "row " + i + " " + f);
            }
        }
        assertEquals("grapefruit", b.get(2).get("data").asText());
        assertTrue(Files.readString(two.resolve("grapefruit/console.log")).contains("== adapter on grapefruit"));
        List<String> timings = Files.readAllLines(two.resolve("timings.csv"));
        assertEquals("phase,pid,wall_seconds,cpu_seconds", timings.get(0));
        long pids = timings.stream().skip(1).filter(l -> l.contains(": training,")).map(l -> l.split(",")[1])
                .distinct().count();
        assertEquals(2, pids, String.join("\n", timings));
        assertEquals(2, timings.stream().filter(l -> l.contains(": training,")).count());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void help_namesTheDefaultsOfAdaptation() {
        CliRun r = CliRun.of("demo", "--help");
        assertEquals(0, r.code(), r.err());
        // picocli wraps lines after commas: compare without white space.
        String help = r.out().replaceAll("\\s+", "");
        assertTrue(help.contains("default:" + DemoCommand.DEFAULT_METHOD_LR + ";"), help);
        assertTrue(help.contains("(default:" + DemoCommand.DEFAULT_ADAPT_LOSS + ";"), help);
        assertTrue(help.contains("default:" + DemoCommand.DEFAULT_METHOD_SET + ";"), help);
        assertTrue(help.contains("--jobs") && help.contains("--eval-every") && !help.contains("--only-target"), help);
        assertTrue(help.contains("--head-init") && help.contains("--bn-stats") && help.contains("--switch"), help);
        assertTrue(help.contains("--seeds") && help.contains("(default:1:oneruneach,inlemon/lora)"), help);
    }
}
