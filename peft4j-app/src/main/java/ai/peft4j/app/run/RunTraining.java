package ai.peft4j.app.run;

import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.config.TrainingSection;
import ai.peft4j.core.nn.Module;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.loader.BatchLoader;
import ai.peft4j.data.loader.LoaderConfig;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.transform.PairTransform;
import ai.peft4j.data.transform.TrainAugmentation;
import ai.peft4j.train.loop.BatchSource;
import ai.peft4j.train.loop.BestBy;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainerConfig;
import ai.peft4j.train.loop.TrainingResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Trains a model on a run's data with its training section: loaders (the published augmentation or the letterbox
 * for training, the letterbox for validation), the trainer's configuration, and checkpoints in the run directory,
 * from whose last checkpoint a rerun of the same command continues.
 */
public final class RunTraining {
    private RunTraining() {}

    /** The trainer's configuration for {@code classes} classes. */
    public static TrainerConfig trainerConfig(TrainingSection t, int classes) {
        TrainerConfig.Builder b = TrainerConfig.builder().setEpochs(t.epochs()).setNumClasses(classes)
                .optOptimizer(t.optimizer()).optLearningRate(t.lr()).optWeightDecay(t.weightDecay())
                .optMomentum(t.momentum()).optSchedule(t.schedule()).optLoss(t.loss()).optEvalPeriod(t.valEvery())
                .optBestBy(t.bestMetric().equals("val_loss") ? BestBy.VAL_LOSS : BestBy.MIOU)
                .optGradClipNorm(t.gradClip()).optSeed(t.seed());
        if (t.minLr() != null) {
            b.optMinLearningRate(t.minLr());
        }
        return b.build();
    }

    /**
     * Trains {@code model} (its trainable parameters) on {@code train}, validating on {@code val} when it is not
     * null, into {@code out}.
     */
    public static TrainingResult fit(Module model, TrainingSection t, int imageSize, ImageDataset train,
            ImageDataset val, Path out, PrintStream console) throws IOException {
        TrainerConfig config = trainerConfig(t, train.numClasses());
        PairTransform trainTransform = t.augment() ? TrainAugmentation.published(imageSize)
                : Letterbox.square(imageSize);
        LoaderConfig trainLoading = LoaderConfig.training(t.batch()).withSeed(t.seed()).withWorkers(t.workers());
        if (train.size() < t.batch()) {
            throw new IllegalArgumentException(train.name() + ": " + train.size() + " training images, fewer than "
                    + "one batch of " + t.batch() + " (training drops the last partial batch); lower training.batch");
        }
        try (BatchLoader trainLoader = new BatchLoader(train, trainTransform, trainLoading);
                BatchLoader valLoader = val == null ? null : new BatchLoader(val, Letterbox.square(imageSize),
                        LoaderConfig.evaluation(t.batch()).withWorkers(t.workers()))) {
            Trainer.Builder b = Trainer.builder().setModel(SegmentationNet.layer(model)).setConfig(config)
                    .setTrainData(BatchSource.of(trainLoader)).setOutputDir(out).optConsole(console)
                    .optClassNames(train.classNames());
            if (valLoader != null) {
                b.optValidationData(BatchSource.of(valLoader));
            }
            return b.build().fit();
        }
    }

    /**
     * Fails before anything is written when {@code out} holds a run whose settings differ from {@code run}'s: a
     * rerun continues a run only with the same model, data, method and training settings (the trainer checks its
     * own, but only after the command has started writing). The run's settings are those of its
     * {@code config.yaml}; a folder without one is checked by the trainer's configuration alone. Take the folder's
     * {@link RunFolderLock} first.
     */
    public static void checkResumable(Path out, RunConfig run, TrainerConfig config) throws IOException {
        if (!RunSettings.resumable(out)) {
            return;
        }
        Path resolved = out.resolve(RunConfigFile.RESOLVED);
        String remedy = "Use a new output directory (--out), or resume with the saved settings: --config " + resolved;
        if (Files.isRegularFile(resolved)) {
            RunSettings.requireSame(out, RunSettings.readResolved(resolved), resolved.toString(), RunSettings.of(run),
                    remedy);
        }
        String saved = SafetensorsHeader.metadata(out.resolve(Trainer.LAST)).get("config");
        if (saved != null && !saved.equals(config.toJson())) {
            throw new IllegalArgumentException(out + " holds a run with other training settings (saved: " + saved
                    + "; now: " + config.toJson() + "). " + remedy);
        }
    }
}
