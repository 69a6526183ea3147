package ai.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.ImageSubset;
import ai.peft4j.data.loader.BatchLoader;
import ai.peft4j.data.loader.LoaderConfig;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real steel-strip defects: the small Swin-Att-UNet trained for a few epochs on 160 NEU-Seg training images
 * (letterboxed to 64 x 64, Adam, CE + Dice) segments 64 of its test images clearly better than untrained. Untrained,
 * it labels nearly everything one class; the margin asked for is what a few epochs reach with room for the
 * randomness of thread scheduling in the loader.
 */
class NeuSegLearningTest {
    private static final VocConfig NEU = VocConfig.of("background", "inclusion", "patches", "scratches");

    @Test
    void shortRun_onNeuSegSubset_raisesTestMiouByAtLeast20Points(@TempDir Path dir) throws Exception {
        Path root = SharedFiles.require("data/neu-seg");
        ImageDataset train = ImageSubset.spread(VocDataset.open(root, "train", NEU), 160);
        ImageDataset test = ImageSubset.spread(VocDataset.open(root, "test", NEU), 64);
        int epochs = 6;
        try (NDManager manager = EngineSetup.newManager();
                BatchLoader trainLoader = new BatchLoader(train, Letterbox.square(64),
                        LoaderConfig.training(8).withSeed(3));
                BatchLoader testLoader = new BatchLoader(test, Letterbox.square(64), LoaderConfig.evaluation(16))) {
            EngineSetup.seed(3);
            SwinAttUNet model = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(4));
            TrainerConfig config = TrainerConfig.builder().setEpochs(epochs).setNumClasses(4).optLearningRate(3e-3)
                    .optLoss("ce+dice").optEvalPeriod(epochs).optSeed(3).build();
            Trainer trainer = Trainer.builder().setModel(model).setConfig(config)
                    .setTrainData(BatchSource.of(trainLoader)).optValidationData(BatchSource.of(testLoader))
                    .setOutputDir(dir).optClassNames(NEU.classNames()).optInteractive(false).build();
            double before = trainer.evaluate(BatchSource.of(testLoader)).scores().meanIou();
            TrainingResult r = trainer.fit();
            double after = r.history().get(epochs - 1).scores().meanIou();
            System.out.printf(Locale.ROOT, "NEU-Seg subset: test mIoU %.4f untrained -> %.4f after %d epochs; %.3f s "
                    + "per step%n", before, after, epochs, r.meanStepSeconds());
            assertTrue(after >= before + 0.20, "test mIoU " + before + " -> " + after);
        }
    }
}
