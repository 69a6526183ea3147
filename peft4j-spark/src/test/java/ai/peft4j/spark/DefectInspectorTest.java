package ai.peft4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.Main;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.TrainedModel;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import ai.peft4j.infer.predict.Prediction;
import ai.peft4j.infer.predict.Predictor;
import ai.peft4j.infer.stats.ClassMap;
import ai.peft4j.infer.stats.Component;
import ai.peft4j.infer.stats.FrameStats;
import ai.peft4j.train.metrics.ImageVerdicts;
import ai.peft4j.train.metrics.VerdictScores;
import ai.peft4j.train.metrics.VerdictThreshold;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.param.Param;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transformer and the evaluation in local mode against the library's predictor and metrics. */
class DefectInspectorTest {
    @TempDir
    static Path tmp;

    private static TinyRun run;
    private static SparkSession spark;
    private static List<Path> images;
    private static Path broken;

    @BeforeAll
    static void setUp() throws Exception {
        run = TinyRun.shared();
        images = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            images.add(run.data.resolve("JPEGImages/s" + i + ".png"));
        }
        broken = tmp.resolve("broken.png");
        Files.writeString(broken, "not a PNG");
        spark = SparkSession.builder().master("local[2]").appName("peft4j test").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "3").getOrCreate();
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) {
            spark.stop();
        }
        ExecutorModels.closeAll();
    }

    private static Dataset<Row> paths(List<Path> files, int partitions) {
        return spark.createDataset(files.stream().map(Path::toString).toList(), Encoders.STRING()).toDF("path")
                .repartition(partitions);
    }

    /** The library's predictions of {@code files} (null for a file that does not decode), adapter optional. */
    private static Map<String, Prediction> library(List<Path> files, Path adapter) throws Exception {
        Map<String, Prediction> out = new HashMap<>();
        try (NDManager m = EngineSetup.newManager()) {
            TrainedModel tm = TrainedModel.load(RunConfigFile.read(run.runFile, List.of()).config().model(), 2,
                    run.checkpoint, adapter, false, m);
            try (Predictor p = Predictor.builder().setModel(SegmentationNet.layer(tm.model())).setInputSize(32)
                    .build()) {
                for (Path f : files) {
                    out.put(f.toString(), p.predict(ImageDecoder.readRgb(f)));
                }
            }
        }
        return out;
    }

    private static void assertRowEquals(Prediction expected, Row r) {
        assertNull(r.getAs("error"), () -> r.getAs("error"));
        assertEquals(expected.width(), (int) r.getAs("width"));
        assertEquals(expected.height(), (int) r.getAs("height"));
        byte[] png = r.getAs("mask");
        assertArrayEquals(expected.mask(), ImageDecoder.readMask(png, Path.of("mask")).values());
        FrameStats s = FrameStats.of(0, "", 0, new ClassMap(expected.width(), expected.height(), expected.mask()), 2);
        Map<String, Long> areas = r.getJavaMap(r.fieldIndex("areas"));
        assertEquals(Map.of("background", s.pixels()[0], "defect", s.pixels()[1]), areas);
        List<Row> regions = r.getList(r.fieldIndex("regions"));
        assertEquals(s.components().size(), regions.size());
        for (int k = 0; k < regions.size(); k++) {
            Component c = s.components().get(k);
            Row g = regions.get(k);
            assertEquals(List.of("defect", c.classId(), c.x0(), c.y0(), c.x1(), c.y1(), (long) c.pixels()),
                    List.of(g.get(0), g.get(1), g.get(2), g.get(3), g.get(4), g.get(5), g.get(6)));
        }
        assertEquals(s.pixels()[1] > 0 ? "defective" : "good", r.getAs("verdict"));
    }

    @Test
    void transform_rowsEqualTheLibraryPredictorsAndABadImageGivesAnErrorRow() throws Exception {
        List<Path> files = new ArrayList<>(images);
        files.add(3, broken);
        List<Row> rows = new DefectInspector().setCheckpoint(run.checkpoint.toString()).setWithMask(true)
                .setBatchSize(3).transform(paths(files, 3)).collectAsList();
        assertEquals(files.size(), rows.size());
        Map<String, Prediction> expected = library(images, null);
        int defective = 0;
        for (Row r : rows) {
            String path = r.getAs("path");
            if (path.equals(broken.toString())) {
                String error = r.getAs("error");
                assertNotNull(error);
                assertTrue(error.startsWith(broken + ": "), error);
                assertNull(r.getAs("verdict"));
                assertNull(r.getAs("mask"));
                continue;
            }
            assertNull(r.getAs("line"));
            assertRowEquals(expected.get(path), r);
            defective += "defective".equals(r.getAs("verdict")) ? 1 : 0;
        }
        assertTrue(defective > 0, "the tiny model finds some squares");
    }

    @Test
    void transform_loadsTheModelOncePerJvmForAllPartitionsAndJobs() {
        ExecutorModels.closeAll();
        int before = ExecutorModels.constructions();
        DefectInspector inspector = new DefectInspector().setCheckpoint(run.checkpoint.toString())
                .setAdapters(run.lines.toString()).setBatchSize(2);
        assertEquals(8, inspector.transform(paths(images, 4)).collectAsList().size());
        assertEquals(8, inspector.transform(paths(images, 2)).filter(col("error").isNull()).count());
        assertEquals(before + 1, ExecutorModels.constructions());
    }

    @Test
    void transform_binaryContentWithALineColumn_usesEachRowsAdapter() throws Exception {
        Dataset<Row> files = spark.read().format("binaryFile").load(run.data.resolve("JPEGImages").toString())
                .withColumn("line", when(col("path").endsWith("s1.png").or(col("path").endsWith("s6.png")),
                        lit("cover")).when(col("path").endsWith("s2.png"), lit("lid")));
        List<Row> rows = new DefectInspector().setCheckpoint(run.checkpoint.toString())
                .setAdapters(run.lines.toString()).setLineCol("line").setImageCol("content").setWithMask(true)
                .transform(files).collectAsList();
        assertEquals(8, rows.size());
        Map<String, Prediction> base = library(images, null);
        Map<String, Prediction> cover = library(images, run.adapter);
        int covered = 0;
        for (Row r : rows) {
            String path = Path.of(URI.create(r.getAs("path"))).toString();
            if (path.endsWith("s2.png")) {
                assertEquals("unknown line 'lid' in the line column (have: cover)", r.getAs("error"));
                assertEquals("lid", r.getAs("line"));
                continue;
            }
            boolean isCover = path.endsWith("s1.png") || path.endsWith("s6.png");
            assertEquals(isCover ? "cover" : null, r.getAs("line"));
            assertRowEquals((isCover ? cover : base).get(path), r);
            covered += isCover && !Arrays.equals(cover.get(path).mask(), base.get(path).mask()) ? 1 : 0;
        }
        assertTrue(covered > 0, "the adapter changes some prediction, so the comparison tells the lines apart");
    }

    @Test
    void transform_imageSourceStructs_equalTheLibrarysPredictionsOfTheFiles() throws Exception {
        Dataset<Row> decoded = spark.read().format("image").load(run.data.resolve("JPEGImages").toString());
        List<Row> rows = new DefectInspector().setCheckpoint(run.checkpoint.toString()).setImageCol("image")
                .setWithMask(true).transform(decoded).collectAsList();
        assertEquals(8, rows.size());
        Map<String, Prediction> expected = library(images, null);
        for (Row r : rows) {
            String origin = r.getStruct(r.fieldIndex("image")).getAs("origin");
            assertRowEquals(expected.get(Path.of(URI.create(origin)).toString()), r);
        }
    }

    @Test
    void evaluate_equalsTheLibrarysMatrixAndPeft4jEvalOnTheSamePredictions() throws Exception {
        VocDataset test = VocDataset.open(run.data, "test", VocConfig.of("background", "defect"));
        List<Path> testImages = new ArrayList<>();
        for (int i = 0; i < test.size(); i++) {
            testImages.add(test.imageFile(i));
        }
        Dataset<Row> predictions = DefectEvaluation.withId(new DefectInspector()
                .setCheckpoint(run.checkpoint.toString()).setWithMask(true).transform(paths(testImages, 3)), "path");
        Dataset<Row> truths = DefectEvaluation.withId(spark.read().format("binaryFile")
                .load(run.data.resolve("SegmentationClass").toString()), "path")
                .filter(col("id").isin(test.ids().toArray())).withColumnRenamed("content", "truth");
        VerdictThreshold threshold = VerdictThreshold.parse("20");
        DefectEvaluation e = DefectEvaluation.evaluate(predictions, truths, 2, threshold);

        Map<String, Prediction> expected = library(testImages, null);
        ConfusionMatrix cm = new ConfusionMatrix(2);
        ImageVerdicts v = new ImageVerdicts(2, threshold);
        for (int i = 0; i < test.size(); i++) {
            LabelledImage gt = test.read(i);
            int[] pred = expected.get(test.imageFile(i).toString()).mask();
            cm.add(gt.mask(), pred);
            v.add(gt.mask(), pred, gt.image().width());
        }
        assertEquals(4, e.images());
        for (int g = 0; g < 2; g++) {
            for (int p = 0; p < 2; p++) {
                assertEquals(cm.count(g, p), e.matrix().count(g, p));
            }
        }
        assertEquals(cm.scores().meanIou(), e.scores().meanIou());
        assertEquals(cm.scores().meanDice(), e.scores().meanDice());
        assertArrayEquals(cm.scores().recall(), e.scores().recall());
        assertArrayEquals(cm.scores().precision(), e.scores().precision());
        VerdictScores vs = e.verdictScores();
        VerdictScores lv = v.scores();
        assertEquals(List.of(lv.images(), lv.defective(), lv.truePositives(), lv.falsePositives()),
                List.of(vs.images(), vs.defective(), vs.truePositives(), vs.falsePositives()));
        assertEquals(lv.averagePrecision(), vs.averagePrecision());
        assertEquals(lv.curve(), vs.curve());
        assertArrayEquals(lv.instancesHit(), vs.instancesHit());

        Path out = tmp.resolve("eval");
        assertEquals(0, Main.run("eval", "--config", run.runFile.toString(), "--checkpoint",
                run.checkpoint.toString(), "--out", out.toString(), "--verdict-threshold", "20"));
        JsonNode json = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertEquals(json.path("miou").asDouble(), e.scores().meanIou());
        assertEquals(json.path("accuracy").asDouble(), e.scores().accuracy());
        for (int g = 0; g < 2; g++) {
            assertEquals(json.path("per_class").get(g).path("iou").asDouble(), e.scores().iou()[g]);
            for (int p = 0; p < 2; p++) {
                assertEquals(json.path("confusion_matrix").get(g).get(p).asLong(), e.matrix().count(g, p));
            }
        }
        JsonNode level = json.path("image_level");
        assertEquals(level.path("true_positives").asInt(), vs.truePositives());
        assertEquals(level.path("false_positives").asInt(), vs.falsePositives());
        assertEquals(level.path("f1").asDouble(), vs.f1());
    }

    @Test
    void transform_findsModelFilesAddedToTheContextByTheirNames() throws Exception {
        // As spark-submit --files: the driver's paths do not exist on the executor, the shipped names do.
        spark.sparkContext().addFile(run.checkpoint.toString());
        spark.sparkContext().addFile(run.runFile.toString());
        Path driverOnly = tmp.resolve("driver-only");
        List<Row> rows = new DefectInspector()
                .setCheckpoint(driverOnly.resolve(run.checkpoint.getFileName()).toString())
                .setConfig(driverOnly.resolve(run.runFile.getFileName()).toString()).setWithMask(true)
                .transform(paths(images, 2)).collectAsList();
        assertEquals(8, rows.size());
        Map<String, Prediction> expected = library(images, null);
        for (Row r : rows) {
            assertRowEquals(expected.get(r.<String>getAs("path")), r);
        }
    }

    @Test
    void saveAndLoad_aloneAndInAPipelineModel_keepEverySettingAndGiveTheSameRows() throws Exception {
        DefectInspector inspector = new DefectInspector().setCheckpoint(run.checkpoint.toString())
                .setConfig(run.runFile.toString()).setAdapters(run.lines.toString()).setLine("cover")
                .setVerdictThreshold("5%").setWithMask(true).setBatchSize(3).setTileBatch(2);
        Path alone = tmp.resolve("saved/inspector");
        inspector.save(alone.toString());
        DefectInspector back = DefectInspector.load(alone.toString());
        assertEquals(inspector.uid(), back.uid());
        for (Param<?> p : inspector.params()) {
            assertEquals(inspector.isSet(p), back.isSet(back.getParam(p.name())), p.name());
            assertEquals(inspector.isDefined(p) ? inspector.getOrDefault(p) : null,
                    back.isDefined(back.getParam(p.name())) ? back.getOrDefault(back.getParam(p.name())) : null,
                    p.name());
        }
        assertTrue(!back.isSet(back.lineCol()) && back.getOrDefault(back.line()).equals("cover"));

        Dataset<Row> input = paths(images, 2);
        PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {inspector}).fit(input);
        Path saved = tmp.resolve("saved/pipeline-model");
        fitted.write().overwrite().save(saved.toString());
        PipelineModel loaded = PipelineModel.load(saved.toString());
        assertEquals(DefectInspector.class, loaded.stages()[0].getClass());
        Map<String, Row> expected = new HashMap<>();
        for (Row r : inspector.transform(input).collectAsList()) {
            expected.put(r.getAs("path"), r);
        }
        List<Row> rows = loaded.transform(input).collectAsList();
        assertEquals(8, rows.size());
        for (Row r : rows) {
            Row e = expected.get(r.<String>getAs("path"));
            assertNull(r.getAs("error"));
            assertEquals("cover", r.getAs("line"));
            assertArrayEquals(e.<byte[]>getAs("mask"), r.<byte[]>getAs("mask"));
            assertEquals(e.getJavaMap(e.fieldIndex("areas")), r.getJavaMap(r.fieldIndex("areas")));
            assertEquals(e.<String>getAs("verdict"), r.getAs("verdict"));
        }
    }

    @Test
    void badInput_getsAClearError() {
        Dataset<Row> ints = spark.range(3).toDF("path");
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> new DefectInspector()
                .setCheckpoint(run.checkpoint.toString()).transform(ints));
        assertEquals("image column 'path' is bigint; give image paths (string), encoded image files (binary, as the "
                + "binaryFile source's content) or decoded images (the image source's struct)", type.getMessage());

        Path missing = tmp.resolve("nowhere/model.safetensors");
        Exception load = assertThrows(Exception.class, () -> new DefectInspector().setCheckpoint(missing.toString())
                .setConfig(run.runFile.toString()).transform(paths(images.subList(0, 2), 1)).collectAsList());
        IllegalArgumentException cause = (IllegalArgumentException) BatchCommand.unwrap(load);
        assertTrue(cause.getMessage().startsWith("checkpoint " + missing + " is not readable on executor host "),
                cause.getMessage());

        Path noAdapters = tmp.resolve("nowhere/lines");
        Exception adapters = assertThrows(Exception.class, () -> new DefectInspector()
                .setCheckpoint(run.checkpoint.toString()).setAdapters(noAdapters.toString())
                .transform(paths(images.subList(0, 2), 1)).collectAsList());
        assertTrue(BatchCommand.unwrap(adapters).getMessage().startsWith("adapter folder " + noAdapters
                + " is not readable on executor host "), BatchCommand.unwrap(adapters).getMessage());

        Exception line = assertThrows(Exception.class, () -> new DefectInspector()
                .setCheckpoint(run.checkpoint.toString()).setAdapters(run.lines.toString()).setLine("lid")
                .transform(paths(images.subList(0, 2), 1)).collectAsList());
        assertEquals("unknown line 'lid' (the line of rows without one: setLine, or --line); the adapters are cover",
                BatchCommand.unwrap(line).getMessage());
        Exception noLines = assertThrows(Exception.class, () -> new DefectInspector()
                .setCheckpoint(run.checkpoint.toString()).setLine("cover")
                .transform(paths(images.subList(0, 2), 1)).collectAsList());
        assertEquals("unknown line 'cover' (the line of rows without one: setLine, or --line); no adapters were "
                + "given", BatchCommand.unwrap(noLines).getMessage());

        IllegalArgumentException lineType = assertThrows(IllegalArgumentException.class, () -> new DefectInspector()
                .setCheckpoint(run.checkpoint.toString()).setLineCol("n")
                .transform(paths(images.subList(0, 2), 1).withColumn("n", lit(3))));
        assertEquals("line column 'n' is int; it must hold line names (string)", lineType.getMessage());
        IllegalArgumentException struct = assertThrows(IllegalArgumentException.class, () -> new DefectInspector()
                .setCheckpoint(run.checkpoint.toString()).setImageCol("s")
                .transform(paths(images.subList(0, 2), 1).selectExpr("named_struct('a', path) AS s")));
        assertTrue(struct.getMessage().startsWith("image column 's' is struct<a:string>; give image paths"),
                struct.getMessage());
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class, () -> new DefectInspector()
                .setCheckpoint(run.checkpoint.toString()).setImageCol("content").transform(paths(images, 1)));
        assertEquals("no image column 'content' in the input (columns: path)", absent.getMessage());

        for (String v : List.of("3.5.1", "5.0.0")) {
            IllegalStateException old = assertThrows(IllegalStateException.class,
                    () -> SparkVersions.requireSupported(v));
            assertEquals("Spark " + v + " is not supported: peft4j-spark needs Spark 4.0.0 or a later 4.x on Scala "
                    + "2.13 (use a cluster or a spark-submit of that version)", old.getMessage());
        }
        IllegalStateException unreadable = assertThrows(IllegalStateException.class,
                () -> SparkVersions.requireSupported("four"));
        assertEquals("cannot read the Spark version 'four'; peft4j-spark needs Spark 4.0.0 or a later 4.x",
                unreadable.getMessage());
        SparkVersions.requireSupported(spark.version());
    }
}
