package ai.peft4j.data.classify;

import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Resampling;
import java.util.Random;

/**
 * peft-vit's image transforms, to a square of {@code size}: for training torchvision's
 * {@code RandomResizedCrop(size, scale=(minScale, 1), ratio=(3/4, 4/3))} then a horizontal flip with probability
 * 0.5; for testing the shorter side resized to {@code size} and the centre cropped (peft-vit's {@code Resize(size)}
 * on square images). Resizing is bicubic (torchvision's default is bilinear). Pixels stay in [0, 1]; the model
 * normalises them with the run's mean and std.
 *
 * @param size side of the output square
 * @param minScale smallest share of the image area a training crop covers (published 0.08)
 * @param flip whether training flips horizontally
 */
public record ClassificationTransform(int size, double minScale, boolean flip) {
    public ClassificationTransform {
        if (size < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + size);
        }
        if (!(minScale > 0 && minScale <= 1)) {
            throw new IllegalArgumentException("min_scale of the random resized crop must be in (0, 1], got "
                    + minScale);
        }
    }

    /** The training view of {@code image}, channels first. */
    public float[] train(RgbImage image, Random random) {
        int w = image.width();
        int h = image.height();
        double area = (double) w * h;
        int cw = Math.min(w, h);
        int ch = cw;
        int x = (w - cw) / 2;
        int y = (h - ch) / 2;
        // torchvision: ten tries at a random area and log-uniform aspect, else the centre crop.
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (minScale + random.nextDouble() * (1 - minScale));
            double ratio = Math.exp(Math.log(3.0 / 4) + random.nextDouble() * (Math.log(4.0 / 3) - Math.log(3.0 / 4)));
            int tw = (int) Math.round(Math.sqrt(target * ratio));
            int th = (int) Math.round(Math.sqrt(target / ratio));
            if (tw > 0 && th > 0 && tw <= w && th <= h) {
                cw = tw;
                ch = th;
                x = random.nextInt(w - tw + 1);
                y = random.nextInt(h - th + 1);
                break;
            }
        }
        RgbImage out = Resampling.bicubic(crop(image, x, y, cw, ch), size, size);
        if (flip && random.nextBoolean()) {
            out = Resampling.flipHorizontal(out);
        }
        return out.toChannelsFirst();
    }

    /** The test view of {@code image}: shorter side to {@code size}, centre crop; channels first. */
    public float[] test(RgbImage image) {
        int w = image.width();
        int h = image.height();
        int rw = w <= h ? size : (int) Math.round((double) w * size / h);
        int rh = h <= w ? size : (int) Math.round((double) h * size / w);
        RgbImage resized = Resampling.bicubic(image, rw, rh);
        return crop(resized, (rw - size) / 2, (rh - size) / 2, size, size).toChannelsFirst();
    }

    static RgbImage crop(RgbImage src, int x, int y, int w, int h) {
        if (x == 0 && y == 0 && w == src.width() && h == src.height()) {
            return src;
        }
        byte[] out = new byte[3 * w * h];
        for (int r = 0; r < h; r++) {
            System.arraycopy(src.pixels(), 3 * ((y + r) * src.width() + x), out, 3 * r * w, 3 * w);
        }
        return new RgbImage(w, h, out);
    }
}
