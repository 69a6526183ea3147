package ai.peft4j.app;

import ai.peft4j.core.nn.Module;
import ai.peft4j.train.loop.TrainingResult;
import ai.peft4j.train.report.EpochRecord;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/** What the training commands print before and after the run. */
final class RunSummary {
    private RunSummary() {}

    static void model(PrintStream console, String description, Module model) {
        long total = model.parameterCount();
        long trainable = model.trainableParameterCount();
        console.printf(Locale.ROOT, "Model     %s%nTraining  %,d of %,d parameters (%.2f %%)%n", description,
                trainable, total, 100.0 * trainable / Math.max(total, 1));
    }

    static void result(PrintStream console, TrainingResult r, Path out) {
        result(console, r, out, false);
    }

    /** As above; a classifier's best epoch is reported by its top-1 accuracy (the image matrix's accuracy). */
    static void result(PrintStream console, TrainingResult r, Path out, boolean classifier) {
        EpochRecord last = r.history().get(r.history().size() - 1);
        console.printf(Locale.ROOT, "Done: %d epochs (%d in this process), last train loss %.4f%n",
                r.history().size(), r.history().size() - r.resumedFrom(), last.trainLoss());
        if (r.bestCheckpoint() != null) {
            EpochRecord best = r.history().get(r.bestEpoch() - 1);
            if (classifier) {
                console.printf(Locale.ROOT, "Best      epoch %d, validation top-1 %.2f %%, mIoU %.2f %% -> %s%n",
                        r.bestEpoch(), 100 * best.scores().accuracy(), 100 * best.scores().meanIou(),
                        r.bestCheckpoint());
            } else {
                console.printf(Locale.ROOT, "Best      epoch %d, validation mIoU %.2f %% -> %s%n", r.bestEpoch(),
                        100 * best.scores().meanIou(), r.bestCheckpoint());
            }
        }
        console.printf(Locale.ROOT, "Last      %s%nLog       %s, %s%n", r.lastCheckpoint(),
                out.resolve(ai.peft4j.train.loop.Trainer.LOG), out.resolve(ai.peft4j.train.loop.Trainer.CURVES));
    }
}
