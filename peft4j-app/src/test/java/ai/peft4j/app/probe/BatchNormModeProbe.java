package ai.peft4j.app.probe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.data.Sample;
import ai.peft4j.data.crop.CropConfig;
import ai.peft4j.data.crop.CropSampler;
import ai.peft4j.data.crop.DefectIndex;
import ai.peft4j.data.folder.ClassFolderConfig;
import ai.peft4j.data.folder.ClassFolderDataset;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.train.loop.Checkpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A measuring probe, not part of the suite (runs only with {@code -Dprobe.adapter=DIR}): a trained adapter of the
 * transfer study on its base, scored on defect-centred training crops of magnetic tile in eval mode (running
 * BatchNorm statistics, as saved) and in training mode (each batch's own statistics), so that a network that
 * predicts background only can be told apart from one whose eval-mode statistics hide what it learnt.
 */
@EnabledIfSystemProperty(named = "probe.adapter", matches = ".+")
class BatchNormModeProbe {
    @Test
    void evalModeAgainstTrainingMode() throws Exception {
        Path root = Path.of(System.getenv().getOrDefault("PEFT4J_SHARED", "/work/shared"), "data/magnetic-tile");
        Path lists = Path.of(System.getProperty("probe.lists", "runs/nat-base/target-split"));
        ClassFolderDataset train = ClassFolderDataset.open(root, lists.resolve("train.txt"), "train",
                ClassFolderConfig.defaults());
        CropSampler sampler = new CropSampler(train, DefectIndex.build(train, 1), new CropConfig(224, 1.0, 1.0, false,
                false), 1);
        int classes = train.numClasses();
        // Four crops per defect class, centred on a defect pixel.
        List<Sample> crops = new ArrayList<>();
        int[] perClass = new int[classes];
        for (int i = 0; i < train.size() && crops.size() < 4 * (classes - 1); i++) {
            String id = train.ids().get(i);
            for (int c = 1; c < classes; c++) {
                if (id.startsWith("MT_" + train.classNames().get(c) + "/") && perClass[c] < 4) {
                    crops.add(sampler.crop(i, 0).toSample());
                    perClass[c]++;
                }
            }
        }
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(1);
            SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.fixture(4));
            model.loadStateDict(Checkpoint.read(Path.of(System.getProperty("probe.base",
                    "runs/nat-base/pretrain/last.safetensors")), m).modelState(), true);
            AdapterFiles.load(Path.of(System.getProperty("probe.adapter")), model, m);
            for (boolean training : new boolean[] {false, true}) {
                model.train(training);
                long[] truth = new long[classes];
                long[] predicted = new long[classes];
                long[] correct = new long[classes];
                for (int b = 0; b < crops.size(); b += 4) {
                    List<Sample> batch = crops.subList(b, Math.min(b + 4, crops.size()));
                    float[] x = new float[batch.size() * 3 * 224 * 224];
                    for (int k = 0; k < batch.size(); k++) {
                        System.arraycopy(batch.get(k).image(), 0, x, k * 3 * 224 * 224, 3 * 224 * 224);
                    }
                    try (NDManager s = m.newSubManager()) {
                        NDArray logits = model.forward(s.create(x, new Shape(batch.size(), 3, 224, 224)));
                        int[] pred = logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT32, false).toIntArray();
                        for (int k = 0; k < batch.size(); k++) {
                            int[] mask = batch.get(k).mask();
                            for (int p = 0; p < mask.length; p++) {
                                int g = mask[p];
                                int q = pred[k * mask.length + p];
                                if (g >= 0 && g < classes) {
                                    truth[g]++;
                                    if (q == g) {
                                        correct[g]++;
                                    }
                                }
                                predicted[q]++;
                            }
                        }
                    }
                }
                StringBuilder line = new StringBuilder();
                for (int c = 0; c < classes; c++) {
                    line.append(String.format(Locale.ROOT, " %s %d/%d/%d", train.classNames().get(c), truth[c],
                            predicted[c], correct[c]));
                }
                System.out.printf(Locale.ROOT, "PROBE %s mode, %d crops (class: true/predicted/correct px):%s%n",
                        training ? "training" : "eval", crops.size(), line);
            }
        }
    }
}
