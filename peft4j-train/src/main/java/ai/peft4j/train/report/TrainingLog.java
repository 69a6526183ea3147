package ai.peft4j.train.report;

import ai.peft4j.core.metrics.SegmentationScores;
import ai.peft4j.core.state.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The per-run CSV log: one row per epoch with the learning rate, losses, validation metrics (empty cells for
 * epochs without validation), per-class IoU and seconds. Rewritten whole, atomically, from the run's history
 * after each epoch, so it always agrees with the last checkpoint even when a run is killed and resumed.
 */
public final class TrainingLog {
    private TrainingLog() {}

    public static void write(Path file, List<EpochRecord> history, List<String> classNames) throws IOException {
        StringBuilder sb = new StringBuilder(
                "epoch,lr,train_loss,val_loss,miou,mpa,mprecision,accuracy,mdice");
        for (String c : classNames) {
            sb.append(",iou_").append(c.replaceAll("[^A-Za-z0-9_-]", "_"));
        }
        sb.append(",seconds\n");
        for (EpochRecord r : history) {
            sb.append(r.epoch()).append(',').append(num(r.learningRate())).append(',').append(num(r.trainLoss()))
                    .append(',').append(r.valLoss() == null ? "" : num(r.valLoss()));
            SegmentationScores s = r.scores();
            double[] means = s == null ? null
                    : new double[] {s.meanIou(), s.meanRecall(), s.meanPrecision(), s.accuracy(), s.meanDice()};
            for (int i = 0; i < 5; i++) {
                sb.append(',').append(means == null ? "" : num(means[i]));
            }
            for (int c = 0; c < classNames.size(); c++) {
                sb.append(',').append(s == null || c >= s.iou().length ? "" : num(s.iou()[c]));
            }
            sb.append(',').append(String.format(Locale.ROOT, "%.3f", r.seconds())).append('\n');
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
