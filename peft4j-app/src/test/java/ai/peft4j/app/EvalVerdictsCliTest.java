package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.MaskRaster;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import ai.peft4j.train.metrics.ImageVerdicts;
import ai.peft4j.train.metrics.VerdictScores;
import ai.peft4j.train.metrics.VerdictThreshold;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval}'s pass/fail per part: metrics.json's image_level equals the verdicts of the prediction PNGs. */
class EvalVerdictsCliTest {
    @TempDir
    static Path shared;

    private static Path data;
    private static Path config;
    private static Path checkpoint;

    @TempDir
    Path tmp;

    /**
     * 32x32 pairs; d and f are defect-free, the others carry a band or a spot of class 1. The run trains once with
     * the losses for rare pixels.
     */
    @BeforeAll
    static void trainOnce() throws Exception {
        data = shared.resolve("data");
        writePair("a", 0, 8 * 32);
        writePair("b", 4 * 32, 6 * 32);
        writePair("c", 0, 3 * 32);
        writePair("d", 0, 0);
        writePair("e", 10 * 32 + 5, 10 * 32 + 9);
        writePair("f", 0, 0);
        TinyRuns.splitList(data, "train", "a", "b", "d");
        TinyRuns.splitList(data, "val", "c");
        TinyRuns.splitList(data, "test", "c", "d", "e", "f");
        TinyRuns.splitList(data, "val2", "a", "b", "d", "e", "f");
        Path run = shared.resolve("run");
        config = TinyRuns.RunFile.voc(data, "background", "defect").training("batch", "3")
                .training("loss", "dice-present+topk-ce:0.2+lovasz").write(shared.resolve("tiny.yaml"), run);
        CliRun train = CliRun.of("train", "--config", config.toString());
        assertEquals(0, train.code(), train.err() + train.out());
        checkpoint = run.resolve("best.safetensors");
        // The losses for rare pixels train from the run file: a finite loss in the history.
        List<String> history = Files.readAllLines(run.resolve("history.csv"));
        int column = List.of(history.get(0).split(",")).indexOf("train_loss");
        double loss = Double.parseDouble(history.get(1).split(",")[column]);
        assertTrue(Double.isFinite(loss) && loss > 0, String.join("\n", history));
        assertTrue(Files.readString(run.resolve("config.yaml")).contains("loss: dice-present+topk-ce:0.2+lovasz"));
    }

    @Test
    void eval_imageLevelScores_equalThoseOfThePredictionPngs_andTheReportShowsTheCurve() throws Exception {
        for (String threshold : List.of("0", "0.5%")) {
            Path out = tmp.resolve("eval-" + threshold.replace('%', 'p'));
            CliRun r = CliRun.of("eval", "--config", config.toString(), "--checkpoint", checkpoint.toString(),
                    "--out", out.toString(), "--verdict-threshold", threshold);
            assertEquals(0, r.code(), r.err() + r.out());
            assertTrue(r.out().contains("Parts (defective above " + VerdictThreshold.parse(threshold) + ")"),
                    r.out());

            VerdictThreshold t = VerdictThreshold.parse(threshold);
            ImageVerdicts expected = new ImageVerdicts(2, t);
            VocDataset test = VocDataset.open(data, "test", new VocConfig(List.of("background", "defect"), null,
                    null, false));
            for (int i = 0; i < test.size(); i++) {
                LabelledImage gt = test.read(i);
                MaskRaster pred = ImageDecoder.readMask(out.resolve("predictions/" + gt.id() + ".png"));
                expected.add(gt.mask(), pred.values(), pred.width());
            }
            VerdictScores s = expected.scores();
            JsonNode v = new ObjectMapper().readTree(out.resolve("metrics.json").toFile()).path("image_level");
            assertEquals(t.value(), v.path("threshold").asDouble(), 0);
            assertEquals(t.share() ? "share" : "pixels", v.path("threshold_unit").asText());
            assertEquals(4, v.path("images").asInt());
            assertEquals(2, v.path("defective").asInt());
            assertEquals(s.precision(), v.path("precision").asDouble(), 1e-12);
            assertEquals(s.recall(), v.path("recall").asDouble(), 1e-12);
            assertEquals(s.f1(), v.path("f1").asDouble(), 1e-12);
            assertEquals(s.averagePrecision(), v.path("ap").asDouble(), 1e-12);
            assertEquals(s.bestF1Threshold().value(), v.path("best_f1_threshold").asDouble(), 1e-12);
            assertEquals("data/test", v.path("best_f1_chosen_on").asText());
            assertEquals(s.curve().size(), v.path("pr_curve").size());
            for (int k = 0; k < s.curve().size(); k++) {
                assertEquals(s.curve().get(k).recall(), v.path("pr_curve").get(k).path("recall").asDouble(), 1e-12);
                assertEquals(s.curve().get(k).precision(), v.path("pr_curve").get(k).path("precision").asDouble(),
                        1e-12);
            }
            JsonNode defect = v.path("per_class_instance_recall").get(0);
            assertEquals("defect", defect.path("name").asText());
            assertEquals(2, defect.path("instances").asLong(), "c's band and e's spot");
            assertEquals(s.instancesHit()[1], defect.path("hit").asLong());

            assertTrue(Files.size(out.resolve("pr_curve.png")) > 0);
            String md = Files.readString(out.resolve("report.md"));
            assertTrue(md.contains("## Pass/fail per part") && md.contains("![precision-recall curve](pr_curve.png)")
                    && md.contains("exceeds " + t + ";"), md);
            assertTrue(Files.readString(out.resolve("report.html")).contains("<img src=\"pr_curve.png\""));
        }
    }

    @Test
    void eval_verdictThresholdVal_usesTheF1MaximisingThresholdOfTheValidationSplit() throws Exception {
        // The reference: the validation split's predictions as eval writes them, their F1-maximising threshold.
        Path onVal = tmp.resolve("val2");
        CliRun v = CliRun.of("eval", "--config", config.toString(), "--checkpoint", checkpoint.toString(), "--out",
                onVal.toString(), "--split", "val2");
        assertEquals(0, v.code(), v.err() + v.out());
        VocConfig vc = new VocConfig(List.of("background", "defect"), null, null, false);
        VerdictThreshold chosen = verdicts(VocDataset.open(data, "val2", vc), onVal, VerdictThreshold.ANY_PIXEL)
                .scores().bestF1Threshold();

        Path out = tmp.resolve("eval-val");
        CliRun r = CliRun.of("eval", "--config", config.toString(), "--checkpoint", checkpoint.toString(), "--out",
                out.toString(), "--set", "data.val_split=val2", "--verdict-threshold", "val");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("Verdict threshold " + chosen + ": F1 "), r.out());
        JsonNode level = new ObjectMapper().readTree(out.resolve("metrics.json").toFile()).path("image_level");
        assertEquals(chosen.value(), level.path("threshold").asDouble(), 0);
        assertEquals("pixels", level.path("threshold_unit").asText());
        assertEquals("data/val2", level.path("threshold_chosen_on").asText());
        VerdictScores test = verdicts(VocDataset.open(data, "test", vc), out, chosen).scores();
        assertEquals(test.truePositives(), level.path("true_positives").asInt());
        assertEquals(test.falsePositives(), level.path("false_positives").asInt());
        assertEquals(test.f1(), level.path("f1").asDouble(), 1e-12);
        assertTrue(Files.readString(out.resolve("report.md")).contains("maximised F1 on the data/val2 split"));

        // As a share of the image: the same images, the unit of the chosen threshold is a share.
        Path share = tmp.resolve("eval-val-share");
        CliRun rs = CliRun.of("eval", "--config", config.toString(), "--checkpoint", checkpoint.toString(), "--out",
                share.toString(), "--set", "data.val_split=val2", "--verdict-threshold", "val%");
        assertEquals(0, rs.code(), rs.err() + rs.out());
        JsonNode ls = new ObjectMapper().readTree(share.resolve("metrics.json").toFile()).path("image_level");
        assertEquals("share", ls.path("threshold_unit").asText());
        assertEquals(verdicts(VocDataset.open(data, "val2", vc), onVal, new VerdictThreshold(0, true)).scores()
                .bestF1Threshold().value(), ls.path("threshold").asDouble(), 1e-12);

        // No validation split in the run file: a one-line error, nothing written.
        Path none = tmp.resolve("eval-none");
        CliRun e = CliRun.of("eval", "--config", config.toString(), "--checkpoint", checkpoint.toString(), "--out",
                none.toString(), "--set", "data.val_split=", "--verdict-threshold", "val");
        assertEquals(2, e.code(), e.out());
        assertTrue(e.err().strip().startsWith("error: --verdict-threshold val chooses the threshold on the "
                + "validation split, but the run file names none"), e.err());
        assertFalse(Files.exists(none.resolve("metrics.json")));
    }

    /** Verdicts at {@code t} of the prediction PNGs eval wrote under {@code out} for {@code split}. */
    private static ImageVerdicts verdicts(VocDataset split, Path out, VerdictThreshold t) throws Exception {
        ImageVerdicts v = new ImageVerdicts(2, t);
        for (int i = 0; i < split.size(); i++) {
            LabelledImage gt = split.read(i);
            MaskRaster pred = ImageDecoder.readMask(out.resolve("predictions/" + gt.id() + ".png"));
            v.add(gt.mask(), pred.values(), pred.width());
        }
        return v;
    }

    @Test
    void eval_badVerdictThreshold_isOneLineErrorAndWritesNothing() throws Exception {
        Map<String, String> before = TinyRuns.hashes(shared);
        Path out = tmp.resolve("eval");
        CliRun r = CliRun.of("eval", "--config", config.toString(), "--checkpoint", checkpoint.toString(), "--out",
                out.toString(), "--verdict-threshold", "-5");
        assertEquals(2, r.code(), r.out());
        assertEquals("error: verdict threshold '-5' is not a number of pixels >= 0 (e.g. 50) or a percentage of the "
                + "image in [0, 100) (e.g. 0.1%)", r.err().strip());
        assertFalse(Files.exists(out));
        assertEquals(before, TinyRuns.hashes(shared));
    }

    @Test
    void help_describesTheVerdictThresholdAndTheLossNames() {
        CliRun r = CliRun.of("eval", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--verdict-threshold") && r.out().contains("0.1%)"), r.out());
        CliRun t = CliRun.of("train", "--help");
        assertEquals(0, t.code());
        // picocli wraps lines anywhere, even inside a name: compare without white space.
        String help = t.out().replaceAll("\\s+", "");
        assertTrue(help.contains("training.losstakesce,focal,dice,dice-present,topk-ce[:K],lovasz,lovasz-image"),
                t.out());
    }

    /** An image with class 1 on pixels {@code [from, to)} of its mask. */
    private static void writePair(String id, int from, int to) throws Exception {
        int[] mask = new int[32 * 32];
        RgbImage image = RgbImage.filled(32, 32, 120, 100, 80);
        for (int i = from; i < to; i++) {
            mask[i] = 1;
            // Defects are dark, so that the model has something to learn.
            image.pixels()[3 * i] = 20;
            image.pixels()[3 * i + 1] = 20;
            image.pixels()[3 * i + 2] = 20;
        }
        ImageEncoder.writeJpeg(image, data.resolve("JPEGImages/" + id + ".jpg"), 0.9f);
        ImageEncoder.writeIndexPng(mask, 32, 32, Palette.voc(), data.resolve("SegmentationClass/" + id + ".png"));
    }
}
