package ai.peft4j.infer.stats;

import ai.peft4j.core.metrics.ClassRegions;
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
        ClassRegions regions = ClassRegions.of(c, w, h, 1, numClasses);
        List<Component> components = new ArrayList<>(regions.count());
        for (int k = 0; k < regions.count(); k++) {
            components.add(new Component(regions.classId(k), regions.pixels(k), regions.x0(k), regions.y0(k),
                    regions.x1(k), regions.y1(k)));
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
