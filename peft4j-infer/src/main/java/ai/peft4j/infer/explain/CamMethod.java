package ai.peft4j.infer.explain;

import java.util.Locale;

/**
 * How a module's activations {@code A} and the gradients {@code G} of the target with respect to them become one
 * map, as pytorch-grad-cam (which the published {@code visualization.py} uses) computes them.
 */
public enum CamMethod {
    /** Jiang et al. 2021: {@code relu(sum_c relu(G_c) * A_c)}, each position weighted by its own gradient. */
    LAYERCAM,
    /** Selvaraju et al. 2017: {@code relu(sum_c mean(G_c) * A_c)}, one weight per channel. */
    GRADCAM;

    /** The name the command line takes: {@code layercam} or {@code gradcam}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The map before normalisation.
     *
     * @param activation {@code [channels, plane]} row-major
     * @param gradient the same layout
     * @return {@code plane} values, none negative
     */
    public float[] combine(float[] activation, float[] gradient, int channels, int plane) {
        if (activation.length != channels * plane || gradient.length != activation.length) {
            throw new IllegalArgumentException("activation of " + activation.length + " and gradient of "
                    + gradient.length + " values are not " + channels + " channels of " + plane);
        }
        double[] sum = new double[plane];
        for (int c = 0; c < channels; c++) {
            int base = c * plane;
            if (this == GRADCAM) {
                double w = 0;
                for (int p = 0; p < plane; p++) {
                    w += gradient[base + p];
                }
                w /= plane;
                for (int p = 0; p < plane; p++) {
                    sum[p] += w * activation[base + p];
                }
            } else {
                for (int p = 0; p < plane; p++) {
                    float g = gradient[base + p];
                    if (g > 0) {
                        sum[p] += g * activation[base + p];
                    }
                }
            }
        }
        float[] out = new float[plane];
        for (int p = 0; p < plane; p++) {
            out[p] = (float) Math.max(0, sum[p]);
        }
        return out;
    }

    /** The method of a command-line key; the message lists the keys. */
    public static CamMethod of(String key) {
        for (CamMethod m : values()) {
            if (m.key().equals(key.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown CAM method '" + key + "'; use layercam or gradcam");
    }
}
