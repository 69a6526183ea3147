package ai.peft4j.data.transform;

import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.RgbImage;
import java.util.SplittableRandom;

/**
 * The published evaluation preprocessing: scale to fit {@code width x height} keeping the aspect ratio (bicubic
 * for the image, nearest for the mask), centred on a grey (128, 128, 128) canvas with background mask.
 *
 * @param width output columns
 * @param height output rows
 */
public record Letterbox(int width, int height) implements PairTransform {
    public Letterbox {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("letterbox size must be positive, got " + width + "x" + height);
        }
    }

    /** A square letterbox, e.g. the published 224. */
    public static Letterbox square(int size) {
        return new Letterbox(size, size);
    }

    /**
     * Where an image lands in the letterbox; prediction crops this region back out before resizing to the original.
     *
     * @param left first column of the image in the canvas
     * @param top first row
     * @param scaledWidth image columns in the canvas
     * @param scaledHeight image rows in the canvas
     */
    public record Placement(int left, int top, int scaledWidth, int scaledHeight) {}

    public Placement placement(int imageWidth, int imageHeight) {
        double scale = Math.min((double) width / imageWidth, (double) height / imageHeight);
        int nw = Math.max(1, (int) (imageWidth * scale));
        int nh = Math.max(1, (int) (imageHeight * scale));
        return new Placement((width - nw) / 2, (height - nh) / 2, nw, nh);
    }

    @Override
    public LabelledImage apply(LabelledImage pair, SplittableRandom random) {
        Placement p = placement(pair.width(), pair.height());
        RgbImage image = Resampling.bicubic(pair.image(), p.scaledWidth(), p.scaledHeight());
        int[] mask = Resampling.nearest(pair.mask(), pair.width(), pair.height(), p.scaledWidth(), p.scaledHeight());
        return Canvas.paste(pair.id(), image, mask, width, height, p.left(), p.top());
    }
}
