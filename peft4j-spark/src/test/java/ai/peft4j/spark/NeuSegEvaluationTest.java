package ai.peft4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.app.Main;
import ai.peft4j.core.metrics.SegmentationScores;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.infer.stats.ClassMap;
import ai.peft4j.infer.stats.FrameStats;
import ai.peft4j.train.metrics.VerdictScores;
import ai.peft4j.train.metrics.VerdictThreshold;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NEU-Seg's whole test split (447 images of 200x200) in local[2] against {@code peft4j eval} and
 * {@code peft4j predict} with the same fixed-weight model: the confusion matrix, mIoU and image-level scores are
 * identical, and every row's class map is eval's prediction of that image.
 */
class NeuSegEvaluationTest {
    @TempDir
    static Path tmp;

    private static SparkSession spark;

    @BeforeAll
    static void setUp() {
        spark = SparkSession.builder().master("local[2]").appName("peft4j neu-seg test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) {
            spark.stop();
        }
        ExecutorModels.closeAll();
    }

    @Test
    void evaluateInLocal2_equalsPeft4jEvalOnTheWholeTestSplit_andRowsEqualItsAndPredictsMasks() throws Exception {
        Path neu = SharedFiles.require("data/neu-seg");
        NeuSegModel model = NeuSegModel.write(tmp.resolve("model"), neu);
        String threshold = "50%";

        long start = System.nanoTime();
        Path eval = tmp.resolve("eval");
        assertEquals(0, Main.run("eval", "--config", model.runFile.toString(), "--checkpoint",
                model.checkpoint.toString(), "--out", eval.toString(), "--verdict-threshold", threshold,
                "--overlays", "1"));
        JsonNode json = new ObjectMapper().readTree(eval.resolve("metrics.json").toFile());
        long evalDone = System.nanoTime();

        List<String> ids = Files.readAllLines(neu.resolve("ImageSets/Segmentation/test.txt")).stream()
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        assertEquals(447, ids.size());
        Dataset<Row> paths = spark.createDataset(ids.stream().map(id -> neu.resolve("JPEGImages/" + id + ".jpg")
                .toString()).toList(), Encoders.STRING()).toDF("path").repartition(4);
        Dataset<Row> predictions = DefectEvaluation.withId(new DefectInspector()
                .setCheckpoint(model.checkpoint.toString()).setWithMask(true).setVerdictThreshold(threshold)
                .transform(paths), "path").cache();
        Dataset<Row> truths = DefectEvaluation.withId(spark.read().format("binaryFile").load(ids.stream()
                .map(id -> neu.resolve("SegmentationClass/" + id + ".png").toString()).toArray(String[]::new)),
                "path").withColumnRenamed("content", "truth");
        DefectEvaluation e = DefectEvaluation.evaluate(predictions, truths, 4, VerdictThreshold.parse(threshold));

        System.out.printf("NEU-Seg test split: peft4j eval %.1f s, Spark local[2] inspection and evaluation %.1f s%n",
                (evalDone - start) / 1e9, (System.nanoTime() - evalDone) / 1e9);
        assertEquals(447, e.images());
        assertEquals(447, json.path("images").asInt());
        long predicted = 0;
        Set<Integer> columns = new HashSet<>();
        for (int g = 0; g < 4; g++) {
            for (int p = 0; p < 4; p++) {
                assertEquals(json.path("confusion_matrix").get(g).get(p).asLong(), e.matrix().count(g, p),
                        "cell " + g + ", " + p);
                predicted += e.matrix().count(g, p);
                if (e.matrix().count(g, p) > 0) {
                    columns.add(p);
                }
            }
        }
        assertEquals(447L * 200 * 200, predicted);
        assertEquals(4, columns.size(), "the model predicts every class, so the cells tell evaluations apart");
        SegmentationScores s = e.scores();
        assertEquals(json.path("miou").asDouble(), s.meanIou());
        assertEquals(json.path("mpa").asDouble(), s.meanRecall());
        assertEquals(json.path("mprecision").asDouble(), s.meanPrecision());
        assertEquals(json.path("dice").asDouble(), s.meanDice());
        assertEquals(json.path("accuracy").asDouble(), s.accuracy());
        for (int c = 0; c < 4; c++) {
            JsonNode pc = json.path("per_class").get(c);
            assertEquals(NeuSegModel.CLASSES.get(c), pc.path("name").asText());
            assertEquals(pc.path("iou").asDouble(), s.iou()[c]);
            assertEquals(pc.path("pa").asDouble(), s.recall()[c]);
            assertEquals(pc.path("precision").asDouble(), s.precision()[c]);
        }
        VerdictScores v = e.verdictScores();
        JsonNode level = json.path("image_level");
        assertEquals(level.path("defective").asInt(), v.defective());
        assertEquals(level.path("true_positives").asInt(), v.truePositives());
        assertEquals(level.path("false_positives").asInt(), v.falsePositives());
        assertEquals(level.path("precision").asDouble(), v.precision());
        assertEquals(level.path("recall").asDouble(), v.recall());
        assertEquals(level.path("ap").asDouble(), v.averagePrecision());
        assertTrue(v.truePositives() > 0 && v.truePositives() < 447, "the threshold splits the parts: "
                + v.truePositives());

        // Every row: no error, eval's class map of the image, and areas and verdict of that map.
        List<Row> rows = predictions.select("id", "mask", "areas", "verdict", "error").collectAsList();
        assertEquals(447, rows.size());
        int defective = 0;
        for (Row r : rows) {
            String id = r.getString(0);
            assertNull(r.get(4), id);
            int[] expected = ImageDecoder.readMask(eval.resolve("predictions/" + id + ".png")).values();
            assertArrayEquals(expected, ImageDecoder.readMask((byte[]) r.get(1), Path.of(id)).values(), id);
            long[] px = FrameStats.of(0, "", 0, new ClassMap(200, 200, expected), 4).pixels();
            Map<String, Long> areas = r.getJavaMap(2);
            for (int c = 0; c < 4; c++) {
                assertEquals(px[c], areas.get(NeuSegModel.CLASSES.get(c)), id);
            }
            defective += "defective".equals(r.getString(3)) ? 1 : 0;
        }
        assertEquals(v.truePositives() + v.falsePositives(), defective);
        assertEquals(447 - defective, predictions.filter(col("verdict").equalTo("good")).count());

        // peft4j predict on a folder of some of the same images gives the rows' masks.
        Path folder = Files.createDirectories(tmp.resolve("some"));
        List<String> some = ids.subList(0, 6);
        for (String id : some) {
            Files.copy(neu.resolve("JPEGImages/" + id + ".jpg"), folder.resolve(id + ".jpg"));
        }
        Path out = tmp.resolve("predict");
        assertEquals(0, Main.run("predict", "--checkpoint", model.checkpoint.toString(), folder.toString(), "--out",
                out.toString()));
        for (Row r : predictions.filter(col("id").isin(some.toArray())).select("id", "mask").collectAsList()) {
            assertArrayEquals(ImageDecoder.readMask(out.resolve("masks/" + r.getString(0) + ".png")).values(),
                    ImageDecoder.readMask((byte[]) r.get(1), Path.of(r.getString(0))).values(), r.getString(0));
        }
        predictions.unpersist();
    }
}
