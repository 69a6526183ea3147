package ai.peft4j.app.probe;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.metrics.SegmentationScores;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.folder.ClassFolderConfig;
import ai.peft4j.data.folder.ClassFolderDataset;
import ai.peft4j.infer.predict.Prediction;
import ai.peft4j.infer.predict.Predictor;
import ai.peft4j.infer.segment.SlidingWindow;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.train.loop.Checkpoint;
import ai.peft4j.train.metrics.ImageVerdicts;
import ai.peft4j.train.metrics.VerdictScores;
import ai.peft4j.train.metrics.VerdictThreshold;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A measuring probe, not part of the suite (runs only with {@code -Dprobe.adapter=DIR}): a transfer-study adapter
 * trained with defect classes weighted {@code w} scored on the magnetic-tile test list as the study scores it
 * (sliding windows of 224, overlap 0.25), with every defect logit lowered by {@code b} before the argmax, for each
 * {@code b} in {@code -Dprobe.offsets} (default 0 and ln 10). Cross-entropy weights shift the network's scores by
 * the log of the weights' ratio; subtracting it again is logit adjustment.
 */
@EnabledIfSystemProperty(named = "probe.adapter", matches = ".+")
class LogitAdjustmentProbe {
    @Test
    void defectLogitsLowered() throws Exception {
        Path root = Path.of(System.getenv().getOrDefault("PEFT4J_SHARED", "/work/shared"), "data/magnetic-tile");
        Path lists = Path.of(System.getProperty("probe.lists"));
        ClassFolderDataset test = ClassFolderDataset.open(root, lists.resolve("test.txt"), "test",
                ClassFolderConfig.defaults());
        int classes = test.numClasses();
        int limit = Integer.parseInt(System.getProperty("probe.limit", "0"));
        int n = limit > 0 ? Math.min(limit, test.size()) : test.size();
        try (NDManager m = EngineSetup.newManager()) {
            SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.fixture(4));
            model.loadStateDict(Checkpoint.read(Path.of(System.getProperty("probe.base")), m).modelState(), true);
            AdapterFiles.load(Path.of(System.getProperty("probe.adapter")), model, m);
            model.eval();
            for (String o : System.getProperty("probe.offsets", "0," + Math.log(10)).split(",")) {
                float b = Float.parseFloat(o);
                float[] bias = new float[classes];
                for (int c = 1; c < classes; c++) {
                    bias[c] = -b;
                }
                ConfusionMatrix matrix = new ConfusionMatrix(classes);
                ImageVerdicts verdicts = new ImageVerdicts(classes, VerdictThreshold.ANY_PIXEL);
                try (Predictor p = Predictor.builder().setModel(model).setInputSize(224)
                        .optSlidingWindow(new SlidingWindow(224, 0.25, 8, 1.0)).optLogitOffsets(bias).build()) {
                    for (int i = 0; i < n; i++) {
                        int k = (int) ((long) i * test.size() / n);
                        LabelledImage pair = test.read(k);
                        Prediction pred = p.predict(pair.image());
                        matrix.add(pair.mask(), pred.mask());
                        verdicts.add(pair.mask(), pred.mask(), pred.width());
                    }
                }
                SegmentationScores s = matrix.scores();
                VerdictScores v = verdicts.scores();
                StringBuilder iou = new StringBuilder();
                for (int c = 0; c < classes; c++) {
                    iou.append(String.format(Locale.ROOT, " %s %.1f", test.classNames().get(c), 100 * s.iou()[c]));
                }
                System.out.printf(Locale.ROOT, "PROBE offset %.3f on %d images: mIoU %.2f mPA %.2f image F1 %.3f "
                        + "AP %.3f; IoU%s%n", b, n, 100 * s.meanIou(), 100 * s.meanRecall(), v.f1(),
                        v.averagePrecision(), iou);
            }
        }
    }
}
