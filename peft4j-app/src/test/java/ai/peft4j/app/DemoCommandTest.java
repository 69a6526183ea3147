package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
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
    }
}
