package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
        assertRefused("unknown method 'lorra' (known: full, classify", "--method-lr", "lorra=1e-3");
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
    void help_namesTheDefaultsOfAdaptation() {
        CliRun r = CliRun.of("demo", "--help");
        assertEquals(0, r.code(), r.err());
        // picocli wraps lines after commas: compare without white space.
        String help = r.out().replaceAll("\\s+", "");
        assertTrue(help.contains("default:" + DemoCommand.DEFAULT_METHOD_LR + ";"), help);
        assertTrue(help.contains("(default:" + DemoCommand.DEFAULT_ADAPT_LOSS + ";"), help);
        assertTrue(help.contains("--head-init") && help.contains("--bn-stats") && help.contains("--switch"), help);
    }
}
