package ai.peft4j.data.crop;

import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.Sample;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.loader.BatchLoader;
import ai.peft4j.data.transform.HsvJitter;
import ai.peft4j.data.transform.Resampling;
import java.util.SplittableRandom;

/**
 * Training samples as square crops of the images at native resolution (or rescaled), one per data set index and
 * epoch, all drawn from the generator of (seed, epoch, index). With probability {@code defectShare} a crop is
 * centred on a defect pixel: the class is drawn uniformly among the defect classes present in the data (so a rare
 * class comes as often as a common one), then an image holding it, then one of its pixels there; the crop is moved
 * inside the image where the centre is near a border. Otherwise the crop lies uniformly at random in image
 * {@code index}. An image smaller than the crop is placed at a random offset on the letterbox grey, its padding
 * labelled with the ignore label so that the loss does not learn it as background.
 */
public final class CropSampler implements BatchLoader.SampleSource {
    /** The letterbox canvas grey, so that padding looks as it does at evaluation. */
    private static final int GREY = 128;

    private final ImageDataset data;
    private final DefectIndex index;
    private final CropConfig config;
    private final long seed;
    private final int[] present;

    public CropSampler(ImageDataset data, DefectIndex index, CropConfig config, long seed) {
        if (index.size() != data.size()) {
            throw new IllegalArgumentException("the defect index has " + index.size() + " images, " + data.name()
                    + " has " + data.size());
        }
        this.data = data;
        this.index = index;
        this.config = config;
        this.seed = seed;
        this.present = index.presentClasses();
    }

    @Override
    public Sample load(int sample, int epoch) {
        return crop(sample, epoch).toSample();
    }

    /** The crop of data set index {@code sample} in {@code epoch}, augmented. */
    public LabelledImage crop(int sample, int epoch) {
        SplittableRandom random = BatchLoader.sampleRandom(seed, epoch, sample);
        int image = sample;
        int centre = -1;
        if (present.length > 0 && random.nextDouble() < config.defectShare()) {
            int c = present[random.nextInt(present.length)];
            int[] images = index.imagesWithShared(c);
            image = images[random.nextInt(images.length)];
            int[] kept = index.positionsShared(image, c);
            centre = kept[random.nextInt(kept.length)];
        }
        LabelledImage pair = data.read(image);
        int w = pair.width();
        int h = pair.height();
        int sw = CropConfig.scaledSide(w, config.scale());
        int sh = CropConfig.scaledSide(h, config.scale());
        RgbImage img = pair.image();
        int[] mask = pair.mask();
        if (sw != w || sh != h) {
            img = Resampling.bicubic(img, sw, sh);
            mask = Resampling.nearest(mask, w, h, sw, sh);
        }
        int size = config.size();
        int left;
        int top;
        if (centre >= 0) {
            double cx = (centre % w + 0.5) * sw / w;
            double cy = (centre / w + 0.5) * sh / h;
            left = origin(cx, size, sw, random);
            top = origin(cy, size, sh, random);
        } else {
            left = origin(-1, size, sw, random);
            top = origin(-1, size, sh, random);
        }
        LabelledImage crop = cut(pair.id(), img, mask, left, top, size, data.ignoreLabel());
        return augment(crop, random);
    }

    /**
     * The first column (row) of the crop: around {@code centre} and inside the image, or uniform when
     * {@code centre < 0}; negative (the image placed at a random offset) when the image is smaller than the crop.
     */
    private static int origin(double centre, int size, int side, SplittableRandom random) {
        if (side <= size) {
            return -random.nextInt(size - side + 1);
        }
        if (centre < 0) {
            return random.nextInt(side - size + 1);
        }
        int o = (int) Math.floor(centre - size / 2.0);
        return Math.max(0, Math.min(side - size, o));
    }

    /** The {@code size x size} window at (left, top); what falls outside the image is grey and ignored. */
    static LabelledImage cut(String id, RgbImage image, int[] mask, int left, int top, int size, int ignore) {
        RgbImage out = RgbImage.filled(size, size, GREY, GREY, GREY);
        int[] labels = new int[size * size];
        java.util.Arrays.fill(labels, ignore);
        int w = image.width();
        int x0 = Math.max(0, -left);
        int x1 = Math.min(size, w - left);
        int y0 = Math.max(0, -top);
        int y1 = Math.min(size, image.height() - top);
        byte[] src = image.pixels();
        byte[] dst = out.pixels();
        for (int y = y0; y < y1 && x1 > x0; y++) {
            int s = (y + top) * w + x0 + left;
            System.arraycopy(src, 3 * s, dst, 3 * (y * size + x0), 3 * (x1 - x0));
            System.arraycopy(mask, s, labels, y * size + x0, x1 - x0);
        }
        return new LabelledImage(id, out, labels);
    }

    /** The published flip and HSV jitter (in their order of draws) when augmenting, a quarter turn when asked. */
    private LabelledImage augment(LabelledImage crop, SplittableRandom random) {
        RgbImage image = crop.image();
        int[] mask = crop.mask();
        int size = image.width();
        if (config.augment() && random.nextDouble() < 0.5) {
            image = Resampling.flipHorizontal(image);
            mask = Resampling.flipHorizontal(mask, size, size);
        }
        if (config.rotate90()) {
            for (int k = random.nextInt(4); k > 0; k--) {
                image = rotate(image);
                mask = rotate(mask, size);
            }
        }
        if (config.augment()) {
            double rh = uniform(random) * 0.1 + 1;
            double rs = uniform(random) * 0.7 + 1;
            double rv = uniform(random) * 0.3 + 1;
            image = HsvJitter.apply(image, rh, rs, rv);
        }
        return new LabelledImage(crop.id(), image, mask);
    }

    private static double uniform(SplittableRandom random) {
        return random.nextDouble() * 2 - 1;
    }

    /** A quarter turn clockwise of a square image. */
    static RgbImage rotate(RgbImage image) {
        int n = image.width();
        byte[] src = image.pixels();
        byte[] dst = new byte[src.length];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int d = 3 * (x * n + (n - 1 - y));
                int s = 3 * (y * n + x);
                dst[d] = src[s];
                dst[d + 1] = src[s + 1];
                dst[d + 2] = src[s + 2];
            }
        }
        return new RgbImage(n, n, dst);
    }

    /** The same quarter turn of a square mask. */
    static int[] rotate(int[] mask, int n) {
        int[] out = new int[mask.length];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                out[x * n + (n - 1 - y)] = mask[y * n + x];
            }
        }
        return out;
    }
}
