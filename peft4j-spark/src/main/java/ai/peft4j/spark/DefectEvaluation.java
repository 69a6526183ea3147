package ai.peft4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.regexp_extract;

import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.metrics.SegmentationScores;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.MaskRaster;
import ai.peft4j.train.metrics.ImageVerdicts;
import ai.peft4j.train.metrics.VerdictScores;
import ai.peft4j.train.metrics.VerdictThreshold;
import java.io.Serializable;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * An evaluation at scale: predictions (the {@code mask} column of {@link DefectInspector} with masks on) joined by
 * id with ground-truth masks, each partition filling its own {@link ConfusionMatrix} and {@link ImageVerdicts},
 * merged pairwise up a tree. Both merges are sums (the verdicts' curve does not depend on image order), so the
 * result equals {@code peft4j eval}'s on the same predictions, whatever the partitioning.
 */
public final class DefectEvaluation implements Serializable {
    private static final long serialVersionUID = 1L;

    private final ConfusionMatrix matrix;
    private final ImageVerdicts verdicts;
    private long withoutTruth;
    private long withoutPrediction;
    private String unmatched;

    private DefectEvaluation(int numClasses, VerdictThreshold threshold) {
        matrix = new ConfusionMatrix(numClasses);
        verdicts = new ImageVerdicts(numClasses, threshold);
    }

    /** Adds an {@code id} column: the file name without folder and extension of {@code pathColumn}. */
    public static Dataset<Row> withId(Dataset<Row> rows, String pathColumn) {
        return rows.withColumn("id", regexp_extract(col(pathColumn), "([^/]+?)(\\.[^./]*)?$", 1));
    }

    /**
     * Scores {@code predictions} ({@code id}, {@code mask}: index PNGs, {@code error}) against {@code truths}
     * ({@code id}, {@code truth}: the ground truth as index PNGs, e.g. the binaryFile content of a VOC
     * SegmentationClass folder). Every prediction needs its truth and every truth its prediction.
     */
    public static DefectEvaluation evaluate(Dataset<Row> predictions, Dataset<Row> truths, int numClasses,
            VerdictThreshold threshold) {
        for (String c : new String[] {"id", "mask"}) {
            if (!predictions.schema().getFieldIndex(c).isDefined()) {
                throw new IllegalArgumentException("the predictions have no column '" + c + "'"
                        + ("mask".equals(c) ? " (inspect with setWithMask(true))" : " (add one with withId)"));
            }
        }
        for (String c : new String[] {"id", "truth"}) {
            if (!truths.schema().getFieldIndex(c).isDefined()) {
                throw new IllegalArgumentException("the ground truth has no column '" + c + "'");
            }
        }
        if (predictions.schema().getFieldIndex("error").isDefined()) {
            Row[] failed = (Row[]) predictions.filter(col("error").isNotNull()).select("id", "error").take(1);
            if (failed.length > 0) {
                long n = predictions.filter(col("error").isNotNull()).count();
                throw new IllegalStateException(n + " images could not be inspected (first: " + failed[0].getString(1)
                        + "); an evaluation needs a prediction of every image");
            }
        }
        Dataset<Row> joined = predictions.select(col("id"), col("mask"))
                .join(truths.select(col("id"), col("truth")), predictions.col("id").equalTo(truths.col("id")),
                        "full_outer")
                .select(predictions.col("id").as("pid"), truths.col("id").as("tid"), col("mask"), col("truth"));
        DefectEvaluation result = joined.javaRDD().treeAggregate(new DefectEvaluation(numClasses, threshold),
                DefectEvaluation::add, DefectEvaluation::merge);
        if (result.withoutTruth + result.withoutPrediction > 0) {
            throw new IllegalArgumentException(result.withoutTruth + " predictions have no ground truth and "
                    + result.withoutPrediction + " ground-truth masks no prediction (e.g. '" + result.unmatched
                    + "'); join on ids that name the same images");
        }
        return result;
    }

    private DefectEvaluation add(Row r) {
        if (r.isNullAt(2) || r.isNullAt(3)) {
            if (r.isNullAt(3)) {
                withoutTruth++;
            } else {
                withoutPrediction++;
            }
            unmatched = r.isNullAt(0) ? r.getString(1) : r.getString(0);
            return this;
        }
        String id = r.getString(0);
        MaskRaster pred = ImageDecoder.readMask((byte[]) r.get(2), Path.of(id + " (prediction)"));
        MaskRaster gt = ImageDecoder.readMask((byte[]) r.get(3), Path.of(id + " (ground truth)"));
        if (gt.colour()) {
            throw new IllegalArgumentException(id + ": the ground truth is a colour PNG; give index or grey PNGs whose "
                    + "value is the class id (convert colour masks with 'peft4j convert')");
        }
        if (gt.width() != pred.width() || gt.height() != pred.height()) {
            throw new IllegalArgumentException(id + ": the ground truth is " + gt.width() + "x" + gt.height()
                    + " but its prediction " + pred.width() + "x" + pred.height());
        }
        matrix.add(gt.values(), pred.values());
        verdicts.add(gt.values(), pred.values(), gt.width());
        return this;
    }

    private DefectEvaluation merge(DefectEvaluation other) {
        matrix.add(other.matrix);
        verdicts.add(other.verdicts);
        withoutTruth += other.withoutTruth;
        withoutPrediction += other.withoutPrediction;
        unmatched = unmatched != null ? unmatched : other.unmatched;
        return this;
    }

    /** The pixel confusion matrix over all images. */
    public ConfusionMatrix matrix() {
        return matrix;
    }

    /** mIoU, mPA, mPrecision, Dice and accuracy, as {@code peft4j eval}. */
    public SegmentationScores scores() {
        return matrix.scores();
    }

    /** Pass/fail per part, as {@code peft4j eval}'s image_level. */
    public VerdictScores verdictScores() {
        return verdicts.scores();
    }

    public int images() {
        return verdicts.images();
    }
}
