package ai.peft4j.app.run;

import ai.peft4j.app.config.RunConfig;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.config.DataSection;
import ai.peft4j.app.config.SettingException;
import ai.peft4j.app.config.TrainingSection;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.BatchNormRecalibration;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.StepMemory;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.crop.CropConfig;
import ai.peft4j.data.crop.CropSampler;
import ai.peft4j.data.crop.DefectIndex;
import ai.peft4j.data.loader.BatchLoader;
import ai.peft4j.data.loader.LoaderConfig;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.transform.PairTransform;
import ai.peft4j.data.transform.TrainAugmentation;
import ai.peft4j.infer.segment.SlidingWindow;
import ai.peft4j.train.loop.BatchSource;
import ai.peft4j.train.loop.BestBy;
import ai.peft4j.train.loop.Objective;
import ai.peft4j.train.loop.StepHook;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainerConfig;
import ai.peft4j.train.loop.TrainingResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Trains a model on a run's data with its training section: loaders (the published augmentation or the letterbox
 * for training, the letterbox for validation; or, with {@code data.sampling: crops}, crops for training and whole
 * images scored by sliding windows for validation), the trainer's configuration, and checkpoints in the run
 * directory, from whose last checkpoint a rerun of the same command continues.
 */
public final class RunTraining {
    private RunTraining() {}

    /** The trainer's configuration for {@code classes} classes. */
    public static TrainerConfig trainerConfig(TrainingSection t, int classes) {
        TrainerConfig.Builder b = TrainerConfig.builder().setEpochs(t.epochs()).setNumClasses(classes)
                .optOptimizer(t.optimizer()).optLearningRate(t.lr()).optWeightDecay(t.weightDecay())
                .optMomentum(t.momentum()).optSchedule(t.schedule()).optLoss(t.loss()).optEvalPeriod(t.valEvery())
                .optBestBy(t.bestMetric().equals("val_loss") ? BestBy.VAL_LOSS : BestBy.MIOU)
                .optGradClipNorm(t.gradClip()).optSeed(t.seed()).optBnRecalibrate(t.bnRecalibrate());
        if (t.minLr() != null) {
            b.optMinLearningRate(t.minLr());
        }
        return b.build();
    }

    /**
     * {@link #trainerConfig} with the run file's per-class loss weights, for a segmenter of {@code classes}
     * classes named {@code names}: the weights must be one per class.
     */
    public static TrainerConfig segmentationConfig(TrainingSection t, int classes, List<String> names) {
        TrainerConfig config = trainerConfig(t, classes);
        if (t.classWeights().isEmpty()) {
            return config;
        }
        if (t.classWeights().size() != classes) {
            throw new SettingException("training.class_weights", "training.class_weights has "
                    + t.classWeights().size() + " values, the data has " + classes + " classes" + (names.isEmpty()
                            ? "" : " (" + String.join(", ", names) + ")") + ": give one weight per class, in order");
        }
        return config.toBuilder().optClassWeights(t.classWeights()).build();
    }

    /**
     * Refuses per-class loss weights in a classification, promptable or detection run, whose objective would not use
     * them, rather than ignore them; a segmentation run passes.
     */
    public static void requireNoClassWeights(RunConfig c) {
        if (c.training().classWeights().isEmpty()) {
            return;
        }
        String task = c.classifies() ? "classification" : c.detects() ? "detection as text"
                : c.promptableTask() ? "promptable segmentation" : null;
        if (task != null) {
            throw new SettingException("training.class_weights", "training.class_weights applies to segmentation; "
                    + task + " does not use it: remove it from the run file");
        }
    }

    /**
     * Trains {@code model} (its trainable parameters) on {@code train}, validating on {@code val} when it is not
     * null, into {@code out}; {@code data} says whether images are letterboxed or cropped.
     */
    public static TrainingResult fit(Module model, TrainingSection t, int imageSize, DataSection data,
            ImageDataset train, ImageDataset val, Path out, PrintStream console) throws IOException {
        return fit(model, t, imageSize, data, train, val, out, Map.of(), null, console);
    }

    /**
     * As above, with {@code metadata} added to every checkpoint's and a method's {@code hook} (null for none) in
     * every step.
     */
    public static TrainingResult fit(Module model, TrainingSection t, int imageSize, DataSection data,
            ImageDataset train, ImageDataset val, Path out, Map<String, String> metadata, StepHook hook,
            PrintStream console) throws IOException {
        TrainerConfig config = segmentationConfig(t, train.numClasses(), train.classNames());
        LoaderConfig trainLoading = LoaderConfig.training(t.batch()).withSeed(t.seed()).withWorkers(t.workers());
        if (train.size() < t.batch()) {
            throw new IllegalArgumentException(train.name() + ": " + train.size() + " training images, fewer than "
                    + "one batch of " + t.batch() + " (training drops the last partial batch); lower training.batch");
        }
        Trainer.Builder b = Trainer.builder().setModel(SegmentationNet.layer(model)).setConfig(config)
                .setOutputDir(out).optConsole(console).optClassNames(train.classNames()).optMemory(memory(t))
                .optMicroBatch(t.microBatch())
                .optMetadata(metadata).optStepHook(hook);
        if (data.crops()) {
            CropSampler sampler = cropSampler(train, data, imageSize, t.augment(), t.seed(), console);
            b.optObjective(new SlidingWindowValidation(Objective.supervised(SegmentationNet.layer(model),
                    config.newLoss()), slidingWindow(data, imageSize, t.batch())));
            // Validation images keep their own sizes, so they cannot share a batch.
            try (BatchLoader trainLoader = new BatchLoader(train.name(), train.size(), sampler, trainLoading);
                    BatchLoader valLoader = val == null ? null : new BatchLoader(val, PairTransform.identity(),
                            LoaderConfig.evaluation(1).withWorkers(t.workers()))) {
                b.setTrainData(BatchSource.of(trainLoader));
                if (valLoader != null) {
                    b.optValidationData(BatchSource.of(valLoader));
                }
                return b.build().fit();
            }
        }
        PairTransform trainTransform = t.augment() ? TrainAugmentation.published(imageSize)
                : Letterbox.square(imageSize);
        try (BatchLoader trainLoader = new BatchLoader(train, trainTransform, trainLoading);
                BatchLoader valLoader = val == null ? null : new BatchLoader(val, Letterbox.square(imageSize),
                        LoaderConfig.evaluation(t.batch()).withWorkers(t.workers()))) {
            b.setTrainData(BatchSource.of(trainLoader));
            if (valLoader != null) {
                b.optValidationData(BatchSource.of(valLoader));
            }
            return b.build().fit();
        }
    }

    /**
     * Refuses {@code training.bn_recalibrate} for a model none of whose BatchNorm statistics would move (no
     * BatchNorm at all, or every one held frozen by a method with {@code bn_stats: frozen}), before anything is
     * written; {@code method} names the method for the message, or is null for training from scratch.
     */
    public static void checkBnRecalibrate(Module model, TrainingSection t, String method) {
        if (t.bnRecalibrate() == 0 || !BatchNormRecalibration.updatingLayers(model).isEmpty()) {
            return;
        }
        boolean anyBn = model.namedModules().values().stream().anyMatch(mod -> mod instanceof BatchNorm2d);
        throw new SettingException("training.bn_recalibrate", "training.bn_recalibrate " + t.bnRecalibrate()
                + ": " + (anyBn ? "method '" + method + "' holds the base's BatchNorm statistics frozen (bn_stats: "
                + "frozen), so there is nothing to re-estimate; set method.options.bn_stats=update or "
                + "training.bn_recalibrate=0" : "the model has no BatchNorm layer; set training.bn_recalibrate=0"));
    }

    /** How a step saves memory: frozen prefixes always skip their graph; the rest as the training section says. */
    public static StepMemory.Options memory(TrainingSection t) {
        return new StepMemory.Options(true, t.freeIntermediates(), t.checkpoint());
    }

    /** The sliding windows of a run trained on crops: tiles of the crop size, the run's overlap and scale. */
    public static SlidingWindow slidingWindow(DataSection data, int imageSize, int tileBatch) {
        return new SlidingWindow(data.cropSide(imageSize), data.tileOverlap(), tileBatch, data.scale());
    }

    /**
     * The crops of {@code train}, after one pass over its masks to index the defect pixels; says once what was
     * found and which images are smaller than a crop at the scale (they are padded, the padding ignored).
     */
    public static CropSampler cropSampler(ImageDataset train, DataSection data, int imageSize, boolean augment,
            long seed, PrintStream console) {
        int side = data.cropSide(imageSize);
        return cropSampler(train, new CropConfig(side, data.scale(), data.defectShare(), augment, data.rotate90()),
                seed, console);
    }

    /** As above, with the crops described directly (the distill command's options). */
    public static CropSampler cropSampler(ImageDataset train, CropConfig crops, long seed, PrintStream console) {
        int side = crops.size();
        long t0 = System.nanoTime();
        DefectIndex index = DefectIndex.build(train, seed);
        int[] present = index.presentClasses();
        List<String> names = Arrays.stream(present).mapToObj(c -> train.classNames().get(c)).toList();
        console.printf(Locale.ROOT, "Crops     %dx%d at scale %s, %.0f%% centred on a defect of %s; defect pixels "
                + "of %d images indexed in %.1f s%n", side, side, crops.scale(), 100 * crops.defectShare(),
                names.isEmpty() ? "(none: no defect pixel in the training masks, every crop lies at random)"
                        : String.join(", ", names) + " (each class equally often)", index.size(),
                (System.nanoTime() - t0) / 1e9);
        List<String> small = index.smallerThan(side, crops.scale());
        if (!small.isEmpty()) {
            console.printf(Locale.ROOT, "Padding   %d of %d training images are smaller than a %dx%d crop at scale "
                    + "%s and are padded with grey, the padding ignored by the loss: %s%s%n", small.size(),
                    index.size(), side, side, crops.scale(), String.join(", ", small.subList(0, Math.min(3,
                    small.size()))), small.size() > 3 ? ", ..." : "");
        }
        return new CropSampler(train, index, crops, seed);
    }

    /**
     * Fails before anything is written when {@code out} holds a run whose settings differ from {@code run}'s: a
     * rerun continues a run only with the same model, data, method and training settings (the trainer checks its
     * own, but only after the command has started writing). The run's settings are those of its
     * {@code config.yaml}; a folder without one is checked by the trainer's configuration alone. Take the folder's
     * {@link RunFolderLock} first.
     */
    public static void checkResumable(Path out, RunConfig run, TrainerConfig config) throws IOException {
        checkResumable(out, run, config, Set.of());
    }

    /**
     * As {@link #checkResumable(Path, RunConfig, TrainerConfig)}, leaving out {@code checkedElsewhere} (e.g.
     * {@code model.init} of a fine-tuning run, whose base is compared by content rather than by path).
     */
    public static void checkResumable(Path out, RunConfig run, TrainerConfig config, Set<String> checkedElsewhere)
            throws IOException {
        if (!RunSettings.resumable(out)) {
            return;
        }
        Path resolved = out.resolve(RunConfigFile.RESOLVED);
        String remedy = "Use a new output directory (--out), or resume with the saved settings: --config " + resolved;
        if (Files.isRegularFile(resolved)) {
            RunSettings.requireSame(out, RunSettings.readResolved(resolved).without(checkedElsewhere),
                    resolved.toString(), RunSettings.of(run).without(checkedElsewhere), remedy);
        }
        String saved = SafetensorsHeader.metadata(out.resolve(Trainer.LAST)).get("config");
        if (saved != null && !saved.equals(config.toJson())) {
            throw new IllegalArgumentException(out + " holds a run with other training settings (saved: " + saved
                    + "; now: " + config.toJson() + "). " + remedy);
        }
    }
}
