package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTransferCommandTest {
    @TempDir
    Path tmp;

    @Test
    void help_namesTheNativeResolutionOptions() {
        CliRun r = CliRun.of("bench", "transfer", "--help");
        assertEquals(0, r.code(), r.err());
        for (String option : List.of("--sampling", "--source-split", "--source-crop", "--target-crop",
                "--target-scale", "--defect-share", "--tile-overlap", "--target-test-limit", "--head-init",
                "--bn-stats", "--bn-recalibrate")) {
            assertTrue(r.out().contains(option), option + " in " + r.out());
        }
    }

    @Test
    void defectShareOutsideZeroToOne_isOneErrorBeforeAnythingIsWritten() {
        Path out = tmp.resolve("study");
        CliRun r = CliRun.of("bench", "transfer", "--out", out.toString(), "--defect-share", "1.5");
        assertEquals("--defect-share must be between 0 and 1, got 1.5", oneLineError(r));
        assertFalse(Files.exists(out));
    }

    @Test
    void tileOverlapOfAWholeWindow_isOneErrorBeforeAnythingIsWritten() {
        Path out = tmp.resolve("study");
        CliRun r = CliRun.of("bench", "transfer", "--out", out.toString(), "--tile-overlap", "1");
        assertEquals("--tile-overlap is a share of a window in [0, 1), got 1.0", oneLineError(r));
        assertFalse(Files.exists(out));
    }

    @Test
    void unknownHeadInitOrBnStats_isOneErrorBeforeAnythingIsWritten() {
        Path out = tmp.resolve("study");
        CliRun r = CliRun.of("bench", "transfer", "--out", out.toString(), "--head-init", "zeros");
        assertEquals("--head-init must be source or published, got 'zeros'", oneLineError(r));
        CliRun bn = CliRun.of("bench", "transfer", "--out", out.toString(), "--bn-stats", "fresh");
        assertEquals("--bn-stats must be frozen, update or method, got 'fresh'", oneLineError(bn));
        CliRun recal = CliRun.of("bench", "transfer", "--out", out.toString(), "--bn-recalibrate", "-1");
        assertEquals("--bn-recalibrate must be 0 (off) or a number of batches, got -1", oneLineError(recal));
        assertFalse(Files.exists(out));
    }

    @Test
    void cropNotAMultipleOf16_isOneError() {
        CliRun r = CliRun.of("bench", "transfer", "--out", tmp.resolve("study").toString(), "--target-crop", "200");
        assertEquals("--source-crop and --target-crop must be multiples of 16, got 112 and 200", oneLineError(r));
        CliRun scale = CliRun.of("bench", "transfer", "--out", tmp.resolve("study").toString(), "--target-scale",
                "0");
        assertEquals("--source-scale and --target-scale must be positive factors (1 keeps native pixels), got 1.0 "
                + "and 0.0", oneLineError(scale));
        assertFalse(Files.exists(tmp.resolve("study")));
    }

    @Test
    void sourceSplitFolderWithoutLists_namesTheMissingFileAndWritesNothing() throws Exception {
        Path lists = Files.createDirectories(tmp.resolve("lists"));
        Files.write(lists.resolve("train.txt"), List.of("a"));
        Path out = tmp.resolve("study");
        CliRun r = CliRun.of("bench", "transfer", "--out", out.toString(), "--source", tmp.toString(),
                "--source-split", lists.toString());
        assertEquals("--source-split " + lists + ": test.txt not found; give a folder written by 'peft4j check' or "
                + "'peft4j split', or grouped or published", oneLineError(r));
        assertFalse(Files.exists(out));
        assertEquals(List.of("a"), Files.readAllLines(lists.resolve("train.txt")));
    }

    /** Exit code 2 and one line {@code error: ...} without a stack trace; returns the message. */
    private static String oneLineError(CliRun r) {
        assertEquals(2, r.code(), r.err() + r.out());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception:"), "no stack trace: " + r.err());
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("warning: ")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("error: "), r.err());
        return lines.get(0).substring("error: ".length());
    }
}
