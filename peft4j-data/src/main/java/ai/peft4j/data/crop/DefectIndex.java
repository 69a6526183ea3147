package ai.peft4j.data.crop;

import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.loader.BatchLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Where the defect pixels of each image are, by class, read once before training. Each mask is decoded, reduced and
 * dropped, so the index never holds decoded masks: per image and class it keeps at most {@link #KEPT} positions, a
 * uniform reservoir sample of that class's pixels (a crop centred on one of them is as likely anywhere on the defect
 * as one centred on any of its pixels), and each image's size.
 */
public final class DefectIndex {
    /** Positions kept per image and class: 4 KiB each, whatever the mask's size. */
    public static final int KEPT = 1024;

    private final int[] widths;
    private final int[] heights;
    private final String[] ids;
    /** [image][class]: positions {@code y * width + x}, or null where the class is absent. */
    private final int[][][] positions;
    /** [class]: the images holding it. */
    private final int[][] imagesByClass;

    private DefectIndex(int[] widths, int[] heights, String[] ids, int[][][] positions, int classes) {
        this.widths = widths;
        this.heights = heights;
        this.ids = ids;
        this.positions = positions;
        this.imagesByClass = new int[classes][];
        for (int c = 1; c < classes; c++) {
            final int k = c;
            imagesByClass[c] = IntStream.range(0, positions.length).filter(i -> positions[i][k] != null).toArray();
        }
    }

    /**
     * Reads every pair of {@code data} once (in parallel); the reservoirs draw from {@code seed}. A pair that cannot
     * be read fails the build with the error of the first such pair in data set order, the same on every run.
     */
    public static DefectIndex build(ImageDataset data, long seed) {
        int n = data.size();
        int classes = data.numClasses();
        int[] widths = new int[n];
        int[] heights = new int[n];
        String[] ids = new String[n];
        int[][][] positions = new int[n][][];
        RuntimeException[] failed = new RuntimeException[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            try {
                LabelledImage pair = data.read(i);
                widths[i] = pair.width();
                heights[i] = pair.height();
                ids[i] = pair.id();
                positions[i] = reservoirs(pair.mask(), classes, BatchLoader.sampleRandom(seed, -1, i));
            } catch (RuntimeException e) {
                failed[i] = e;
            }
        });
        for (RuntimeException e : failed) {
            if (e != null) {
                throw e;
            }
        }
        return new DefectIndex(widths, heights, ids, positions, classes);
    }

    private static int[][] reservoirs(int[] mask, int classes, SplittableRandom random) {
        int[][] kept = new int[classes][];
        int[] seen = new int[classes];
        for (int p = 0; p < mask.length; p++) {
            int c = mask[p];
            // Background and the ignore label are never crop centres.
            if (c < 1 || c >= classes) {
                continue;
            }
            if (kept[c] == null) {
                kept[c] = new int[KEPT];
            }
            int s = seen[c]++;
            if (s < KEPT) {
                kept[c][s] = p;
            } else {
                int j = random.nextInt(s + 1);
                if (j < KEPT) {
                    kept[c][j] = p;
                }
            }
        }
        for (int c = 1; c < classes; c++) {
            if (kept[c] != null && seen[c] < KEPT) {
                kept[c] = java.util.Arrays.copyOf(kept[c], seen[c]);
            }
        }
        return kept;
    }

    public int size() {
        return widths.length;
    }

    public int width(int image) {
        return widths[image];
    }

    public int height(int image) {
        return heights[image];
    }

    public String id(int image) {
        return ids[image];
    }

    /** The defect classes that occur in some image, in id order. */
    public int[] presentClasses() {
        return IntStream.range(1, imagesByClass.length).filter(c -> imagesByClass[c].length > 0).toArray();
    }

    /** The images holding class {@code c}. */
    public int[] imagesWith(int c) {
        return imagesByClass[c].clone();
    }

    int[] imagesWithShared(int c) {
        return imagesByClass[c];
    }

    /** Kept positions ({@code y * width + x}) of class {@code c} in {@code image}; empty when absent. */
    public int[] positions(int image, int c) {
        int[] p = positions[image][c];
        return p == null ? new int[0] : p;
    }

    int[] positionsShared(int image, int c) {
        return positions[image][c];
    }

    /** The images narrower or lower than {@code side} once rescaled by {@code scale}: "id (WxH)" each. */
    public List<String> smallerThan(int side, double scale) {
        List<String> small = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            int w = CropConfig.scaledSide(widths[i], scale);
            int h = CropConfig.scaledSide(heights[i], scale);
            if (w < side || h < side) {
                small.add(ids[i] + " (" + widths[i] + "x" + heights[i] + (scale == 1 ? "" : ", " + w + "x" + h
                        + " at scale " + scale) + ")");
            }
        }
        return small;
    }
}
