package ai.peft4j.infer.video;

import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test clips made from the NEU-Seg test images in the shared data. */
public final class NeuClips {
    private NeuClips() {}

    /** The first {@code n} images of NEU-Seg's test list, in list order. */
    public static List<Path> testImages(int n) throws IOException {
        Path root = SharedFiles.require("data/neu-seg");
        List<Path> out = new ArrayList<>();
        for (String id : Files.readAllLines(root.resolve("ImageSets/Segmentation/test.txt"))) {
            if (!id.isBlank() && out.size() < n) {
                out.add(root.resolve("JPEGImages").resolve(id.strip() + ".jpg"));
            }
        }
        return out;
    }

    /** Encodes images as an MP4 at {@code fps}; returns the decoded-from-disk originals. */
    public static List<RgbImage> encode(List<Path> images, Path mp4, double fps) throws IOException {
        List<RgbImage> originals = new ArrayList<>();
        try (Mp4Writer w = Mp4Writer.create(mp4, fps)) {
            for (Path p : images) {
                RgbImage img = ImageDecoder.readRgb(p);
                originals.add(img);
                w.write(img);
            }
        }
        return originals;
    }

    /** Mean absolute difference per channel value, 0-255. */
    public static double meanAbsDiff(RgbImage a, RgbImage b) {
        long sum = 0;
        for (int i = 0; i < a.pixels().length; i++) {
            sum += Math.abs((a.pixels()[i] & 0xFF) - (b.pixels()[i] & 0xFF));
        }
        return (double) sum / a.pixels().length;
    }
}
