package ai.peft4j.train.classify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * timm's {@code Mixup} in batch mode, which peft-vit offers (alphas 0 by default): each batch is paired with itself
 * reversed and mixed by one {@code lam ~ Beta(alpha, alpha)}: MixUp blends the images, CutMix pastes a box of the
 * partner whose area is {@code 1 - lam} (lam then corrected to the clipped box); with both alphas set, CutMix is
 * chosen half the time. Targets are mixed by the same lam.
 *
 * @param mixupAlpha MixUp's alpha, 0 for none
 * @param cutmixAlpha CutMix's alpha, 0 for none
 */
public record BatchMixing(double mixupAlpha, double cutmixAlpha) {
    public BatchMixing {
        if (mixupAlpha < 0 || cutmixAlpha < 0) {
            throw new IllegalArgumentException("mixup and cutmix alphas must be 0 (off) or positive, got "
                    + mixupAlpha + " and " + cutmixAlpha);
        }
    }

    public boolean isOff() {
        return mixupAlpha == 0 && cutmixAlpha == 0;
    }

    /** Images {@code [N, C, H, W]} and soft targets {@code [N, K]} mixed; {@code [images, targets]}. */
    public NDArray[] apply(NDArray images, NDArray targets, Random random) {
        if (isOff()) {
            return new NDArray[] {images, targets};
        }
        boolean cutmix = cutmixAlpha > 0 && (mixupAlpha == 0 || random.nextBoolean());
        double lam = beta(cutmix ? cutmixAlpha : mixupAlpha, random);
        NDArray partner = images.flip(0);
        NDArray mixed;
        if (cutmix) {
            Shape s = images.getShape();
            int h = (int) s.get(2);
            int w = (int) s.get(3);
            double cut = Math.sqrt(1 - lam);
            int ch = (int) (h * cut);
            int cw = (int) (w * cut);
            int cy = random.nextInt(h);
            int cx = random.nextInt(w);
            int y0 = Math.max(cy - ch / 2, 0);
            int y1 = Math.min(cy + ch / 2, h);
            int x0 = Math.max(cx - cw / 2, 0);
            int x1 = Math.min(cx + cw / 2, w);
            float[] box = new float[h * w];
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    box[y * w + x] = 1;
                }
            }
            NDManager m = images.getManager();
            NDArray mask = m.create(box, new Shape(1, 1, h, w));
            mixed = images.mul(mask.neg().add(1)).add(partner.mul(mask));
            lam = 1 - (double) (y1 - y0) * (x1 - x0) / (h * w);
        } else {
            mixed = images.mul(lam).add(partner.mul(1 - lam));
        }
        return new NDArray[] {mixed, targets.mul(lam).add(targets.flip(0).mul(1 - lam))};
    }

    /** Beta(a, a) as the ratio of two Gamma(a) draws (Marsaglia and Tsang; boosted below a = 1). */
    static double beta(double a, Random r) {
        double x = gamma(a, r);
        double y = gamma(a, r);
        return x / (x + y);
    }

    private static double gamma(double a, Random r) {
        if (a < 1) {
            return gamma(a + 1, r) * Math.pow(r.nextDouble(), 1 / a);
        }
        double d = a - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = r.nextGaussian();
            double v = 1 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = r.nextDouble();
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
                return d * v;
            }
        }
    }
}
