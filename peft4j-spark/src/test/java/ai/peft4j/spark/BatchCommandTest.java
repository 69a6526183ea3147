package ai.peft4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.core.testing.ConsoleRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j batch} in this JVM: Parquet and CSV results, and bad input refused in one line. */
class BatchCommandTest {
    @TempDir
    static Path tmp;

    private static TinyRun run;
    private static Path folder;

    /** One run of {@code batch} with what it printed. */
    private record BatchRun(int code, String out, String err) {
        static BatchRun of(String... args) {
            ConsoleRun r = ConsoleRun.of(BatchMain::run, args);
            return new BatchRun(r.code(), r.out(), r.err());
        }
    }

    @BeforeAll
    static void setUp() throws Exception {
        run = TinyRun.shared();
        folder = tmp.resolve("inbox");
        Files.createDirectories(folder);
        for (int i = 0; i < 3; i++) {
            Files.copy(run.data.resolve("JPEGImages/s" + i + ".png"), folder.resolve("s" + i + ".png"));
        }
        Files.writeString(folder.resolve("notes.txt"), "not an image, not listed");
    }

    private static List<Row> read(String format, Path dir) {
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            return format.equals("csv") ? spark.read().option("header", "true").csv(dir.toString()).collectAsList()
                    : spark.read().parquet(dir.toString()).collectAsList();
        } finally {
            spark.stop();
        }
    }

    @Test
    void batch_writesParquetRowsEqualToTheTransformersAndCsvOnRequest() {
        Path out = tmp.resolve("results");
        BatchRun b = BatchRun.of("--master", "local[2]", "--checkpoint", run.checkpoint.toString(), "--images",
                folder.toString(), "--out", out.toString(), "--masks");
        assertEquals(0, b.code(), b.err() + b.out());
        assertTrue(b.out().matches("(?s)3 images \\(\\d defective, 0 could not be inspected\\) in [\\d.]+ s -> "
                + Pattern.quote(out.toString()) + " \\(parquet\\)\\R"
                + "(Model load [\\d.]+ s \\(once per executor\\)\\R)?"), b.out());
        List<Row> rows = read("parquet", out);
        assertEquals(3, rows.size());

        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                .getOrCreate();
        Map<String, Row> expected = new HashMap<>();
        try {
            List<String> paths = List.of(0, 1, 2).stream().map(i -> folder.resolve("s" + i + ".png")
                    .toAbsolutePath().toString()).toList();
            for (Row r : new DefectInspector().setCheckpoint(run.checkpoint.toString()).setWithMask(true)
                    .transform(spark.createDataset(paths, Encoders.STRING()).toDF("path")).collectAsList()) {
                expected.put(r.getAs("path"), r);
            }
        } finally {
            spark.stop();
        }
        for (Row r : rows) {
            Row e = expected.get(r.<String>getAs("path"));
            assertArrayEquals(e.<byte[]>getAs("mask"), r.<byte[]>getAs("mask"));
            assertEquals(e.getJavaMap(e.fieldIndex("areas")), r.getJavaMap(r.fieldIndex("areas")));
            assertEquals(e.getList(e.fieldIndex("regions")), r.getList(r.fieldIndex("regions")));
            assertEquals(e.<String>getAs("verdict"), r.getAs("verdict"));
        }

        Path csv = tmp.resolve("csv");
        BatchRun c = BatchRun.of("--master", "local[1]", "--checkpoint", run.checkpoint.toString(), "--images",
                folder + "/s[01].png", "--out", csv.toString(), "--format", "csv");
        assertEquals(0, c.code(), c.err() + c.out());
        List<Row> lines = read("csv", csv);
        assertEquals(2, lines.size());
        for (Row r : lines) {
            Row e = expected.get(r.<String>getAs("path"));
            Map<String, Long> areas = e.getJavaMap(e.fieldIndex("areas"));
            assertEquals("{\"background\":" + areas.get("background") + ",\"defect\":" + areas.get("defect") + "}",
                    r.getAs("areas"));
        }
    }

    @Test
    void batch_badImage_writesEveryRowAndExitsTwoNamingIt() throws Exception {
        Path mixed = tmp.resolve("mixed");
        Files.createDirectories(mixed);
        Files.copy(folder.resolve("s0.png"), mixed.resolve("s0.png"));
        Files.writeString(mixed.resolve("broken.png"), "not a PNG");
        Path out = tmp.resolve("mixed-results");
        BatchRun b = BatchRun.of("--master", "local[1]", "--checkpoint", run.checkpoint.toString(), "--images",
                mixed.toString(), "--out", out.toString());
        assertEquals(2, b.code(), b.err() + b.out());
        assertTrue(b.err().startsWith("error: 1 of 2 images could not be inspected (" + mixed.resolve("broken.png")
                .toAbsolutePath() + ": "), b.err());
        assertTrue(b.err().endsWith("the other 1 were, and every row is in " + out + " (the message in column "
                + "error)" + System.lineSeparator()), b.err());
        assertEquals(1, b.err().lines().count(), b.err());
        assertEquals(2, read("parquet", out).size());
    }

    @Test
    void batch_badInput_exitsTwoWithOneLineAndLeavesFilesAlone() throws Exception {
        Path taken = tmp.resolve("taken");
        Files.createDirectories(taken);
        Files.writeString(taken.resolve("keep.txt"), "mine");
        String ckpt = run.checkpoint.toString();
        Map<List<String>, String> cases = Map.of(
                List.of("--checkpoint", ckpt, "--images", folder.toString(), "--out", taken.toString()),
                taken + " already exists; give a new --out folder (batch writes a whole folder of part files)",
                List.of("--checkpoint", tmp.resolve("none.safetensors").toString(), "--images", folder.toString(),
                        "--out", tmp.resolve("o1").toString()),
                tmp.resolve("none.safetensors") + ": checkpoint not found or not readable",
                List.of("--checkpoint", ckpt, "--images", folder.toString(), "--out", tmp.resolve("o2").toString(),
                        "--format", "xml"),
                "--format must be parquet or csv, got 'xml'",
                List.of("--checkpoint", ckpt, "--images", folder.toString(), "--out", tmp.resolve("o3").toString(),
                        "--format", "csv", "--masks"),
                "CSV cannot hold masks: leave out --masks or write --format parquet",
                List.of("--checkpoint", ckpt, "--images", folder + "/*.jpg", "--out", tmp.resolve("o4").toString()),
                folder + "/*.jpg: no images match this glob",
                List.of("--checkpoint", ckpt, "--images", folder.toString(), "--out", tmp.resolve("o5").toString(),
                        "--adapters", run.lines.toString(), "--line", "lid", "--master", "local[1]"),
                "unknown line 'lid' (the line of rows without one: setLine, or --line); the adapters are cover");
        for (Map.Entry<List<String>, String> c : cases.entrySet()) {
            BatchRun b = BatchRun.of(c.getKey().toArray(String[]::new));
            assertEquals(2, b.code(), b.err());
            assertEquals("error: " + c.getValue() + System.lineSeparator(), b.err());
        }
        assertEquals("mine", Files.readString(taken.resolve("keep.txt")));
        try (var s = Files.list(taken)) {
            assertEquals(1, s.count());
        }
        for (String o : List.of("o1", "o2", "o3", "o4", "o5")) {
            assertFalse(Files.exists(tmp.resolve(o)), o);
        }
        BatchRun help = BatchRun.of("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--master=URL") && help.out().contains("docs/usage.md"), help.out());
    }
}
