package ai.peft4j.train.metrics;

import ai.peft4j.core.metrics.ConfusionMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A box confusion matrix over the classes and background, in the convention of supervision's
 * {@code ConfusionMatrix}, which the published Florence-2 evaluation draws: rows are ground truth, columns
 * predictions, the last row and column background. Per image, every truth-detection pair whose IoU exceeds 0.5
 * (strictly) is a candidate match, whatever the two labels; in descending IoU each detection keeps its best
 * truth, then each truth its best detection (ties: the earlier truth, then the earlier detection). A matched truth
 * counts in (its class, the detection's class), so a box found with the wrong label is a confusion between
 * classes; an unmatched truth counts in (its class, background), a miss; an unmatched detection in (background,
 * its class), a false alarm, even when it overlaps a truth that another detection took. Detections whose label is
 * not one of the classes are left out and counted apart, as the published evaluation drops them. Every detection
 * is kept (generated boxes score 1, above the 0.3 confidence cut of that convention).
 */
public final class DetectionConfusionMatrix {
    /** The IoU a pair must exceed to match. */
    public static final double IOU_THRESHOLD = 0.5;
    public static final String BACKGROUND = "background";

    private final List<String> classes;
    private final ConfusionMatrix counts;
    private int outside;

    /** A matrix over {@code classes} (in this order) and background. */
    public DetectionConfusionMatrix(List<String> classes) {
        if (classes.isEmpty() || new HashSet<>(classes).size() != classes.size() || classes.contains(BACKGROUND)) {
            throw new IllegalArgumentException("a box confusion matrix needs distinct class names other than '"
                    + BACKGROUND + "', got " + classes);
        }
        this.classes = List.copyOf(classes);
        this.counts = new ConfusionMatrix(classes.size() + 1);
    }

    private record Pair(int truth, int detection, double iou) {}

    /** Adds one image's ground truth and detections (boxes {@code x1, y1, x2, y2}). */
    public void addImage(List<String> truthLabels, List<float[]> truthBoxes, List<String> labels,
            List<float[]> boxes) {
        if (truthLabels.size() != truthBoxes.size() || labels.size() != boxes.size()) {
            throw new IllegalArgumentException("labels and boxes must have the same lengths");
        }
        int[] truthClass = new int[truthLabels.size()];
        for (int i = 0; i < truthClass.length; i++) {
            truthClass[i] = classes.indexOf(truthLabels.get(i));
            if (truthClass[i] < 0) {
                throw new IllegalArgumentException("ground-truth label '" + truthLabels.get(i) + "' is not one of "
                        + classes);
            }
        }
        List<Integer> kept = new ArrayList<>();
        for (int j = 0; j < labels.size(); j++) {
            if (classes.contains(labels.get(j))) {
                kept.add(j);
            } else {
                outside++;
            }
        }
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < truthClass.length; i++) {
            for (int k = 0; k < kept.size(); k++) {
                double iou = DetectionAveragePrecision.iou(truthBoxes.get(i), boxes.get(kept.get(k)));
                if (iou > IOU_THRESHOLD) {
                    pairs.add(new Pair(i, k, iou));
                }
            }
        }
        // A stable sort keeps equal IoUs in truth-then-detection order.
        pairs.sort(Comparator.comparingDouble(p -> -p.iou()));
        List<Pair> bestPerDetection = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (Pair p : pairs) {
            if (seen.add(p.detection())) {
                bestPerDetection.add(p);
            }
        }
        int[] matchOfTruth = new int[truthClass.length];
        Arrays.fill(matchOfTruth, -1);
        boolean[] detectionMatched = new boolean[kept.size()];
        for (Pair p : bestPerDetection) {
            if (matchOfTruth[p.truth()] < 0) {
                matchOfTruth[p.truth()] = p.detection();
                detectionMatched[p.detection()] = true;
            }
        }
        int bg = classes.size();
        List<int[]> cells = new ArrayList<>();
        for (int i = 0; i < truthClass.length; i++) {
            int m = matchOfTruth[i];
            cells.add(new int[] {truthClass[i], m < 0 ? bg : classes.indexOf(labels.get(kept.get(m)))});
        }
        for (int k = 0; k < kept.size(); k++) {
            if (!detectionMatched[k]) {
                cells.add(new int[] {bg, classes.indexOf(labels.get(kept.get(k)))});
            }
        }
        counts.add(cells.stream().mapToInt(c -> c[0]).toArray(), cells.stream().mapToInt(c -> c[1]).toArray());
    }

    /** The class names, then {@value #BACKGROUND}: the rows' and the columns' names. */
    public List<String> names() {
        List<String> out = new ArrayList<>(classes);
        out.add(BACKGROUND);
        return out;
    }

    /** The counts, truth by row and prediction by column, background last. */
    public ConfusionMatrix matrix() {
        return counts;
    }

    /** Boxes of ground-truth class {@code truth} counted as {@code predicted} (either may be background). */
    public long count(String truth, String predicted) {
        int i = names().indexOf(truth);
        int j = names().indexOf(predicted);
        if (i < 0 || j < 0) {
            throw new IllegalArgumentException("'" + (i < 0 ? truth : predicted) + "' is not one of " + names());
        }
        return counts.count(i, j);
    }

    /** Detections left out because their label is none of the classes. */
    public int detectionsOutsideClasses() {
        return outside;
    }
}
