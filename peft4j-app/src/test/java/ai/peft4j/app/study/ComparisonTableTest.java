package ai.peft4j.app.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.Main;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

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

    /**
     * Two seeds of a method make one line: the means of their figures, test mIoU with the lowest and highest, and a
     * line under the table that says how many seeds; parsed and written again, the same text.
     */
    @Test
    void severalSeeds_oneLineOfTheirMeansWithTheRangeOfTestMiou() {
        List<TransferStudy.Row> rows = List.of(
                new TransferStudy.Row("orange (source)", "pretrained", 3_529_366, 3_529_366, 0.672612, 0.7013,
                        0.672612, 0.672612, 61.4),
                new TransferStudy.Row("lemon", "lora", 38_451, 3_567_800, 0.8012, 0.90, 0.45, 0.672612, 80)
                        .withSeed(0),
                new TransferStudy.Row("lemon", "lora", 38_451, 3_567_800, 0.8634, 0.94, 0.47, 0.672612, 90)
                        .withSeed(1),
                new TransferStudy.Row("grapefruit", "lora", 38_451, 3_567_800, 0.7000, 0.80, 0.20, 0.672612, 70)
                        .withSeed(0),
                new TransferStudy.Row("grapefruit", "lora", 38_451, 3_567_800, 0.6500, 0.76, 0.30, 0.672612, 72)
                        .withSeed(1));
        List<ComparisonTable.Line> lines = ComparisonTable.lines(rows);
        assertEquals(3, lines.size());
        assertEquals(1, lines.get(0).seeds());
        assertEquals(2, lines.get(1).seeds());
        assertEquals(83.23, lines.get(1).miou(), 1e-9);
        assertEquals(80.12, lines.get(1).miouLow(), 1e-9);
        assertEquals(86.34, lines.get(1).miouHigh(), 1e-9);
        ComparisonTable t = new ComparisonTable(sample().run(), lines, sample().switches());
        String md = t.markdown();
        assertTrue(md.contains("| orange (source) | pretrained | 3,529,366 | 100.00 | 67.26 | 70.13 |"), md);
        assertTrue(md.contains("| lemon | lora | 38,451 | 1.08 | 83.2 (80.1-86.3) | 92.00 | 67.26 | 46.00 | 85 |\n"),
                md);
        assertTrue(md.contains("| grapefruit | lora | 38,451 | 1.08 | 67.5 (65.0-70.0) | 78.00 | 67.26 | 25.00 | 71 |\n"
                + "\nEach method adapted with 2 seeds, from the same base on the same data: test mIoU is their mean "
                + "(lowest-highest), the other figures their means; the adapters switched below are the first "
                + "seed's.\n\nlora adapters of lemon"), md);
        ComparisonTable parsed = ComparisonTable.parse(md);
        assertEquals(md, parsed.markdown());
        assertEquals(2, parsed.seeds());
        assertEquals(80.1, parsed.lines().get(1).miouLow(), 1e-9);
        assertEquals(3, parsed.switches().size());
        // Without switches, the line under the table ends after the means.
        String alone = new ComparisonTable(null, lines, List.of()).markdown();
        assertTrue(alone.endsWith("the other figures their means.\n"), alone);
        assertEquals(alone, ComparisonTable.parse(alone).markdown());
        // Rows without a seed (a study of one seed) stay a line each, as listed.
        TransferStudy.Row once = new TransferStudy.Row("lemon", "lora", 38_451, 3_567_800, 0.8012, 0.90, 0.45,
                0.672612, 80);
        assertEquals(List.of(ComparisonTable.Line.of(once), ComparisonTable.Line.of(once)),
                ComparisonTable.lines(List.of(once, once)));
        // A cell of several seeds without the line that says how many is not a block the demo writes.
        String cut = alone.substring(0, alone.indexOf("\nEach method"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ComparisonTable.parse(cut));
        assertTrue(e.getMessage().contains("83.2 (80.1-86.3)"), e.getMessage());
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

    /**
     * The README's table names the methods and data sets the demo runs by default, in its order, and each row's
     * trainable and total parameter counts are what that method trains on that target in this code: a README from
     * an older method list, model or method layout fails here.
     */
    @Test
    void readmeDemoSection_rowsAreTheDemosMethodsWithTheirParameterCounts() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        String readme = Files.readString(root.resolve("README.md"));
        String block = readme.substring(readme.indexOf(BEGIN) + BEGIN.length() + 1, readme.indexOf(END));
        List<ComparisonTable.Line> lines = ComparisonTable.parse(block).lines();
        String methods = new CommandLine(new Main()).getSubcommands().get("demo").getCommandSpec()
                .findOption("--methods").defaultValue();
        List<String> expected = new ArrayList<>(List.of("orange (source) pretrained"));
        Map<String, CitrusDomain> targets = new LinkedHashMap<>();
        targets.put("lemon", CitrusDomain.LEMON);
        targets.put("grapefruit", CitrusDomain.GRAPEFRUIT);
        for (String t : targets.keySet()) {
            for (String m : methods.split(",")) {
                expected.add(t + " " + m);
            }
        }
        assertEquals(expected, lines.stream().map(l -> l.data() + " " + l.method()).toList());
        try (NDManager m = EngineSetup.newManager()) {
            SwinAttUNet source = new SwinAttUNet(m, SwinAttUNetConfig.fixture(4));
            assertEquals(source.parameterCount(), lines.get(0).trainable());
            for (ComparisonTable.Line l : lines.subList(1, lines.size())) {
                SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.fixture(4));
                PeftMethod method = MethodRegistry.create(l.method(), MethodInputs.prompt(null));
                int classes = new SyntheticCitrus(targets.get(l.data()), 1, 32, 0).numClasses();
                if (method instanceof SegmenterMethod sm) {
                    sm.withClasses(classes);
                }
                method.attach(model);
                assertEquals(model.trainableParameterCount(), l.trainable(), l.toString());
                assertEquals(100.0 * model.trainableParameterCount() / model.parameterCount(), l.shareOfModel(),
                        0.005, l.toString());
            }
        }
    }
}
