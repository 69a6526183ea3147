package ai.peft4j.data.transform;

import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.RgbImage;
import java.util.SplittableRandom;

/**
 * The published training augmentation, in its order of random draws: aspect ratio times
 * {@code U(1-j, 1+j) / U(1-j, 1+j)}; the longer side scaled to {@code U(scaleMin, scaleMax)} of the output; resize
 * (bicubic image, nearest mask); horizontal flip with probability {@code flip}; random placement on a grey canvas
 * (the image may overflow it when enlarged, and is then cropped); HSV jitter with factors {@code 1 + U(-1, 1)} times
 * (hue, sat, val). Image and mask share every geometric step.
 *
 * @param width output columns
 * @param height output rows
 * @param jitter aspect jitter (published 0.3)
 * @param scaleMin smallest scale of the output size (published 0.25)
 * @param scaleMax largest scale (published 2)
 * @param flip probability of a horizontal flip (published 0.5)
 * @param hue hue jitter (published 0.1)
 * @param sat saturation jitter (published 0.7)
 * @param val value jitter (published 0.3)
 */
public record TrainAugmentation(int width, int height, double jitter, double scaleMin, double scaleMax, double flip,
        double hue, double sat, double val) implements PairTransform {
    public TrainAugmentation {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("output size must be positive, got " + width + "x" + height);
        }
        if (jitter < 0 || jitter >= 1 || !(scaleMin > 0) || scaleMax < scaleMin) {
            throw new IllegalArgumentException("need 0 <= jitter < 1 and 0 < scaleMin <= scaleMax; got jitter "
                    + jitter + ", scale " + scaleMin + "-" + scaleMax);
        }
    }

    /** The published recipe at {@code size x size}. */
    public static TrainAugmentation published(int size) {
        return new TrainAugmentation(size, size, 0.3, 0.25, 2.0, 0.5, 0.1, 0.7, 0.3);
    }

    @Override
    public LabelledImage apply(LabelledImage pair, SplittableRandom random) {
        int iw = pair.width();
        int ih = pair.height();
        double aspect = (double) iw / ih * uniform(random, 1 - jitter, 1 + jitter)
                / uniform(random, 1 - jitter, 1 + jitter);
        double scale = uniform(random, scaleMin, scaleMax);
        int nw;
        int nh;
        if (aspect < 1) {
            nh = (int) (scale * height);
            nw = (int) (nh * aspect);
        } else {
            nw = (int) (scale * width);
            nh = (int) (nw / aspect);
        }
        nw = Math.max(nw, 1);
        nh = Math.max(nh, 1);
        RgbImage image = Resampling.bicubic(pair.image(), nw, nh);
        int[] mask = Resampling.nearest(pair.mask(), iw, ih, nw, nh);
        if (random.nextDouble() < flip) {
            image = Resampling.flipHorizontal(image);
            mask = Resampling.flipHorizontal(mask, nw, nh);
        }
        // Truncation toward zero, as Python's int(): an enlarged image is offset by up to its overflow.
        int dx = (int) uniform(random, 0, width - nw);
        int dy = (int) uniform(random, 0, height - nh);
        LabelledImage placed = Canvas.paste(pair.id(), image, mask, width, height, dx, dy);
        double rh = uniform(random, -1, 1) * hue + 1;
        double rs = uniform(random, -1, 1) * sat + 1;
        double rv = uniform(random, -1, 1) * val + 1;
        return new LabelledImage(pair.id(), HsvJitter.apply(placed.image(), rh, rs, rv), placed.mask());
    }

    private static double uniform(SplittableRandom random, double a, double b) {
        return random.nextDouble() * (b - a) + a;
    }
}
