package ai.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.data.Sample;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The small Swin-Att-UNet learns bright squares on dark noise with Adam and the published warm-up cosine: 32
 * training images of 32 x 32 (the smallest side the model takes, to keep the test short), batches of 4, 6 epochs.
 * Untrained, the model predicts one class almost everywhere (mIoU about 0.43: background IoU about 0.86, squares
 * 0); trained, it should segment the squares of 16 unseen images.
 */
class SwinAttUNetLearningTest {
    @Test
    void adam_sixEpochs_raisesValidationMiouByAtLeast40Points(@TempDir Path dir) throws Exception {
        List<Sample> train = Squares.samples(32, 32, 1);
        BatchSource val = Squares.fixed(Squares.samples(16, 32, 2), 8);
        try (NDManager manager = EngineSetup.newManager()) {
            EngineSetup.seed(7);
            SwinAttUNet model = new SwinAttUNet(manager, SwinAttUNetConfig.fixture(2));
            TrainerConfig config = TrainerConfig.builder().setEpochs(6).setNumClasses(2).optLearningRate(2e-3)
                    .optEvalPeriod(3).optSeed(1).build();
            Trainer trainer = Trainer.builder().setModel(model).setConfig(config)
                    .setTrainData(Squares.shuffled(train, 4, 5)).optValidationData(val).setOutputDir(dir)
                    .optClassNames(List.of("background", "square")).optInteractive(false).build();
            double before = trainer.evaluate(val).scores().meanIou();
            TrainingResult r = trainer.fit();
            double after = r.history().get(5).scores().meanIou();
            System.out.printf(Locale.ROOT, "Swin-Att-UNet (fixture) on squares: mIoU %.4f untrained -> %.4f after 6 "
                    + "epochs; %.3f s per training step%n", before, after, r.meanStepSeconds());
            assertTrue(before < 0.5, "untrained mIoU " + before);
            assertTrue(after >= before + 0.4 && after > 0.9, "mIoU " + before + " -> " + after);
            assertTrue(r.history().get(5).trainLoss() < r.history().get(0).trainLoss() / 2,
                    "training loss " + r.history().get(0).trainLoss() + " -> " + r.history().get(5).trainLoss());
        }
    }
}
