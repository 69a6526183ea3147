package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {
    @TempDir
    Path tmp;


    @Test
    void summary_printsPublishedTotalsForSwinTAndSwinS() throws Exception {
        Path t = tmp.resolve("t.json");
        CliRun r = CliRun.of("summary", "--backbone", "swin-t", "--classes", "6", "--no-flops", "--json", t.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("45,775,884 total"), r.out());
        assertEquals(45_775_884L, new ObjectMapper().readTree(t.toFile()).path("total_parameters").asLong());

        CliRun s = CliRun.of("summary", "--backbone", "swin-s", "--classes", "6", "--no-flops");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("67,093,788 total, 67,093,788 trainable"), s.out());
    }

    @Test
    void summary_withVpt_printsPublishedCounts() {
        CliRun r = CliRun.of("summary", "--backbone", "swin-t", "--classes", "6", "--no-flops", "--method", "vpt");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("48,884,844 total, 3,184,896 trainable"), r.out());
        CliRun wrong = CliRun.of("summary", "--backbone", "swin-t", "--method", "lora", "--vpt-size", "160");
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("--vpt-size applies to --method vpt only"), wrong.err());
    }

    @Test
    void summary_printsPublishedTotalsOfFastSegFormerAndItsTeacher() throws Exception {
        CliRun p = CliRun.of("summary", "--model", "fastsegformer-p", "--classes", "4", "--no-flops");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("FastSegFormer-P (poolformer-s12") && p.out().contains("14,891,940 total"),
                p.out());
        Path e = tmp.resolve("e.json");
        CliRun r = CliRun.of("summary", "--model", "fastsegformer-e", "--classes", "4", "--json", e.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode n = new ObjectMapper().readTree(e.toFile());
        assertEquals(5_013_044L, n.path("total_parameters").asLong());
        assertEquals("efficientformerv2-s0", n.path("backbone").asText());
        // The published README gives 0.80 GFLOPs (thop MACs) at 224x224.
        assertEquals(0.8, n.path("gmacs_thop").asDouble(), 0.05);
        CliRun t = CliRun.of("summary", "--model", "fastsegformer-teacher", "--classes", "4", "--no-flops");
        assertTrue(t.out().contains("49,229,322 total"), t.out());
    }

    @Test
    void summary_countsComputeOfTheForwardPass() throws Exception {
        Path j = tmp.resolve("f.json");
        CliRun r = CliRun.of("summary", "--backbone", "swin-fixture", "--input-size", "64", "--json", j.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode n = new ObjectMapper().readTree(j.toFile());
        // The final 1x1 convolution alone costs 64*64 pixels * 16 inputs * 6 outputs MACs; the total is larger.
        assertTrue(n.path("gmacs_thop").asDouble() * 1e9 > 64 * 64 * 16 * 6);
        assertTrue(n.path("gmacs").asDouble() > n.path("gmacs_thop").asDouble(), "attention matmuls add MACs");
        assertEquals(2 * n.path("gmacs").asDouble(), n.path("gflops").asDouble(), 1e-9);
    }

    @Test
    void badOption_givesOneClearErrorAndExitCode2() {
        CliRun r = CliRun.of("summary", "--backbone", "swin-x", "--no-flops");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown Swin preset 'swin-x'"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace for an expected error: " + r.err());
    }

    @Test
    void everyCommand_hasHelp() {
        CommandLine cli = new CommandLine(new Main());
        assertTrue(cli.getSubcommands().size() >= 2);
        for (Map.Entry<String, CommandLine> e : cli.getSubcommands().entrySet()) {
            CliRun r = CliRun.of(e.getKey(), "--help");
            assertEquals(0, r.code(), e.getKey() + ": " + r.err());
            assertTrue(r.out().contains("Usage: peft4j " + e.getKey()), r.out());
        }
        assertEquals(0, CliRun.of("--help").code());
    }
}
