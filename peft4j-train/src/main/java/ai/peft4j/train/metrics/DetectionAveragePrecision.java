package ai.peft4j.train.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * COCO-style mean average precision of boxes, as pycocotools' {@code COCOeval} computes it for one area range
 * ("all") and at most 100 detections per image and class: per class and IoU threshold, detections in descending score
 * (ties kept in the order given) are matched greedily to the not yet matched ground-truth box of the same image
 * with the highest IoU at or above the threshold; precision is made non-increasing from the right and read at the
 * 101 recall points 0, 0.01, .., 1 (0 where a recall is never reached); AP is their mean. A class without
 * ground-truth boxes is left out of the mean, as COCO leaves it out. IoU is of continuous boxes
 * {@code x1, y1, x2, y2} (no +1 pixel). No maintained Java library on Maven Central computes this, so it is our
 * own, tested against a case worked by hand.
 */
public final class DetectionAveragePrecision {
    /** COCO's thresholds 0.50, 0.55, .., 0.95. */
    public static final double[] COCO_THRESHOLDS = {0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};
    private static final int MAX_DETECTIONS = 100;

    private record Box(int image, String label, float[] xyxy, double score, int order) {}

    private final List<Box> truths = new ArrayList<>();
    private final List<Box> detections = new ArrayList<>();
    private int images;

    /**
     * Adds one image: its ground-truth boxes and labels, and the detections with their labels and scores (a model
     * that writes boxes as text gives each score 1, as the published evaluation does).
     */
    public void addImage(List<String> truthLabels, List<float[]> truthBoxes, List<String> labels,
            List<float[]> boxes, double[] scores) {
        if (truthLabels.size() != truthBoxes.size() || labels.size() != boxes.size() || scores.length != boxes.size()) {
            throw new IllegalArgumentException("labels, boxes and scores must have the same lengths");
        }
        int image = images++;
        for (int i = 0; i < truthBoxes.size(); i++) {
            truths.add(new Box(image, truthLabels.get(i), truthBoxes.get(i), 1, i));
        }
        Integer[] order = new Integer[boxes.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingDouble(i -> -scores[i]));
        // COCO keeps the 100 best detections per image and class.
        Map<String, Integer> kept = new LinkedHashMap<>();
        for (int i : order) {
            if (kept.merge(labels.get(i), 1, Integer::sum) <= MAX_DETECTIONS) {
                detections.add(new Box(image, labels.get(i), boxes.get(i), scores[i], detections.size()));
            }
        }
    }

    /** Images added so far. */
    public int images() {
        return images;
    }

    /** Classes with ground truth, sorted. */
    public List<String> classes() {
        TreeSet<String> names = new TreeSet<>();
        truths.forEach(t -> names.add(t.label()));
        return List.copyOf(names);
    }

    /** Ground-truth boxes of a class. */
    public int truthCount(String label) {
        return (int) truths.stream().filter(t -> t.label().equals(label)).count();
    }

    /** Detections of a class. */
    public int detectionCount(String label) {
        return (int) detections.stream().filter(t -> t.label().equals(label)).count();
    }

    /** AP of one class at one IoU threshold, 101-point interpolated; NaN for a class without ground truth. */
    public double averagePrecision(String label, double iouThreshold) {
        List<Box> gt = truths.stream().filter(t -> t.label().equals(label)).toList();
        if (gt.isEmpty()) {
            return Double.NaN;
        }
        List<Box> det = new ArrayList<>(detections.stream().filter(d -> d.label().equals(label)).toList());
        // A stable sort, as COCOeval's mergesort, over all images.
        det.sort(Comparator.comparingDouble((Box d) -> -d.score()));
        Map<Integer, List<Box>> gtByImage = new LinkedHashMap<>();
        gt.forEach(g -> gtByImage.computeIfAbsent(g.image(), k -> new ArrayList<>()).add(g));
        Map<Integer, boolean[]> used = new LinkedHashMap<>();
        gtByImage.forEach((k, v) -> used.put(k, new boolean[v.size()]));
        int tp = 0;
        int fp = 0;
        double[] precision = new double[det.size()];
        double[] recall = new double[det.size()];
        for (int i = 0; i < det.size(); i++) {
            Box d = det.get(i);
            List<Box> candidates = gtByImage.getOrDefault(d.image(), List.of());
            boolean[] taken = used.get(d.image());
            int best = -1;
            double bestIou = Math.min(iouThreshold, 1 - 1e-10);
            for (int g = 0; g < candidates.size(); g++) {
                if (taken[g]) {
                    continue;
                }
                double iou = iou(d.xyxy(), candidates.get(g).xyxy());
                if (iou >= bestIou) {
                    bestIou = iou;
                    best = g;
                }
            }
            if (best >= 0) {
                taken[best] = true;
                tp++;
            } else {
                fp++;
            }
            precision[i] = tp / (double) (tp + fp);
            recall[i] = tp / (double) gt.size();
        }
        for (int i = det.size() - 1; i > 0; i--) {
            precision[i - 1] = Math.max(precision[i - 1], precision[i]);
        }
        double sum = 0;
        for (int r = 0; r <= 100; r++) {
            double at = r / 100.0;
            // The first detection whose recall reaches this point (searchsorted, side left).
            int idx = 0;
            while (idx < recall.length && recall[idx] < at) {
                idx++;
            }
            sum += idx < recall.length ? precision[idx] : 0;
        }
        return sum / 101;
    }

    /** Mean over classes with ground truth of AP at one threshold; NaN with no ground truth at all. */
    public double meanAveragePrecision(double iouThreshold) {
        List<String> names = classes();
        if (names.isEmpty()) {
            return Double.NaN;
        }
        return names.stream().mapToDouble(n -> averagePrecision(n, iouThreshold)).average().orElse(Double.NaN);
    }

    /** A class's AP averaged over COCO's ten thresholds 0.50:0.95. */
    public double averagePrecisionCoco(String label) {
        return Arrays.stream(COCO_THRESHOLDS).map(t -> averagePrecision(label, t)).average().orElse(Double.NaN);
    }

    /** mAP@[.5:.95]: the mean over the ten thresholds of the mean over classes. */
    public double meanAveragePrecisionCoco() {
        return Arrays.stream(COCO_THRESHOLDS).map(this::meanAveragePrecision).average().orElse(Double.NaN);
    }

    /** Intersection over union of two boxes {@code x1, y1, x2, y2}. */
    public static double iou(float[] a, float[] b) {
        double w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
        double h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
        if (w <= 0 || h <= 0) {
            return 0;
        }
        double inter = w * h;
        double union = (a[2] - a[0]) * (double) (a[3] - a[1]) + (b[2] - b[0]) * (double) (b[3] - b[1]) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
