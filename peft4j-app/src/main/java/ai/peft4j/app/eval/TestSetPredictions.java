package ai.peft4j.app.eval;

import ai.peft4j.core.io.ContainedPath;
import ai.peft4j.core.io.InputFiles;
import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.progress.ProgressBar;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.infer.predict.Prediction;
import ai.peft4j.infer.predict.Predictor;
import ai.peft4j.train.metrics.ImageVerdicts;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Predicts every image of a split at its own size, writes each prediction as an index PNG
 * ({@code <id>.png}, the published {@code detection-results}) and counts it against the ground truth.
 */
public final class TestSetPredictions {
    /** An image of the report's overlay grid with its ground truth and prediction. */
    public record Shown(LabelledImage pair, int[] prediction) {}

    /**
     * @param matrix pixel counts over the split (ignore-label pixels left out)
     * @param shown the first images, for the overlay grid
     * @param files the prediction PNGs, in split order
     */
    public record Result(ConfusionMatrix matrix, List<Shown> shown, List<Path> files) {}

    private TestSetPredictions() {}

    /** The files every pair of {@code data} is read from. */
    public static List<Path> files(ImageDataset data) {
        List<Path> read = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            read.addAll(data.files(i));
        }
        return read;
    }

    /**
     * @param inputs the files the command reads ({@link #files} at least): a prediction that would replace one of
     *     them is refused
     * @param verdicts gets each image's final class map and ground truth
     */
    public static Result run(Predictor predictor, ImageDataset data, Palette palette, Path predictionsDir,
            InputFiles inputs, int show, ImageVerdicts verdicts, PrintStream console) throws IOException {
        ConfusionMatrix matrix = new ConfusionMatrix(data.numClasses());
        List<Shown> shown = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (ProgressBar bar = new ProgressBar(console, "Predicting " + data.name(), data.size(),
                ProgressBar.isTerminal())) {
            for (int i = 0; i < data.size(); i++) {
                LabelledImage pair = data.read(i);
                Prediction p = predictor.predict(pair.image());
                matrix.add(pair.mask(), p.mask());
                verdicts.add(pair.mask(), p.mask(), p.width());
                Path file = ContainedPath.resolve(predictionsDir, pair.id(), ".png", "sample id");
                // The output folder may be, or link to, the data folder: never replace a mask or an image.
                inputs.refuseOverwrite(file, "choose an --out folder whose predictions/ is not a data folder");
                ImageEncoder.writeIndexPng(p.mask(), p.width(), p.height(), palette, file);
                files.add(file);
                if (shown.size() < show) {
                    shown.add(new Shown(pair, p.mask()));
                }
                bar.update(i + 1, "");
            }
        }
        return new Result(matrix, shown, files);
    }

    /**
     * Predicts every image of {@code data} and adds it to {@code verdicts} only, writing nothing: how a verdict
     * threshold is chosen on a validation split before the test split is scored.
     */
    public static void verdicts(Predictor predictor, ImageDataset data, ImageVerdicts verdicts, PrintStream console) {
        try (ProgressBar bar = new ProgressBar(console, "Predicting " + data.name(), data.size(),
                ProgressBar.isTerminal())) {
            for (int i = 0; i < data.size(); i++) {
                LabelledImage pair = data.read(i);
                Prediction p = predictor.predict(pair.image());
                verdicts.add(pair.mask(), p.mask(), p.width());
                bar.update(i + 1, "");
            }
        }
    }
}
