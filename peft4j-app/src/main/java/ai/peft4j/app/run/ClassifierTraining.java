package ai.peft4j.app.run;

import ai.peft4j.app.config.ClassificationSection;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.data.Batch;
import ai.peft4j.data.classify.ClassBatches;
import ai.peft4j.data.classify.ClassificationTransform;
import ai.peft4j.data.classify.LabelledImages;
import ai.peft4j.models.vit.VisionTransformer;
import ai.peft4j.train.classify.BatchMixing;
import ai.peft4j.train.classify.ClassificationObjective;
import ai.peft4j.train.loop.BatchSource;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainingResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Trains a classifier with the run's training section through the one trainer (checkpoints, resume, progress,
 * history and curves as for segmentation): peft-vit's random resized crop and flip for training, the test resize
 * for validation, cross-entropy on soft targets. Validation's confusion matrix counts images, so the history's
 * accuracy is top-1.
 */
public final class ClassifierTraining {
    private ClassifierTraining() {}

    /** The run's transform at the model's input size. */
    public static ClassificationTransform transform(RunConfig c) {
        ClassificationSection s = c.classification();
        return new ClassificationTransform(c.model().imageSize(), s.minScale(), s.flip());
    }

    public static TrainingResult fit(VisionTransformer vit, RunConfig c, LabelledImages train, LabelledImages val,
            Path out, PrintStream console) throws IOException {
        ClassificationTransform t = transform(c);
        ClassBatches trainBatches = ClassBatches.training(train, t, c.training().batch(), c.training().augment(),
                c.training().seed());
        Trainer.Builder b = Trainer.builder().setModel(vit)
                .setConfig(RunTraining.trainerConfig(c.training(), train.numClasses()))
                .setOutputDir(out).optConsole(console).optClassNames(train.classNames())
                .optMicroBatch(c.training().microBatch())
                .optObjective(new ClassificationObjective(ClassifierNet.layer(vit, c.classification()),
                        train.numClasses(), c.classification().labelSmoothing(),
                        new BatchMixing(c.classification().mixup(), c.classification().cutmix())))
                .setTrainData(source(trainBatches));
        if (val != null) {
            b.optValidationData(source(ClassBatches.evaluation(val, t, c.training().batch())));
        }
        return b.build().fit();
    }

    static BatchSource source(ClassBatches batches) {
        return new BatchSource() {
            @Override
            public Iterable<Batch> epoch(int epoch) {
                return batches.epoch(epoch);
            }

            @Override
            public int batchesPerEpoch() {
                return batches.batchesPerEpoch();
            }
        };
    }
}
