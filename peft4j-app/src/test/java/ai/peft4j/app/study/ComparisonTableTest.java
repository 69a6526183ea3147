package ai.peft4j.app.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ComparisonTableTest {
    /** Where the README's demo block starts and ends. */
    static final String BEGIN = "<!-- begin comparison.md of ./peft4j demo, as printed -->";
    static final String END = "<!-- end comparison.md -->";

    private static ComparisonTable sample() {
        List<TransferStudy.Row> rows = List.of(
                new TransferStudy.Row("orange (source)", "pretrained", 3_529_366, 3_529_366, 0.672612, 0.7013,
                        0.672612, 0.672612, 61.4),
                new TransferStudy.Row("lemon", "lora", 38_451, 3_567_800, 0.5650, 0.5841, 0.4524, 0.672612, 84.2));
        List<TransferStudy.Switch> switches = List.of(new TransferStudy.Switch("lemon", "lora", 41.26, 0.5650),
                new TransferStudy.Switch("grapefruit", "lora", 41.26, 0.5740),
                new TransferStudy.Switch("orange", "off", Double.NaN, 0.672612));
        return new ComparisonTable(new ComparisonTable.Run("./peft4j demo --out runs/demo", "2026-12-07 12:40 UTC",
                "2 cores (AMD EPYC)", 9.74), rows.stream().map(ComparisonTable.Line::of).toList(), switches);
    }

    @Test
    void markdown_parsedAndWrittenAgain_givesTheSameText() {
        String md = sample().markdown();
        assertTrue(md.startsWith("`./peft4j demo --out runs/demo` on 2026-12-07 12:40 UTC, 2 cores (AMD EPYC), "
                + "9.7 min in all:\n\n| data set |"), md);
        assertTrue(md.contains("| lemon | lora | 38,451 | 1.08 | 56.50 | 58.41 | 67.26 | 45.24 | 84 |\n"), md);
        assertTrue(md.contains("lora adapters of lemon and grapefruit on one base (AdapterSet), switched in 41.3 µs "
                + "on average:\n\n- lemon: test mIoU 56.50 after switching to its adapter\n"), md);
        assertTrue(md.endsWith("- orange: test mIoU 67.26 with every adapter off\n"), md);
        assertEquals(md, ComparisonTable.parse(md).markdown());
    }

    @Test
    void tableAlone_parsedAndWrittenAgain_givesTheSameText() {
        ComparisonTable t = new ComparisonTable(null, sample().lines(), List.of());
        assertEquals(t.markdown(), ComparisonTable.parse(t.markdown()).markdown());
    }

    @Test
    void parse_ofAnEditedTable_failsNamingTheLine() {
        String edited = sample().markdown().replace("| 84 |", "| 84 | 3 |");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ComparisonTable.parse(edited));
        assertTrue(e.getMessage().contains("has 10 cells, not 9: | lemon | lora |"), e.getMessage());
    }

    /**
     * The README's demo section is a block the demo writes, character for character: its figures read back and
     * written again give the same text, so a hand edit or a changed format of comparison.md fails here.
     */
    @Test
    void readmeDemoSection_isExactlyABlockTheDemoWrites() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        String readme = Files.readString(root.resolve("README.md"));
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        assertTrue(begin >= 0 && end > begin, "README.md has no block between '" + BEGIN + "' and '" + END + "'");
        String block = readme.substring(begin + BEGIN.length() + 1, end);
        ComparisonTable table = ComparisonTable.parse(block);
        assertEquals(block, table.markdown());
        assertTrue(table.run() != null && table.run().command().startsWith("./peft4j demo"), block);
        assertTrue(readme.matches("(?s).*!\\[[^]]*]\\(docs/demo-comparison\\.png\\).*"), "README shows the chart");
        assertTrue(Files.isRegularFile(root.resolve("docs/demo-comparison.png")));
    }
}
