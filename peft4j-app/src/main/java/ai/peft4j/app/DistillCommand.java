package ai.peft4j.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.state.StateDictException;
import ai.peft4j.data.loader.BatchLoader;
import ai.peft4j.data.loader.LoaderConfig;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.data.transform.TrainAugmentation;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import ai.peft4j.models.fastsegformer.FastSegFormer;
import ai.peft4j.models.fastsegformer.FastSegFormerConfig;
import ai.peft4j.models.fastsegformer.TeacherSwinAttUNet;
import ai.peft4j.models.fastsegformer.TeacherSwinAttUNetConfig;
import ai.peft4j.train.distill.DistillationConfig;
import ai.peft4j.train.distill.DistillationObjective;
import ai.peft4j.train.distill.FeaturePair;
import ai.peft4j.train.loop.BatchSource;
import ai.peft4j.train.loop.Checkpoint;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainerConfig;
import ai.peft4j.train.loop.TrainingResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j distill}: FastSegFormer's knowledge distillation from a trained Swin-T-Att-UNet teacher. */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a FastSegFormer student (E or P) with a frozen Swin-T-Att-UNet teacher, as the "
                + "published train_distillation.py: loss = CE + 5 NFD + 0.5 P&KL (normalised feature distillation "
                + "on --features, KL at T = 2 with k1 = 0.5 plus MSE on the logits, both over W x H).",
            "The teacher sees --teacher-size images, the student the same batch resized to --size (the published "
                + "multi-resolution option: 512 and 224). Data: VOC layout with ImageSets/Segmentation/train.txt "
                + "(and val.txt for validation).",
            "Writes last/best.safetensors (the student's weights, plus the feature projections under nfd/), "
                + "history.csv and curves.png to --out; run the same command again to resume."})
final class DistillCommand implements Callable<Integer> {
    @Option(names = "--teacher", required = true, paramLabel = "CKPT", description = "The trained teacher: a "
            + "peft4j training checkpoint or a safetensors state dict of the FastSegFormer Swin-T-Att-UNet.")
    Path teacher;

    @Option(names = "--student", required = true, paramLabel = "MODEL",
            description = "fastsegformer-e or fastsegformer-p.")
    String student;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Data set in VOC layout.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--classes", defaultValue = "background,sunburn,ulcer,wind scarring", split = ",",
            description = "Class names, background first (default: the navel-orange classes, ${DEFAULT-VALUE}).")
    List<String> classes;

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

    @Option(names = "--teacher-size", defaultValue = "512", description = "The teacher's input side and the "
            + "loaded image size, a multiple of 32; equal to --size for single-resolution distillation (default: "
            + "${DEFAULT-VALUE}).")
    int teacherSize;

    @Option(names = "--features", defaultValue = "6", description = "Feature pairs of the NFD loss: indices into "
            + "the fork lists, N or TEACHER:STUDENT, comma-separated. Teacher: 0-2 Swin stages 1-3, 3 stage 4, "
            + "4 bottleneck, 5 a3, 6 a1; student: 0-3 backbone stages, 4 global features, 5 FFM, 6 cnn2. "
            + "Default ${DEFAULT-VALUE}: a1 against cnn2, the only pair the published loop trains with.")
    String features;

    @Option(names = "--nfd-weight", defaultValue = "5", description = "(default: ${DEFAULT-VALUE})")
    float nfdWeight;

    @Option(names = "--logit-weight", defaultValue = "0.5", description = "(default: ${DEFAULT-VALUE})")
    float logitWeight;

    @Option(names = "--eval-period", defaultValue = "5", description = "Validate every this many epochs "
            + "(default: ${DEFAULT-VALUE}, as published).")
    int evalPeriod;

    @Option(names = "--workers", defaultValue = "2", description = "Loader threads (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        FastSegFormerConfig.Backbone backbone = backbone(student);
        if (teacherSize % 32 != 0 || teacherSize < 32) {
            throw new IllegalArgumentException("--teacher-size must be a positive multiple of 32, got "
                    + teacherSize);
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
        List<FeaturePair> pairs = FeaturePair.parse(features);
        int numClasses = classes.size();
        VocConfig voc = VocConfig.of(classes.toArray(String[]::new));
        VocDataset train = VocDataset.open(data, "train", voc);
        VocDataset val = Files.isRegularFile(VocDataset.listFile(data, "val")) ? VocDataset.open(data, "val", voc)
                : null;
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (NDManager manager = EngineSetup.newManager()) {
            EngineSetup.seed(seed);
            TeacherSwinAttUNet t = new TeacherSwinAttUNet(manager, TeacherSwinAttUNetConfig.published(numClasses));
            loadTeacher(t, teacher, manager);
            FastSegFormer s = new FastSegFormer(manager, FastSegFormerConfig.published(backbone, numClasses));
            DistillationConfig kd = DistillationConfig.published().withPairs(pairs)
                    .withWeights(nfdWeight, logitWeight).withStudentSize(size == teacherSize ? 0 : size);
            DistillationObjective objective = DistillationObjective.builder().setTeacher(t, t::forkFeatures)
                    .setStudent(s, s::forkFeatures)
                    .setLoss(TrainerConfig.builder().setEpochs(1).setNumClasses(numClasses).build().newLoss())
                    .optConfig(kd).build(manager, size);
            TrainerConfig config = TrainerConfig.builder().setEpochs(epochs).setNumClasses(numClasses)
                    .optLearningRate(lr).optEvalPeriod(evalPeriod).optSeed(seed).build();
            console.printf(Locale.ROOT, "Distilling %s (%,d parameters) from %s: teacher %dx%d, student %dx%d, "
                    + "features %s, %d training images%s%n", "FastSegFormer-" + backbone.letter(), s.parameterCount(), teacher,
                    teacherSize, teacherSize, size, size, pairs, train.size(),
                    val == null ? " (no val.txt: no validation)" : ", " + val.size() + " validation images");
            try (BatchLoader trainLoader = new BatchLoader(train, TrainAugmentation.published(teacherSize),
                    LoaderConfig.training(batch).withSeed(seed).withWorkers(workers));
                    BatchLoader valLoader = val == null ? null : new BatchLoader(val, Letterbox.square(teacherSize),
                            LoaderConfig.evaluation(batch).withWorkers(workers))) {
                Trainer.Builder b = Trainer.builder().setModel(s).setConfig(config)
                        .setTrainData(BatchSource.of(trainLoader)).setOutputDir(out).optObjective(objective)
                        .optConsole(console).optClassNames(classes);
                if (valLoader != null) {
                    b.optValidationData(BatchSource.of(valLoader));
                }
                TrainingResult r = b.build().fit();
                console.printf(Locale.ROOT, "Student checkpoint: %s%s%s%n", r.lastCheckpoint(),
                        r.bestCheckpoint() == null ? "" : " (best: " + r.bestCheckpoint() + ", epoch "
                                + r.bestEpoch() + ")", Double.isNaN(r.meanStepSeconds()) ? ""
                                : String.format(Locale.ROOT, "; %.2f s per training step", r.meanStepSeconds()));
            }
        }
        return 0;
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
        SafetensorsFile.Contents c = SafetensorsFile.read(file, manager);
        Map<String, NDArray> weights = Checkpoint.FORMAT.equals(c.metadata().get("format"))
                ? Checkpoint.read(file, manager).modelWeights() : c.tensors();
        try {
            model.loadStateDict(weights, true);
        } catch (StateDictException e) {
            throw new IllegalArgumentException("teacher checkpoint " + file + " does not fit the FastSegFormer "
                    + "Swin-T-Att-UNet teacher with " + model.config().numClasses() + " classes: "
                    + e.getMessage(), e);
        }
    }
}
