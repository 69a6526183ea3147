package ai.peft4j.infer.onnx;

import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Resampling;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Calibration images from a folder: image files spread evenly over the folder in name order (a folder sorted by
 * class or by time still gives a sample of all of it, not of its first class), each resized to the model's input
 * as the published ONNX predictor feeds it (a plain resize, no letterbox) and divided by 255, channels first.
 */
public final class CalibrationImages {
    private CalibrationImages() {}

    /**
     * Up to {@code limit} images of {@code dir}, evenly spaced in name order (all of them when there are fewer);
     * fails when the folder is missing or holds no image.
     */
    public static List<float[]> fromFolder(Path dir, int height, int width, int limit) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("calibration folder " + dir + " does not exist");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = spread(s.filter(CalibrationImages::isImage).sorted().toList(), limit);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list calibration folder " + dir, e);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("calibration folder " + dir + " holds no .jpg, .jpeg, .png or .bmp "
                    + "image");
        }
        List<float[]> out = new ArrayList<>(files.size());
        for (Path f : files) {
            out.add(pixels(f, height, width));
        }
        return out;
    }

    /** {@code limit} items at evenly spaced positions of {@code all}, in order. */
    static <T> List<T> spread(List<T> all, int limit) {
        if (all.size() <= limit) {
            return all;
        }
        List<T> out = new ArrayList<>(limit);
        for (int i = 0; i < limit; i++) {
            out.add(all.get((int) ((long) i * all.size() / limit)));
        }
        return out;
    }

    /** One image resized to {@code height x width}, {@code [3, height, width]} flattened, in [0, 1]. */
    public static float[] pixels(Path file, int height, int width) {
        RgbImage img = ImageDecoder.readRgb(file);
        if (img.width() != width || img.height() != height) {
            img = Resampling.bicubic(img, width, height);
        }
        return img.toChannelsFirst();
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && (n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png")
                || n.endsWith(".bmp"));
    }
}
