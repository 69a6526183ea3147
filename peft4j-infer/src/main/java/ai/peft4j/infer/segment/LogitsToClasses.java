package ai.peft4j.infer.segment;

import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.infer.stats.ClassMap;

/**
 * Postprocessing on plain arrays, so it costs the same after any runtime: each frame pixel samples the logits
 * bilinearly (half-pixel centres, as a resize without corner alignment) at its place inside the letterbox, and
 * takes the class with the largest value. Sampling straight from the model's grid skips cropping and a second
 * resized copy.
 */
public final class LogitsToClasses {
    private LogitsToClasses() {}

    /**
     * @param logits {@code [1, classes, height, width]} row-major
     * @param input the prepared frame the logits came from
     */
    public static ClassMap classes(float[] logits, int classes, int height, int width, ModelInput input) {
        if (logits.length != classes * height * width) {
            throw new IllegalArgumentException("logits of " + logits.length + " values are not [1, " + classes + ", "
                    + height + ", " + width + "]");
        }
        Letterbox.Placement p = input.placement();
        int fw = input.frameWidth();
        int fh = input.frameHeight();
        double sx = (double) width / input.width();
        double sy = (double) height / input.height();
        int plane = height * width;
        int[] x0 = new int[fw];
        int[] x1 = new int[fw];
        float[] wx = new float[fw];
        for (int x = 0; x < fw; x++) {
            double gx = (p.left() + (x + 0.5) * p.scaledWidth() / fw) * sx - 0.5;
            gx = Math.max(0, Math.min(width - 1, gx));
            x0[x] = (int) gx;
            x1[x] = Math.min(width - 1, x0[x] + 1);
            wx[x] = (float) (gx - x0[x]);
        }
        int[] out = new int[fw * fh];
        for (int y = 0; y < fh; y++) {
            double gy = (p.top() + (y + 0.5) * p.scaledHeight() / fh) * sy - 0.5;
            gy = Math.max(0, Math.min(height - 1, gy));
            int y0 = (int) gy;
            int y1 = Math.min(height - 1, y0 + 1);
            float wy = (float) (gy - y0);
            for (int x = 0; x < fw; x++) {
                int best = 0;
                float bestValue = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    int base = c * plane;
                    float top = lerp(logits[base + y0 * width + x0[x]], logits[base + y0 * width + x1[x]], wx[x]);
                    float bottom = lerp(logits[base + y1 * width + x0[x]], logits[base + y1 * width + x1[x]], wx[x]);
                    float v = lerp(top, bottom, wy);
                    if (v > bestValue) {
                        bestValue = v;
                        best = c;
                    }
                }
                out[y * fw + x] = best;
            }
        }
        return new ClassMap(fw, fh, out);
    }

    private static float lerp(float a, float b, float t) {
        return a + (b - a) * t;
    }
}
