package ai.peft4j.core.metrics;

import java.util.Arrays;

/**
 * The 8-connected regions of each class in a class map (pixels touching at an edge or a corner belong together),
 * numbered in raster order of their first pixel. Only classes in {@code [firstClass, endClass)} form regions, so
 * background and the ignore label can be left out.
 */
public final class ClassRegions {
    private final int[] regionAt;
    private final int count;
    private final int[] classId;
    private final int[] pixels;
    private final int[] box;

    private ClassRegions(int[] regionAt, int count, int[] classId, int[] pixels, int[] box) {
        this.regionAt = regionAt;
        this.count = count;
        this.classId = classId;
        this.pixels = pixels;
        this.box = box;
    }

    /** Labels the regions of the classes in {@code [firstClass, endClass)} of a row-major {@code classes} map. */
    public static ClassRegions of(int[] classes, int width, int height, int firstClass, int endClass) {
        if (width < 1 || height < 1 || (long) width * height != classes.length) {
            throw new IllegalArgumentException("a " + width + "x" + height + " class map cannot hold "
                    + classes.length + " ids");
        }
        int[] label = new int[classes.length];
        Arrays.fill(label, -1);
        int[] stack = new int[classes.length];
        IntList cls = new IntList();
        IntList area = new IntList();
        IntList box = new IntList();
        int n = 0;
        for (int start = 0; start < classes.length; start++) {
            int c = classes[start];
            if (c < firstClass || c >= endClass || label[start] >= 0) {
                continue;
            }
            // Flood fill with an explicit stack: recursion would overflow on a large region.
            int top = 0;
            stack[top++] = start;
            label[start] = n;
            int count = 0;
            int x0 = width;
            int y0 = height;
            int x1 = -1;
            int y1 = -1;
            while (top > 0) {
                int p = stack[--top];
                int x = p % width;
                int y = p / width;
                count++;
                x0 = Math.min(x0, x);
                x1 = Math.max(x1, x);
                y0 = Math.min(y0, y);
                y1 = Math.max(y1, y);
                for (int dy = -1; dy <= 1; dy++) {
                    int ny = y + dy;
                    if (ny < 0 || ny >= height) {
                        continue;
                    }
                    for (int dx = -1; dx <= 1; dx++) {
                        int nx = x + dx;
                        int q = ny * width + nx;
                        if (nx >= 0 && nx < width && label[q] < 0 && classes[q] == c) {
                            label[q] = n;
                            stack[top++] = q;
                        }
                    }
                }
            }
            cls.add(c);
            area.add(count);
            box.add(x0);
            box.add(y0);
            box.add(x1);
            box.add(y1);
            n++;
        }
        return new ClassRegions(label, n, cls.toArray(), area.toArray(), box.toArray());
    }

    /** Regions found. */
    public int count() {
        return count;
    }

    /** The region of pixel {@code index} (row-major), or -1 where its class forms none. */
    public int regionAt(int index) {
        return regionAt[index];
    }

    public int classId(int region) {
        return classId[region];
    }

    /** Area in pixels. */
    public int pixels(int region) {
        return pixels[region];
    }

    /** First column of the bounding box. */
    public int x0(int region) {
        return box[4 * region];
    }

    public int y0(int region) {
        return box[4 * region + 1];
    }

    /** Last column of the bounding box (inclusive). */
    public int x1(int region) {
        return box[4 * region + 2];
    }

    public int y1(int region) {
        return box[4 * region + 3];
    }

    /** A growable int array: a region list of a large map should not box every number. */
    private static final class IntList {
        private int[] values = new int[16];
        private int size;

        void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, 2 * size);
            }
            values[size++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
