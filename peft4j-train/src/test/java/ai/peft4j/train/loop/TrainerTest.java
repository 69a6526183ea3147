package ai.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.data.Batch;
import ai.peft4j.data.Sample;
import ai.peft4j.train.report.EpochRecord;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    private static final List<Sample> TRAIN = Squares.samples(16, 32, 1);
    private static final List<Sample> VAL = Squares.samples(8, 32, 2);

    private NDManager manager;
    private TinySegmenter model;
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();

    @BeforeEach
    void open() {
        manager = EngineSetup.newManager();
        EngineSetup.seed(7);
        model = new TinySegmenter(manager);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private TrainerConfig.Builder config(int epochs) {
        return TrainerConfig.builder().setEpochs(epochs).setNumClasses(2).optLearningRate(1e-2).optEvalPeriod(1)
                .optSeed(3);
    }

    private Trainer.Builder trainer(TrainerConfig config, Path dir) {
        return Trainer.builder().setModel(model).setConfig(config).setTrainData(Squares.shuffled(TRAIN, 4, 5))
                .optValidationData(Squares.fixed(VAL, 4)).setOutputDir(dir)
                .optConsole(new PrintStream(console, true, StandardCharsets.UTF_8)).optInteractive(false);
    }

    /**
     * Micro-batches of 2 give the update of the whole batch of 4 when no BatchNorm statistics train (the layer held
     * in eval mode, as a parameter-efficient method's frozen base) and nothing is drawn at random; with the
     * statistics training, each part normalises with its own, so the update differs (the parts really run apart).
     * SGD without momentum, so each weight moves by the rate times its gradient.
     */
    @Test
    void microBatches_giveTheWholeBatchsUpdate_whenBatchNormIsFrozen(@TempDir Path dir) throws Exception {
        java.util.Map<String, float[]> whole = weightsAfterOneEpoch(0, true, dir.resolve("whole"));
        java.util.Map<String, float[]> parts = weightsAfterOneEpoch(2, true, dir.resolve("parts"));
        java.util.Map<String, float[]> start = weightsAfterOneEpoch(-1, true, dir.resolve("start"));
        assertEquals(whole.keySet(), parts.keySet());
        for (String k : whole.keySet()) {
            float[] a = whole.get(k);
            float[] b = parts.get(k);
            double moved = 0;
            for (int i = 0; i < a.length; i++) {
                moved = Math.max(moved, Math.abs(a[i] - start.get(k)[i]));
                assertEquals(a[i], b[i], 1e-6 + 1e-5 * Math.abs(a[i]), k + "[" + i + "]");
            }
            if (k.startsWith("head") || k.equals("features.0.weight")) {
                assertTrue(moved > 1e-3, k + " moved by " + moved);
            }
        }
        java.util.Map<String, float[]> trainingBn = weightsAfterOneEpoch(0, false, dir.resolve("bn-whole"));
        java.util.Map<String, float[]> trainingBnParts = weightsAfterOneEpoch(2, false, dir.resolve("bn-parts"));
        double diff = 0;
        for (int i = 0; i < trainingBn.get("head.weight").length; i++) {
            diff = Math.max(diff, Math.abs(trainingBn.get("head.weight")[i] - trainingBnParts.get("head.weight")[i]));
        }
        assertTrue(diff > 1e-4, "per-part BatchNorm statistics change the update: " + diff);
    }

    /** The weights after one epoch (4 SGD steps of 4 images) with that micro-batch; -1: the weights before. */
    private java.util.Map<String, float[]> weightsAfterOneEpoch(int microBatch, boolean frozenBn, Path dir)
            throws Exception {
        manager.close();
        open();
        model.replace("features.3", ai.peft4j.core.nn.Activation.of(ai.peft4j.core.nn.Activation.Kind.IDENTITY));
        if (frozenBn) {
            model.module("features.1").holdEval(true);
        }
        if (microBatch >= 0) {
            TrainerConfig c = config(1).optOptimizer("sgd").optMomentum(0).optNesterov(false)
                    .optLearningRate(0.5).build();
            Trainer.builder().setModel(model).setConfig(c).setTrainData(Squares.shuffled(TRAIN, 4, 5))
                    .setOutputDir(dir).optMicroBatch(microBatch)
                    .optConsole(new PrintStream(console, true, StandardCharsets.UTF_8)).optInteractive(false).build()
                    .fit();
        }
        java.util.Map<String, float[]> w = new java.util.TreeMap<>();
        model.namedParameters().forEach((k, p) -> w.put(k, p.data().toFloatArray()));
        return w;
    }

    /**
     * A step hook sees every step's global index (0-based, epoch by epoch) after the optimiser step with the
     * gradients still there, and its penalty joins the loss the trainer reports: a constant 0.5 raises each epoch's
     * train loss by exactly 0.5 against the same run without it.
     */
    @Test
    void stepHook_seesEveryGlobalStepWithItsGradients_andItsPenaltyJoinsTheLoss(@TempDir Path dir) throws Exception {
        List<Double> plain = new ArrayList<>();
        for (EpochRecord e : trainer(config(2).build(), dir.resolve("plain")).build().fit().history()) {
            plain.add(e.trainLoss());
        }
        manager.close();
        open();
        List<long[]> seen = new ArrayList<>();
        StepHook hook = new StepHook() {
            @Override
            public ai.djl.ndarray.NDArray penalty(NDManager m) {
                return m.create(0.5f);
            }

            @Override
            public void afterStep(long step, int epoch) {
                long withGradient = model.namedParameters().values().stream()
                        .filter(p -> p.data().hasGradient() && p.data().getGradient().abs().sum().getFloat() > 0)
                        .count();
                seen.add(new long[] {step, epoch, withGradient});
            }
        };
        List<EpochRecord> hooked = trainer(config(2).build(), dir.resolve("hooked")).optStepHook(hook).build().fit()
                .history();
        // 16 images in batches of 4: 4 steps an epoch.
        assertEquals(8, seen.size());
        for (int i = 0; i < 8; i++) {
            assertEquals(i, seen.get(i)[0]);
            assertEquals(i / 4 + 1, seen.get(i)[1]);
            assertTrue(seen.get(i)[2] > 0, "gradients are there after the step");
        }
        for (int e = 0; e < 2; e++) {
            assertEquals(plain.get(e) + 0.5, hooked.get(e).trainLoss(), 1e-5);
        }
    }

    @Test
    void bnRecalibrate_leavesTheRunningStatisticsAtTheAveragesOverTrainingBatchesUnderTheFinalWeights(
            @TempDir Path dir) throws Exception {
        assertFalse(config(2).build().toJson().contains("bnRecalibrate"), "off, the checkpoints' JSON is as before");
        TrainerConfig c = config(2).optBnRecalibrate(6).build();
        assertTrue(c.toJson().contains("\"bnRecalibrate\":6"), c.toJson());
        BatchSource train = Squares.shuffled(TRAIN, 4, 5);
        trainer(c, dir).build().fit();
        ai.peft4j.core.nn.Module bn = model.module("features.1");
        float[] mean = bn.buffer("running_mean").data().toFloatArray();
        float[] var = bn.buffer("running_var").data().toFloatArray();
        // The reference: the BatchNorm's inputs under the final weights for the 6 batches fed, the last epoch's 4
        // and then the next epoch's first 2, averaged per channel here.
        List<Batch> fed = new ArrayList<>();
        train.epoch(1).forEach(fed::add);
        train.epoch(2).forEach(b -> {
            if (fed.size() < 6) {
                fed.add(b);
            }
        });
        assertEquals(6, fed.size());
        double[] sumMean = new double[8];
        double[] sumVar = new double[8];
        model.train(true);
        bn.addForwardPreHook((mod, in) -> {
            float[] v = in.toFloatArray();
            long n = in.getShape().get(0);
            int hw = (int) (in.getShape().get(2) * in.getShape().get(3));
            for (int ch = 0; ch < 8; ch++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < hw; p++) {
                        s += v[(i * 8 + ch) * hw + p];
                    }
                }
                double mu = s / (n * hw);
                double ss = 0;
                for (int i = 0; i < n; i++) {
                    for (int p = 0; p < hw; p++) {
                        double d = v[(i * 8 + ch) * hw + p] - mu;
                        ss += d * d;
                    }
                }
                sumMean[ch] += mu;
                sumVar[ch] += ss / (n * hw - 1);
            }
            return in;
        });
        try (NDManager m = EngineSetup.newManager()) {
            for (Batch b : fed) {
                model.forward(m.create(b.images(), new ai.djl.ndarray.types.Shape(b.size(), 3, b.height(),
                        b.width())));
            }
        }
        for (int ch = 0; ch < 8; ch++) {
            assertEquals(sumMean[ch] / 6, mean[ch], 1e-5, "mean of channel " + ch);
            assertEquals(sumVar[ch] / 6, var[ch], 1e-4 * Math.max(1, var[ch]), "variance of channel " + ch);
        }
        try (NDManager m = EngineSetup.newManager()) {
            float[] saved = Checkpoint.read(dir.resolve(Trainer.LAST), m).modelState().get("features.1.running_mean")
                    .toFloatArray();
            assertArrayEquals(mean, saved, 0f, "the last checkpoint holds the recalibrated statistics");
        }
    }

    @Test
    void bnRecalibrate_runsTheTrainingForwardNotTheValidationLogits(@TempDir Path dir) throws Exception {
        // Validation logits may slide windows over one image at a time (crop training): statistics taken there
        // would be those of single crops, not of training batches.
        Objective supervised = Objective.supervised(model, config(1).build().newLoss());
        Objective trainingOnly = new Objective() {
            @Override
            public ai.djl.ndarray.NDArray loss(ai.djl.ndarray.NDArray images, ai.djl.ndarray.NDArray labels) {
                return supervised.loss(images, labels);
            }

            @Override
            public ai.djl.ndarray.NDArray logits(ai.djl.ndarray.NDArray images) {
                throw new AssertionError("recalibration asked for validation logits");
            }
        };
        float[] before = model.module("features.1").buffer("running_var").data().toFloatArray();
        Trainer.builder().setModel(model).setConfig(config(1).optBnRecalibrate(2).build())
                .setTrainData(Squares.shuffled(TRAIN, 4, 5)).setOutputDir(dir).optObjective(trainingOnly)
                .optConsole(new PrintStream(console, true, StandardCharsets.UTF_8)).optInteractive(false).build()
                .fit();
        float[] after = model.module("features.1").buffer("running_var").data().toFloatArray();
        assertFalse(java.util.Arrays.equals(before, after), "the statistics were re-estimated");
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("BatchNorm statistics from 2 batches"),
                console.toString(StandardCharsets.UTF_8));
    }

    @Test
    void bnRecalibrate_refusesAModelWhoseBatchNormIsHeldFrozen(@TempDir Path dir) {
        model.module("features.1").holdEval(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(config(1).optBnRecalibrate(2).build(), dir.resolve("run")).build().fit());
        assertTrue(e.getMessage().contains("bn_stats frozen"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("run")), "refused before the output folder is made");
    }

    @Test
    void fit_writesCheckpointsCsvLogAndCurves(@TempDir Path dir) throws Exception {
        TrainingResult r = trainer(config(3).build(), dir).optClassNames(List.of("background", "square")).build()
                .fit();
        assertEquals(3, r.history().size());
        assertEquals(0, r.resumedFrom());
        List<String> csv = Files.readAllLines(dir.resolve(Trainer.LOG));
        assertEquals("epoch,lr,train_loss,val_loss,miou,mpa,mprecision,accuracy,mdice,iou_background,iou_square,"
                + "seconds", csv.get(0));
        assertEquals(4, csv.size());
        assertTrue(csv.get(3).startsWith("3,"), csv.get(3));
        assertEquals(12, csv.get(3).split(",", -1).length, csv.get(3));
        BufferedImage png = ImageIO.read(dir.resolve(Trainer.CURVES).toFile());
        assertEquals(1560, png.getWidth());
        assertEquals(380, png.getHeight());
        try (NDManager m = EngineSetup.newManager()) {
            Checkpoint last = Checkpoint.read(dir.resolve(Trainer.LAST), m);
            assertEquals(3, last.epochsDone());
            assertEquals(3, last.history().size());
            assertEquals(model.stateDict().keySet(), last.modelState().keySet());
            // Adam keeps two moments and a step count per trainable parameter (6 parameters).
            assertEquals(18, last.optimizerState().size());
            assertArrayEquals(model.stateDict().get("head.weight").toFloatArray(),
                    last.modelState().get("head.weight").toFloatArray(), 0f);
            Checkpoint best = Checkpoint.read(dir.resolve(Trainer.BEST), m);
            assertEquals(r.bestEpoch(), best.epochsDone());
            double bestMiou = r.history().stream().mapToDouble(e -> e.scores().meanIou()).max().orElseThrow();
            assertEquals(bestMiou, r.bestScore(), 0);
        }
        String out = console.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("Epoch 3/3 [####################] 4/4  loss "), out);
        assertTrue(out.contains("mIoU"), out);
    }

    @Test
    void epochLine_namesTheValidationClassesNeverPredicted(@TempDir Path dir) {
        Trainer t = trainer(config(1).build(), dir).optClassNames(List.of("background", "square")).build();
        ai.peft4j.core.metrics.ConfusionMatrix allBackground = new ai.peft4j.core.metrics.ConfusionMatrix(2);
        allBackground.add(new int[] {0, 0, 1, 1}, new int[] {0, 0, 0, 0});
        assertEquals("  never predicted: square", t.neverPredicted(allBackground));
        ai.peft4j.core.metrics.ConfusionMatrix both = new ai.peft4j.core.metrics.ConfusionMatrix(2);
        both.add(new int[] {0, 0, 1, 1}, new int[] {0, 1, 0, 0});
        assertEquals("", t.neverPredicted(both));
    }

    @Test
    void config_stepScheduleShorterThanItsPlateaus_isRefusedAtBuild() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> config(4).optSchedule("step").build());
        assertTrue(e.getMessage().contains("train at least 10 epochs"), e.getMessage());
    }

    @Test
    void config_negativeWeightDecayAndMomentaOutsideZeroToOne_areRefusedAtBuild() {
        assertEquals("weight decay must be 0 or positive, got -0.1", assertThrows(IllegalArgumentException.class,
                () -> config(4).optWeightDecay(-0.1).build()).getMessage());
        assertEquals("momentum (Adam's beta1) and beta2 must be at least 0 and below 1, got 2.0 and 0.999",
                assertThrows(IllegalArgumentException.class, () -> config(4).optMomentum(2).build()).getMessage());
        assertThrows(IllegalArgumentException.class, () -> config(4).optBeta2(1).build());
        assertThrows(IllegalArgumentException.class, () -> config(4).optMomentum(-0.5).build());
        assertEquals(0.0, config(4).optMomentum(0).optWeightDecay(0).build().momentum());
    }

    @Test
    void fit_cosineSchedule_recordsPublishedRates(@TempDir Path dir) throws Exception {
        TrainingResult r = trainer(config(4).build(), dir).build().fit();
        // 4 epochs: warm-up 1 epoch from 1e-3, flat last epoch at 1e-4.
        assertEquals(1e-3, r.history().get(0).learningRate(), 1e-12);
        assertEquals(1e-2, r.history().get(1).learningRate(), 1e-12);
        assertEquals(1e-4, r.history().get(3).learningRate(), 1e-12);
    }

    @Test
    void fit_frozenParametersStayUnchanged(@TempDir Path dir) throws Exception {
        model.freeze("features.*");
        float[] before = model.stateDict().get("features.0.weight").toFloatArray();
        float[] headBefore = model.stateDict().get("head.weight").toFloatArray();
        trainer(config(2).build(), dir).build().fit();
        assertArrayEquals(before, model.stateDict().get("features.0.weight").toFloatArray(), 0f);
        assertFalse(java.util.Arrays.equals(headBefore, model.stateDict().get("head.weight").toFloatArray()));
    }

    @Test
    void fit_arraysOfStepsAreFreed_managerHoldsConstantCount(@TempDir Path dir) throws Exception {
        List<Integer> counts = new ArrayList<>();
        trainer(config(4).build(), dir).optEpochListener(e -> counts.add(manager.getManagedArrays().size()))
                .build().fit();
        // After the first epoch (optimiser state made) the model's manager holds the same arrays every epoch.
        assertEquals(counts.get(1), counts.get(3), counts.toString());
    }

    @Test
    void fit_nanLoss_stopsNamingEpochStepAndBatch(@TempDir Path dir) throws Exception {
        List<Sample> poisoned = new ArrayList<>(TRAIN);
        Sample bad = poisoned.get(5);
        float[] image = bad.image().clone();
        image[0] = Float.NaN;
        poisoned.set(5, new Sample("broken", image, bad.mask(), bad.height(), bad.width()));
        BatchSource source = epoch -> {
            // The broken sample reaches the model in epoch 2, step 2.
            List<Batch> batches = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                List<Sample> chunk = new ArrayList<>(TRAIN.subList(4 * i, 4 * i + 4));
                if (epoch == 1 && i == 1) {
                    chunk.set(1, poisoned.get(5));
                }
                batches.add(Squares.batch(chunk));
            }
            return batches;
        };
        Trainer t = trainer(config(3).build(), dir).setTrainData(source).build();
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, t::fit);
        assertEquals(2, e.epoch());
        assertEquals(2, e.step());
        assertTrue(e.batchIds().contains("broken"));
        assertTrue(e.getMessage().startsWith("the training loss is NaN at epoch 2, step 2 (batch sq004, broken, "),
                e.getMessage());
        assertTrue(e.getMessage().contains("last.safetensors is intact"), e.getMessage());
        try (NDManager m = EngineSetup.newManager()) {
            assertEquals(1, Checkpoint.read(dir.resolve(Trainer.LAST), m).epochsDone());
        }
    }

    /** A model whose loss is finite but whose gradient is NaN: sqrt at 0 has an infinite slope, times 0. */
    private static final class NaNGradient extends ai.peft4j.core.nn.Module implements ai.peft4j.core.nn.Layer {
        NaNGradient(NDManager manager, TinySegmenter inner) {
            registerModule("inner", inner);
            registerParameter("p", manager.create(new float[] {1f}));
        }

        @Override
        public ai.djl.ndarray.NDArray forward(ai.djl.ndarray.NDArray x) {
            ai.djl.ndarray.NDArray p = parameter("p").data();
            return call("inner", x).add(p.sub(p).sqrt().mul(0f));
        }
    }

    @Test
    void fit_nanGradientWithFiniteLoss_stopsNamingTheParameter(@TempDir Path dir) throws Exception {
        NaNGradient bad = new NaNGradient(manager, model);
        Trainer t = Trainer.builder().setModel(bad).setConfig(config(2).build())
                .setTrainData(Squares.shuffled(TRAIN, 4, 5)).setOutputDir(dir)
                .optConsole(new PrintStream(console, true, StandardCharsets.UTF_8)).optInteractive(false).build();
        float[] before = model.stateDict().get("head.weight").toFloatArray();
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, t::fit);
        assertEquals(1, e.epoch());
        assertEquals(1, e.step());
        assertTrue(e.getMessage().startsWith("the gradient norm (first non-finite at p) is NaN at epoch 1, step 1"),
                e.getMessage());
        assertArrayEquals(before, model.stateDict().get("head.weight").toFloatArray(), 0f);
    }

    @Test
    void fit_afterCrashFollowingEpoch2_resumesThereAndEndsAsUninterrupted(@TempDir Path dir) throws Exception {
        trainer(config(4).build(), dir.resolve("straight")).build().fit();
        float[] straight = model.stateDict().get("head.weight").toFloatArray();

        EngineSetup.seed(7);
        model = new TinySegmenter(manager);
        Path run = dir.resolve("interrupted");
        RuntimeException crash = new RuntimeException("simulated crash");
        Trainer first = trainer(config(4).build(), run).optEpochListener(e -> {
            if (e.epoch() == 2) {
                throw crash;
            }
        }).build();
        assertEquals(crash, assertThrows(RuntimeException.class, first::fit));

        EngineSetup.seed(99);
        model = new TinySegmenter(manager);
        TrainingResult resumed = trainer(config(4).build(), run).build().fit();
        assertEquals(2, resumed.resumedFrom());
        assertEquals(4, resumed.history().size());
        assertArrayEquals(straight, model.stateDict().get("head.weight").toFloatArray(), 0f);
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("Resuming " + run + " after epoch 2 of 4"));

        TrainingResult again = trainer(config(4).build(), run).build().fit();
        assertEquals(4, again.resumedFrom());
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("all 4 epochs were already done"));
    }

    @Test
    void fit_resumeWithOtherConfiguration_isRefused(@TempDir Path dir) throws Exception {
        trainer(config(1).build(), dir).build().fit();
        Trainer other = trainer(config(2).optLearningRate(5e-3).build(), dir).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, other::fit);
        assertTrue(e.getMessage().contains("another configuration"), e.getMessage());
    }

    @Test
    void fit_bestByValLoss_keepsLowestValidationLoss(@TempDir Path dir) throws Exception {
        TrainingResult r = trainer(config(3).optBestBy(BestBy.VAL_LOSS).build(), dir).build().fit();
        double lowest = r.history().stream().mapToDouble(EpochRecord::valLoss).min().orElseThrow();
        assertEquals(-lowest, r.bestScore(), 0);
        assertNotNull(r.bestCheckpoint());
    }

    @Test
    void fit_evalPeriod_validatesEveryNthAndLastEpoch(@TempDir Path dir) throws Exception {
        TrainingResult r = trainer(config(5).optEvalPeriod(2).build(), dir).build().fit();
        boolean[] evaluated = new boolean[5];
        for (int i = 0; i < 5; i++) {
            evaluated[i] = r.history().get(i).evaluated();
        }
        assertArrayEquals(new boolean[] {false, true, false, true, true}, evaluated);
        assertEquals(",,,,,,,,", Files.readAllLines(dir.resolve(Trainer.LOG)).get(1).replaceAll("[^,]", "")
                .substring(0, 8));
    }
}
