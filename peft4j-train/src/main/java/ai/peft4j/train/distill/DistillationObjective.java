package ai.peft4j.train.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.NoGradient;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.core.tensor.Scalars;
import ai.peft4j.train.loop.Objective;
import ai.peft4j.train.loss.SegmentationLoss;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * FastSegFormer's distillation step as a training objective: {@code CE + 5 NFD + 0.5 P&KL}
 * ({@code utils_fit.py : fit_one_epoch_distillation}). The teacher is frozen, kept in eval mode and run without
 * recording gradients (the published code only calls {@code eval()}; its teacher graph is built and discarded).
 * With a student size the student sees the batch resized to it (multi-resolution: teacher 512, student 224) and
 * its logits are enlarged back to the labels' size for cross-entropy and validation, as the published
 * {@code CE_Loss} does. The feature loss's projections train with the student and are saved in its checkpoints
 * under {@code nfd/}. Validation scores the student alone: its loss there is the label loss (the published
 * validation adds the distillation terms, whose feature term changes with every random projection).
 *
 * <pre>{@code
 * DistillationObjective kd = DistillationObjective.builder()
 *         .setTeacher(teacher, teacher::forkFeatures)
 *         .setStudent(student, student::forkFeatures)
 *         .setLoss(config.newLoss())
 *         .optConfig(DistillationConfig.published().withStudentSize(224))
 *         .build(manager, 512);
 * Trainer.builder().setModel(student).optObjective(kd) ...
 * }</pre>
 */
public final class DistillationObjective implements Objective {
    /** The checkpoint prefix of the feature projections. */
    public static final String PROJECTIONS = "nfd";

    private final Module teacher;
    private final FeatureModel teacherFeatures;
    private final FeatureModel studentFeatures;
    private final SegmentationLoss loss;
    private final DistillationConfig config;
    private final NormalisedFeatureLoss nfd;
    private final PixelKlLoss logitLoss;

    /** One step's terms, unweighted, and their weighted sum. */
    public record Terms(NDArray labelLoss, NDArray featureLoss, NDArray logitLoss, NDArray total) {}

    private DistillationObjective(Builder b, NormalisedFeatureLoss nfd) {
        this.teacher = b.teacher;
        this.teacherFeatures = b.teacherFeatures;
        this.studentFeatures = b.studentFeatures;
        this.loss = b.loss;
        this.config = b.config;
        this.nfd = nfd;
        this.logitLoss = new PixelKlLoss(config.temperature(), config.k1());
    }

    public static Builder builder() {
        return new Builder();
    }

    public DistillationConfig config() {
        return config;
    }

    /** The feature loss with its trainable projections. */
    public NormalisedFeatureLoss featureLoss() {
        return nfd;
    }

    @Override
    public NDArray loss(NDArray images, NDArray labels) {
        return terms(images, labels).total();
    }

    /** All terms of the loss of one batch; the student's terms carry gradients, the teacher's never. */
    public Terms terms(NDArray images, NDArray labels) {
        // With both terms off the student trains alone (the baseline): no teacher forward at all.
        List<NDArray> t = config.nfdWeight() > 0 || config.logitWeight() > 0 ? teacherForward(images) : null;
        List<NDArray> s = studentFeatures.features(studentInput(images));
        NDArray logits = s.get(s.size() - 1);
        NDArray ce = loss.compute(toLabelSize(logits, labels.getShape()), labels);
        NDArray total = ce;
        NDArray f = null;
        NDArray k = null;
        if (config.nfdWeight() > 0) {
            f = nfd.compute(t, s);
            total = total.add(Scalars.mul(f, config.nfdWeight()));
        }
        if (config.logitWeight() > 0) {
            k = logitLoss.compute(t.get(t.size() - 1), logits);
            total = total.add(Scalars.mul(k, config.logitWeight()));
        }
        return new Terms(ce, f, k, total);
    }

    /** The teacher's features of a batch: eval mode, no gradients recorded. */
    public List<NDArray> teacherForward(NDArray images) {
        if (teacher.isTraining()) {
            teacher.eval();
        }
        return NoGradient.run(() -> teacherFeatures.features(images));
    }

    @Override
    public NDArray logits(NDArray images) {
        List<NDArray> s = studentFeatures.features(studentInput(images));
        return toLabelSize(s.get(s.size() - 1), new Shape(images.getShape().get(0), images.getShape().get(2),
                images.getShape().get(3)));
    }

    @Override
    public Map<String, Module> auxiliaryModules() {
        return config.nfdWeight() > 0 ? Map.of(PROJECTIONS, nfd) : Map.of();
    }

    /** The batch as the student sees it: resized (corners aligned) to the student size, if one is set. */
    public NDArray studentInput(NDArray images) {
        int side = config.studentSize();
        return side == 0 ? images : Resize.bilinear(images, side, side, true);
    }

    private static NDArray toLabelSize(NDArray logits, Shape labels) {
        return Resize.bilinear(logits, labels.get(1), labels.get(2), true);
    }

    /** Settings in DJL's style: {@code setX} for what is required, {@code optX} for the rest. */
    public static final class Builder {
        private Module teacher;
        private FeatureModel teacherFeatures;
        private Module student;
        private FeatureModel studentFeatures;
        private SegmentationLoss loss;
        private DistillationConfig config = DistillationConfig.published();

        /** The teacher; it is frozen (every parameter) and put in eval mode by {@link #build}. */
        public Builder setTeacher(Module model, FeatureModel features) {
            this.teacher = model;
            this.teacherFeatures = features;
            return this;
        }

        public Builder setStudent(Module model, FeatureModel features) {
            this.student = model;
            this.studentFeatures = features;
            return this;
        }

        /** The label loss of the student's logits (the published distillation uses cross-entropy). */
        public Builder setLoss(SegmentationLoss loss) {
            this.loss = loss;
            return this;
        }

        public Builder optConfig(DistillationConfig config) {
            this.config = config;
            return this;
        }

        /**
         * Freezes the teacher, learns both models' channel counts from one forward of a zero image with side
         * {@code probeSide} (in eval mode, no gradients), and creates the projections in {@code manager}.
         */
        public DistillationObjective build(NDManager manager, int probeSide) {
            if (teacher == null || student == null || loss == null) {
                throw new IllegalStateException("distillation needs a teacher (setTeacher), a student (setStudent) "
                        + "and a label loss (setLoss)");
            }
            if (teacher == student) {
                throw new IllegalArgumentException("the teacher and the student must be different models");
            }
            for (Parameter p : teacher.namedParameters().values()) {
                p.setTrainable(false);
            }
            teacher.eval();
            List<FeaturePair> pairs = config.nfdWeight() > 0 ? config.pairs() : List.of();
            int[] tc = new int[pairs.size()];
            int[] sc = new int[pairs.size()];
            if (!pairs.isEmpty()) {
                boolean wasTraining = student.isTraining();
                student.eval();
                try (NDManager probe = manager.newSubManager()) {
                    NDArray image = probe.zeros(new Shape(1, 3, probeSide, probeSide));
                    DistillationObjective tmp = new DistillationObjective(this, null);
                    List<NDArray> t = tmp.teacherForward(image);
                    List<NDArray> s = NoGradient.run(() -> studentFeatures.features(tmp.studentInput(image)));
                    for (int i = 0; i < pairs.size(); i++) {
                        tc[i] = channels(t, pairs.get(i).teacher(), "teacher", pairs.get(i));
                        sc[i] = channels(s, pairs.get(i).student(), "student", pairs.get(i));
                    }
                } finally {
                    student.train(wasTraining);
                }
            }
            return new DistillationObjective(this, new NormalisedFeatureLoss(manager, pairs, tc, sc,
                    config.epsilon()));
        }

        private static int channels(List<NDArray> maps, int index, String who, FeaturePair p) {
            if (index >= maps.size() - 1) {
                throw new IllegalArgumentException("feature pair " + p + ": the " + who + " has " + (maps.size() - 1)
                        + " feature maps before its logits (indices 0-" + (maps.size() - 2) + ")");
            }
            if (maps.get(index).getShape().dimension() != 4) {
                throw new IllegalArgumentException("feature pair " + p + ": the " + who + "'s map " + index
                        + " is not [N, C, H, W] but " + maps.get(index).getShape());
            }
            return (int) maps.get(index).getShape().get(1);
        }
    }
}
