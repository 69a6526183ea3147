package ai.peft4j.app;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.run.RunData;
import ai.peft4j.app.run.RunFolderLock;
import ai.peft4j.app.run.RunSettings;
import ai.peft4j.app.run.Weights;
import ai.peft4j.app.run.RunTraining;
import ai.peft4j.app.run.SlidingWindowValidation;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.StateDictException;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.ImageSubset;
import ai.peft4j.data.crop.CropConfig;
import ai.peft4j.data.loader.BatchLoader;
import ai.peft4j.data.loader.LoaderConfig;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.transform.PairTransform;
import ai.peft4j.data.transform.TrainAugmentation;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import ai.peft4j.infer.segment.SlidingWindow;
import ai.peft4j.models.ModelSpec;
import ai.peft4j.models.fastsegformer.FastSegFormer;
import ai.peft4j.models.fastsegformer.FastSegFormerConfig;
import ai.peft4j.models.fastsegformer.TeacherSwinAttUNet;
import ai.peft4j.models.fastsegformer.TeacherSwinAttUNetConfig;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.train.distill.DistillationConfig;
import ai.peft4j.train.distill.DistillationObjective;
import ai.peft4j.train.distill.FeatureModel;
import ai.peft4j.train.distill.FeaturePair;
import ai.peft4j.train.distill.ModuleOutputs;
import ai.peft4j.train.loop.BatchSource;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainerConfig;
import ai.peft4j.train.loop.TrainingResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j distill}: FastSegFormer's knowledge distillation from a trained Swin-Att-UNet teacher. */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a FastSegFormer student (E or P) with a frozen Swin-T-Att-UNet teacher, as the "
                + "published train_distillation.py: loss = CE + 5 NFD + 0.5 P&KL (normalised feature distillation "
                + "on --features, KL at T = 2 with k1 = 0.5 plus MSE on the logits, both over W x H).",
            "The teacher sees --teacher-size images, the student --size images of the same batch (loaded at the "
                + "larger side, the other resized; the published multi-resolution option: 512 and 224). Data: VOC "
                + "layout with ImageSets/Segmentation/train.txt (and val.txt, or --val-split, for validation).",
            "The teacher is the published FastSegFormer Swin-T-Att-UNet, or (--teacher-model swin-att-unet) a "
                + "Swin-Att-UNet trained by peft4j train or bench transfer. --nfd-weight 0 --logit-weight 0 trains "
                + "the student alone with the same data and schedule, the baseline distillation is measured "
                + "against.",
            "Writes last/best.safetensors (the student's weights, plus the feature projections under nfd/), "
                + "history.csv and curves.png to --out; run the same command again to resume."})
final class DistillCommand implements Callable<Integer> {
    @Option(names = "--teacher", required = true, paramLabel = "CKPT", description = "The trained teacher: a "
            + "peft4j training checkpoint, a safetensors state dict or a PyTorch .pth/.pt of --teacher-model.")
    Path teacher;

    @Option(names = "--teacher-model", defaultValue = "fastsegformer-teacher", description = "fastsegformer-teacher "
            + "(the published Swin-T-Att-UNet of FastSegFormer) or swin-att-unet (TP-LoRA's, as peft4j train and "
            + "bench transfer build it) (default: ${DEFAULT-VALUE}).")
    String teacherModel;

    @Option(names = "--teacher-backbone", description = "Backbone preset of a swin-att-unet teacher: swin-t, swin-s, "
            + "or swin-fixture (the small one of bench transfer and the demo) (default: swin-t).")
    String teacherBackbone;

    @Option(names = "--teacher-features", split = ",", defaultValue = "conv1", description = "Modules of a "
            + "swin-att-unet teacher whose outputs are its feature list, in order, for --features (default: "
            + "${DEFAULT-VALUE}, the last decoder stage, as a1 of the published teacher).")
    List<String> teacherFeatures;

    @Option(names = "--student", required = true, paramLabel = "MODEL",
            description = "fastsegformer-e or fastsegformer-p.")
    String student;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Data set in VOC layout.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--class-names", defaultValue = "background,sunburn,ulcer,wind scarring", split = ",",
            paramLabel = "NAME", description = "Class names, background first, as the data set's masks number them; "
                    + "their count is the student's classes (default: the navel-orange classes, ${DEFAULT-VALUE}).")
    List<String> classes;

    @Option(names = "--binary-masks", paramLabel = "T", description = "Read the masks as binary, as many defect "
            + "data sets ship them (0 and 255; grey, colour, 1-bit or JPEG): class 1 where a pixel's brightest "
            + "channel is at least T (e.g. 128), else background; needs two --class-names.")
    Integer binaryMasks;

    @Option(names = "--epochs", defaultValue = "1000", description = "(default: ${DEFAULT-VALUE}, as published)")
    int epochs;

    @Option(names = "--batch", defaultValue = "6", description = "(default: ${DEFAULT-VALUE}, as published)")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-4", description = "Adam's initial learning rate on the warm-up "
            + "cosine to a hundredth of it (default: ${DEFAULT-VALUE}, the published 1e-5 after its batch rule).")
    double lr;

    @Option(names = "--size", defaultValue = "224", description = "The student's input side (default: "
            + "${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--teacher-size", defaultValue = "512", description = "The teacher's input side (a multiple of "
            + "32 for fastsegformer-teacher, of 16 for swin-att-unet); equal to --size for single-resolution "
            + "distillation (default: ${DEFAULT-VALUE}).")
    int teacherSize;

    @Option(names = "--features", description = "Feature pairs of the NFD loss: indices into the fork lists, N or "
            + "TEACHER:STUDENT, comma-separated. fastsegformer-teacher: 0-2 Swin stages 1-3, 3 stage 4, 4 bottleneck, "
            + "5 a3, 6 a1; swin-att-unet: the --teacher-features in order. Student: 0-3 backbone stages, 4 global "
            + "features, 5 FFM, 6 cnn2. Default: 6 (a1 against cnn2, the only pair the published loop trains "
            + "with), or 0:6 for a swin-att-unet teacher.")
    String features;

    @Option(names = "--train-limit", defaultValue = "0", description = "Use at most this many training images, "
            + "spread evenly over the list; 0 for all (default: ${DEFAULT-VALUE}).")
    int trainLimit;

    @Option(names = "--val-split", defaultValue = "val", description = "The split validated on, and reported at the "
            + "end (default: ${DEFAULT-VALUE}).")
    String valSplit;

    @Option(names = "--nfd-weight", defaultValue = "5", description = "(default: ${DEFAULT-VALUE})")
    float nfdWeight;

    @Option(names = "--logit-weight", defaultValue = "0.5", description = "(default: ${DEFAULT-VALUE})")
    float logitWeight;

    @Option(names = "--eval-period", defaultValue = "5", description = "Validate every this many epochs "
            + "(default: ${DEFAULT-VALUE}, as published).")
    int evalPeriod;

    @Option(names = "--loader-threads", defaultValue = "2", description = "Threads that decode and augment the next "
            + "batches (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--crops", paramLabel = "SIZE", description = "Train on SIZE x SIZE crops at native resolution "
            + "instead of whole letterboxed images: the student sees the crop (SIZE replaces --size), the teacher the "
            + "same crop resized to --teacher-size; validation scores whole images by sliding windows.")
    Integer crops;

    @Option(names = "--scale", defaultValue = "1", paramLabel = "X", description = "With --crops: resize images by X "
            + "before cropping and tiling (default: ${DEFAULT-VALUE}).")
    double scale;

    @Option(names = "--defect-share", defaultValue = "0.5", paramLabel = "SHARE", description = "With --crops: share "
            + "of crops centred on a defect pixel, each defect class equally often (default: ${DEFAULT-VALUE}).")
    double defectShare;

    @Option(names = "--rotate90", description = "With --crops: turn each crop by a random multiple of 90 degrees.")
    boolean rotate90;

    @Option(names = "--tile-overlap", defaultValue = "0.25", paramLabel = "SHARE", description = "With --crops: "
            + "overlap of the validation tiles (default: ${DEFAULT-VALUE}).")
    double tileOverlap;

    @Override
    public Integer call() throws Exception {
        CropConfig cropping = null;
        SlidingWindow window = null;
        if (crops != null) {
            if (crops % 32 != 0 || crops < 32) {
                throw new IllegalArgumentException("--crops must be a positive multiple of 32 (the student's "
                        + "input), got " + crops);
            }
            try {
                cropping = new CropConfig(crops, scale, defectShare, true, rotate90);
                window = new SlidingWindow(crops, tileOverlap, batch, scale);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--crops " + crops + ": " + e.getMessage(), e);
            }
            size = crops;
        }
        FastSegFormerConfig.Backbone backbone = backbone(student);
        boolean publishedTeacher = teacherModel(teacherModel);
        int teacherMultiple = publishedTeacher ? 32 : 16;
        if (teacherSize % teacherMultiple != 0 || teacherSize < teacherMultiple) {
            throw new IllegalArgumentException("--teacher-size must be a positive multiple of " + teacherMultiple
                    + " for " + teacherModel + ", got " + teacherSize);
        }
        if (size % 32 != 0 || size < 32) {
            throw new IllegalArgumentException("--size must be a positive multiple of 32, got " + size);
        }
        if (backbone == FastSegFormerConfig.Backbone.EFFICIENTFORMER_V2_S0 && size != 224) {
            throw new IllegalArgumentException("FastSegFormer-E takes 224x224 images (EfficientFormerV2's attention "
                    + "biases fix the size); got --size " + size);
        }
        if (!Files.isRegularFile(teacher)) {
            throw new IllegalArgumentException("teacher checkpoint " + teacher + " does not exist");
        }
        List<FeaturePair> pairs = FeaturePair.parse(features != null ? features : publishedTeacher ? "6" : "0:6");
        int numClasses = classes.size();
        if (binaryMasks != null && (binaryMasks < 1 || binaryMasks > 255 || numClasses != 2)) {
            throw new IllegalArgumentException("--binary-masks takes a grey level in 1-255 and two --class-names "
                    + "(background first), got " + binaryMasks + " and " + classes);
        }
        VocConfig voc = VocConfig.of(classes.toArray(String[]::new))
                .withBinaryThreshold(binaryMasks == null ? 0 : binaryMasks);
        ImageDataset train = VocDataset.open(data, "train", voc);
        if (trainLimit > 0) {
            train = ImageSubset.spread(train, trainLimit);
        }
        ImageDataset val = Files.isRegularFile(VocDataset.listFile(data, valSplit))
                ? VocDataset.open(data, valSplit, voc) : null;
        RunData.requireReadable(train, val);
        // Images load at the larger of the two sides; whichever model takes the smaller one gets the batch resized.
        // With crops the crop is what both see: the student at its size, the teacher resized to its own.
        int loadSide = cropping != null ? size : Math.max(size, teacherSize);
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        RunSettings settings = settings(backbone, pairs);
        try (RunFolderLock lock = RunFolderLock.take(out, console); NDManager manager = EngineSetup.newManager()) {
            RunSettings.requireStored(out, settings, "Use a new --out, or rerun with the saved values to resume it.");
            EngineSetup.seed(seed);
            Module t;
            FeatureModel teacherMaps;
            if (publishedTeacher) {
                TeacherSwinAttUNet published = new TeacherSwinAttUNet(manager,
                        TeacherSwinAttUNetConfig.published(numClasses));
                loadTeacher(published, teacher, manager);
                t = published;
                teacherMaps = published::forkFeatures;
            } else {
                SwinAttUNet unet = (SwinAttUNet) ModelSpec.of("swin-att-unet", teacherBackbone == null ? ""
                        : teacherBackbone, numClasses).build(manager);
                loadTeacher(unet, teacher, manager, "Swin-Att-UNet with a " + (teacherBackbone == null ? "swin-t"
                        : teacherBackbone) + " backbone and " + numClasses + " classes");
                t = unet;
                teacherMaps = ModuleOutputs.of(unet, teacherFeatures.toArray(String[]::new));
            }
            if (teacherSize != loadSide) {
                FeatureModel whole = teacherMaps;
                teacherMaps = images -> whole.features(Resize.bilinear(images, teacherSize, teacherSize, true));
            }
            FastSegFormer s = new FastSegFormer(manager, FastSegFormerConfig.published(backbone, numClasses));
            DistillationConfig kd = DistillationConfig.published().withPairs(pairs)
                    .withWeights(nfdWeight, logitWeight).withStudentSize(size == loadSide ? 0 : size);
            DistillationObjective objective = DistillationObjective.builder().setTeacher(t, teacherMaps)
                    .setStudent(s, s::forkFeatures)
                    .setLoss(TrainerConfig.builder().setEpochs(1).setNumClasses(numClasses).build().newLoss())
                    .optConfig(kd).build(manager, size);
            TrainerConfig config = TrainerConfig.builder().setEpochs(epochs).setNumClasses(numClasses)
                    .optLearningRate(lr).optEvalPeriod(evalPeriod).optSeed(seed).build();
            console.printf(Locale.ROOT, "%s %s (%,d parameters)%s: teacher %dx%d, student %dx%d, "
                    + "features %s, %d training images%s%n", nfdWeight == 0 && logitWeight == 0 ? "Training"
                    : "Distilling", "FastSegFormer-" + backbone.letter(), s.parameterCount(),
                    nfdWeight == 0 && logitWeight == 0 ? " alone" : " from " + teacher, teacherSize, teacherSize,
                    size, size, pairs, train.size(), val == null ? " (no " + valSplit + ".txt: no validation)"
                    : ", " + val.size() + " " + valSplit + " images");
            LoaderConfig trainLoading = LoaderConfig.training(batch).withSeed(seed).withWorkers(workers);
            try (BatchLoader trainLoader = cropping == null ? new BatchLoader(train,
                    TrainAugmentation.published(loadSide), trainLoading) : new BatchLoader(train.name(), train.size(),
                    RunTraining.cropSampler(train, cropping, seed, console), trainLoading);
                    BatchLoader valLoader = val == null ? null : cropping == null ? new BatchLoader(val,
                            Letterbox.square(loadSide), LoaderConfig.evaluation(batch).withWorkers(workers))
                            : new BatchLoader(val, PairTransform.identity(), LoaderConfig.evaluation(1)
                                    .withWorkers(workers))) {
                Trainer.Builder b = Trainer.builder().setModel(s).setConfig(config)
                        .setTrainData(BatchSource.of(trainLoader)).setOutputDir(out)
                        .optObjective(window == null ? objective : new SlidingWindowValidation(objective, window))
                        .optConsole(console).optClassNames(classes)
                        .optMetadata(Map.of(RunSettings.METADATA_KEY, settings.toJson()));
                if (valLoader != null) {
                    b.optValidationData(BatchSource.of(valLoader));
                }
                TrainingResult r = b.build().fit();
                console.printf(Locale.ROOT, "Student checkpoint: %s%s%s%n", r.lastCheckpoint(),
                        r.bestCheckpoint() == null ? "" : " (best: " + r.bestCheckpoint() + ", epoch "
                                + r.bestEpoch() + ")", Double.isNaN(r.meanStepSeconds()) ? ""
                                : String.format(Locale.ROOT, "; %.2f s per training step", r.meanStepSeconds()));
                if (!r.history().isEmpty() && r.history().get(r.history().size() - 1).scores() != null) {
                    console.printf(Locale.ROOT, "Final %s mIoU: %.2f%%%n", valSplit,
                            100 * r.history().get(r.history().size() - 1).scores().meanIou());
                }
            }
        }
        return 0;
    }

    /** The options that shape the student, by name; not --loader-threads or --out. */
    private RunSettings settings(FastSegFormerConfig.Backbone backbone, List<FeaturePair> pairs) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("--teacher", teacher.toString());
        o.put("--teacher-model", teacherModel.toLowerCase(Locale.ROOT));
        o.put("--teacher-backbone", teacherBackbone == null ? "" : teacherBackbone);
        o.put("--teacher-features", teacherFeatures);
        o.put("--student", "fastsegformer-" + backbone.letter().toLowerCase(Locale.ROOT));
        o.put("--data", data.toString());
        o.put("--class-names", classes);
        if (binaryMasks != null) {
            o.put("--binary-masks", binaryMasks);
        }
        o.put("--epochs", epochs);
        o.put("--batch", batch);
        o.put("--lr", lr);
        o.put("--size", size);
        o.put("--teacher-size", teacherSize);
        o.put("--features", pairs.toString());
        o.put("--train-limit", trainLimit);
        o.put("--val-split", valSplit);
        o.put("--nfd-weight", nfdWeight);
        o.put("--logit-weight", logitWeight);
        o.put("--eval-period", evalPeriod);
        o.put("--seed", seed);
        // Crop settings shape what the student learns from; an older run without them read as letterbox.
        o.put("--crops", crops == null ? "" : crops);
        o.put("--scale", scale);
        o.put("--defect-share", defectShare);
        o.put("--rotate90", rotate90);
        return RunSettings.ofOptions(o);
    }

    /** True for the published FastSegFormer teacher, false for a peft4j Swin-Att-UNet. */
    private static boolean teacherModel(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "fastsegformer-teacher":
                return true;
            case "swin-att-unet":
                return false;
            default:
                throw new IllegalArgumentException("unknown --teacher-model '" + name + "' (known: "
                        + "fastsegformer-teacher, swin-att-unet)");
        }
    }

    static FastSegFormerConfig.Backbone backbone(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "fastsegformer-e":
            case "e":
                return FastSegFormerConfig.Backbone.EFFICIENTFORMER_V2_S0;
            case "fastsegformer-p":
            case "p":
                return FastSegFormerConfig.Backbone.POOLFORMER_S12;
            default:
                throw new IllegalArgumentException("unknown student '" + name + "' (known: fastsegformer-e, "
                        + "fastsegformer-p)");
        }
    }

    /** Loads the teacher strictly; a file of another model (or class count) names the keys that do not fit. */
    static void loadTeacher(TeacherSwinAttUNet model, Path file, NDManager manager) throws IOException {
        loadTeacher(model, file, manager, "FastSegFormer Swin-T-Att-UNet teacher with " + model.config().numClasses()
                + " classes");
    }

    private static void loadTeacher(Module model, Path file, NDManager manager, String what) throws IOException {
        Weights weights = Weights.read(file, manager).forModel(model);
        try {
            model.loadStateDict(weights.tensors(), true);
        } catch (StateDictException e) {
            throw new IllegalArgumentException("teacher checkpoint " + file + " does not fit the " + what
                    + ": " + e.getMessage() + weights.layoutNote(), e);
        }
    }
}
