package ai.peft4j.train.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.data.Batch;
import ai.peft4j.data.loader.BatchLoader;
import ai.peft4j.data.loader.LoaderConfig;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.train.loop.BatchSource;
import ai.peft4j.train.loop.Checkpoint;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainerConfig;
import ai.peft4j.train.loop.TrainingResult;
import ai.peft4j.train.loss.CrossEntropyLoss;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Distillation through the ordinary training loop, on synthetic citrus images. */
class DistillationTrainingTest {
    private static final int SIDE = 32;
    private static final SyntheticCitrus DATA = new SyntheticCitrus(CitrusDomain.ORANGE, 8, SIDE, 1);

    private NDManager manager;
    private TinyNet teacher;
    private TinyNet student;
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();

    @BeforeEach
    void open() {
        manager = EngineSetup.newManager();
        EngineSetup.seed(11);
        teacher = new TinyNet(manager, 8, 4);
        student = new TinyNet(manager, 4, 4);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** Teacher at 32x32, student at 16x16, its 4 hidden channels projected to the teacher's 8. */
    private DistillationObjective objective(TinyNet s) {
        return DistillationObjective.builder().setTeacher(teacher, teacher::forkFeatures)
                .setStudent(s, s::forkFeatures).setLoss(new CrossEntropyLoss(4))
                .optConfig(DistillationConfig.published().withPairs(FeaturePair.parse("0")).withStudentSize(16))
                .build(manager, SIDE);
    }

    private TrainingResult fit(TinyNet s, DistillationObjective kd, int epochs, Path dir) throws Exception {
        TrainerConfig config = TrainerConfig.builder().setEpochs(epochs).setNumClasses(4).optLearningRate(1e-2)
                .optEvalPeriod(epochs).optSeed(5).build();
        try (BatchLoader train = new BatchLoader(DATA, Letterbox.square(SIDE), LoaderConfig.training(4).withSeed(2));
                BatchLoader val = new BatchLoader(DATA, Letterbox.square(SIDE), LoaderConfig.evaluation(4))) {
            return Trainer.builder().setModel(s).setConfig(config).setTrainData(BatchSource.of(train))
                    .optValidationData(BatchSource.of(val)).setOutputDir(dir).optObjective(kd)
                    .optConsole(new PrintStream(console, true, StandardCharsets.UTF_8)).optInteractive(false)
                    .build().fit();
        }
    }

    private static Map<String, float[]> copy(Map<String, NDArray> state) {
        Map<String, float[]> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.toType(DataType.FLOAT32, false).toFloatArray()));
        return out;
    }

    private List<Batch> firstBatches() {
        List<Batch> out = new ArrayList<>();
        try (BatchLoader l = new BatchLoader(DATA, Letterbox.square(SIDE), LoaderConfig.evaluation(8))) {
            l.epoch(0).forEach(out::add);
        }
        return out;
    }

    /** 5 NFD + 0.5 P&KL of the student (eval mode) on all eight images. */
    private double distillationPart(DistillationObjective kd, Batch b) {
        student.eval();
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(b.images(), new Shape(b.size(), 3, SIDE, SIDE));
            NDArray y = m.create(b.masks(), new Shape(b.size(), SIDE, SIDE));
            DistillationObjective.Terms t = kd.terms(x, y);
            return 5 * t.featureLoss().getFloat() + 0.5 * t.logitLoss().getFloat();
        } finally {
            student.train(true);
        }
    }

    @Test
    void teacher_runsWithoutRecordingGradients_insideATrainingStep() {
        DistillationObjective kd = objective(student);
        for (Parameter p : kd.featureLoss().namedParameters().values()) {
            p.attachGradient();
        }
        for (Parameter p : student.namedParameters().values()) {
            p.attachGradient();
        }
        List<Boolean> gradMode = new ArrayList<>();
        DistillationObjective watched = DistillationObjective.builder()
                .setTeacher(teacher, x -> {
                    gradMode.add(JniUtils.isGradMode());
                    return teacher.forkFeatures(x);
                })
                .setStudent(student, student::forkFeatures).setLoss(new CrossEntropyLoss(4))
                .optConfig(DistillationConfig.published().withPairs(FeaturePair.parse("0")))
                .build(manager, SIDE);
        Batch b = firstBatches().get(0);
        try (NDManager m = manager.newSubManager();
                GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
            NDArray x = m.create(b.images(), new Shape(b.size(), 3, SIDE, SIDE));
            gradMode.clear();
            List<NDArray> t = watched.teacherForward(x);
            assertTrue(JniUtils.isGradMode(), "the collector records again after the teacher");
            assertEquals(List.of(false), gradMode, "the teacher's forward ran with recording off");
            assertFalse(teacher.isTraining(), "the teacher is in eval mode");
            for (NDArray f : t) {
                assertFalse(f.hasGradient(), "teacher outputs carry no gradient");
            }
            NDArray loss = watched.loss(x, m.create(b.masks(), new Shape(b.size(), SIDE, SIDE)));
            gc.backward(loss);
        }
        for (Map.Entry<String, Parameter> e : teacher.namedParameters().entrySet()) {
            assertFalse(e.getValue().isTrainable(), e.getKey() + " is frozen");
            assertNull(e.getValue().gradient(), e.getKey() + " got a gradient");
        }
        assertTrue(student.namedParameters().get("head.weight").gradient().abs().sum().getFloat() > 0);
    }

    @Test
    void distillation_lowersTheDistillationLoss_andLeavesTheTeacherUnchanged(@TempDir Path dir) throws Exception {
        Map<String, float[]> teacherBefore = copy(teacher.stateDict());
        DistillationObjective kd = objective(student);
        Map<String, float[]> projBefore = copy(kd.featureLoss().stateDict());
        Batch all = firstBatches().get(0);
        double before = distillationPart(kd, all);

        TrainingResult r = fit(student, kd, 20, dir);

        double after = distillationPart(kd, all);
        assertTrue(after < 0.7 * before, "distillation loss " + before + " -> " + after);
        // Teacher: every weight and batch-norm statistic exactly as before, eval mode, no gradients.
        Map<String, float[]> teacherAfter = copy(teacher.stateDict());
        assertEquals(teacherBefore.keySet(), teacherAfter.keySet());
        teacherBefore.forEach((k, v) -> assertArrayEquals(v, teacherAfter.get(k), 0f, k));
        assertFalse(teacher.isTraining());
        // The projection trained, and the checkpoint holds it under nfd/ beside the student's own weights.
        assertFalse(java.util.Arrays.equals(projBefore.get("0.weight"),
                kd.featureLoss().stateDict().get("0.weight").toFloatArray()));
        Checkpoint c = Checkpoint.read(r.lastCheckpoint(), manager);
        assertArrayEquals(kd.featureLoss().stateDict().get("0.weight").toFloatArray(),
                c.modelState().get("nfd/0.weight").toFloatArray(), 0f);
        assertTrue(c.modelState().containsKey("nfd/0.bias"));
        TinyNet fresh = new TinyNet(manager, 4, 4);
        fresh.loadStateDict(c.modelWeights(), true);
        assertTrue(Files.exists(dir.resolve(Trainer.LOG)));
        assertEquals(20, r.history().size());
        assertTrue(r.history().get(19).scores() != null, "validation ran through the student at label size");
    }

    @Test
    void resume_restoresTheProjections(@TempDir Path dir) throws Exception {
        DistillationObjective kd = objective(student);
        fit(student, kd, 2, dir);
        float[] trained = kd.featureLoss().stateDict().get("0.weight").toFloatArray();
        EngineSetup.seed(99);
        TinyNet again = new TinyNet(manager, 4, 4);
        DistillationObjective kd2 = objective(again);
        assertFalse(java.util.Arrays.equals(trained, kd2.featureLoss().stateDict().get("0.weight")
                .toFloatArray()));
        TrainingResult r = fit(again, kd2, 2, dir);
        assertEquals(2, r.resumedFrom());
        assertArrayEquals(trained, kd2.featureLoss().stateDict().get("0.weight").toFloatArray(), 0f);
        assertArrayEquals(student.stateDict().get("head.weight").toFloatArray(),
                again.stateDict().get("head.weight").toFloatArray(), 0f);
    }
}
