package ai.peft4j.infer.stats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The defect statistics of one frame: pixels of each class and the connected components of each defect class.
 *
 * @param frame the frame's index
 * @param name the frame's name
 * @param seconds its time in the source
 * @param width frame columns
 * @param height frame rows
 * @param pixels pixels of class {@code c} at position {@code c}
 * @param components components of the classes from 1 on (0 is background), by class, then top to bottom,
 *     then left to right by their first pixel
 */
public record FrameStats(long frame, String name, double seconds, int width, int height, long[] pixels,
        List<Component> components) {
    /** Counts areas and finds components of a class map with {@code numClasses} classes. */
    public static FrameStats of(long frame, String name, double seconds, ClassMap map, int numClasses) {
        int w = map.width();
        int h = map.height();
        int[] c = map.classes();
        long[] pixels = new long[numClasses];
        for (int v : c) {
            if (v < 0 || v >= numClasses) {
                throw new IllegalArgumentException("frame " + frame + ": class id " + v + " outside 0.."
                        + (numClasses - 1));
            }
            pixels[v]++;
        }
        List<Component> components = new ArrayList<>();
        boolean[] seen = new boolean[c.length];
        int[] stack = new int[c.length];
        for (int start = 0; start < c.length; start++) {
            int cls = c[start];
            if (cls == 0 || seen[start]) {
                continue;
            }
            // Flood fill with an explicit stack: recursion would overflow on a large region.
            int top = 0;
            stack[top++] = start;
            seen[start] = true;
            int count = 0;
            int x0 = w;
            int y0 = h;
            int x1 = -1;
            int y1 = -1;
            while (top > 0) {
                int p = stack[--top];
                int x = p % w;
                int y = p / w;
                count++;
                x0 = Math.min(x0, x);
                x1 = Math.max(x1, x);
                y0 = Math.min(y0, y);
                y1 = Math.max(y1, y);
                for (int dy = -1; dy <= 1; dy++) {
                    int ny = y + dy;
                    if (ny < 0 || ny >= h) {
                        continue;
                    }
                    for (int dx = -1; dx <= 1; dx++) {
                        int nx = x + dx;
                        int q = ny * w + nx;
                        if (nx >= 0 && nx < w && !seen[q] && c[q] == cls) {
                            seen[q] = true;
                            stack[top++] = q;
                        }
                    }
                }
            }
            components.add(new Component(cls, count, x0, y0, x1, y1));
        }
        // Found in raster order of their first pixel; a stable sort by class keeps that order within a class.
        components.sort(Comparator.comparingInt(Component::classId));
        return new FrameStats(frame, name, seconds, w, h, pixels, List.copyOf(components));
    }

    /** The fraction of the frame that class {@code c} covers. */
    public double fraction(int c) {
        return (double) pixels[c] / ((long) width * height);
    }

    /** Components of one class. */
    public List<Component> components(int classId) {
        return components.stream().filter(k -> k.classId() == classId).toList();
    }
}
