package ai.peft4j.data.transform;

import ai.peft4j.data.image.RgbImage;

/**
 * Colour jitter in OpenCV's 8-bit HSV (hue 0-179, saturation and value 0-255), through lookup tables as the
 * published loader does: hue times a factor modulo 180, saturation and value times factors clipped to 255, each
 * truncated to an integer. The conversions reproduce OpenCV's {@code RGB2HSV} (12-bit fixed point) and
 * {@code HSV2RGB} (single-precision float) for 8-bit images.
 */
public final class HsvJitter {
    private HsvJitter() {}

    private static final int HSV_SHIFT = 12;
    private static final int[] SDIV = new int[256];
    private static final int[] HDIV = new int[256];
    private static final int[][] SECTORS = {{1, 3, 0}, {1, 0, 2}, {3, 0, 1}, {0, 2, 1}, {0, 1, 3}, {2, 1, 0}};

    static {
        for (int i = 1; i < 256; i++) {
            SDIV[i] = (int) Math.rint((255 << HSV_SHIFT) / (1.0 * i));
            HDIV[i] = (int) Math.rint((180 << HSV_SHIFT) / (6.0 * i));
        }
    }

    /** Multiplies hue, saturation and value by the given factors (the published {@code r}). */
    public static RgbImage apply(RgbImage image, double hueFactor, double satFactor, double valFactor) {
        int[] lutH = new int[256];
        int[] lutS = new int[256];
        int[] lutV = new int[256];
        for (int x = 0; x < 256; x++) {
            // Python-style modulo (never negative), then truncation to uint8 as numpy's astype.
            lutH[x] = (int) (((x * hueFactor) % 180 + 180) % 180) & 0xFF;
            lutS[x] = (int) Math.min(Math.max(x * satFactor, 0), 255);
            lutV[x] = (int) Math.min(Math.max(x * valFactor, 0), 255);
        }
        byte[] in = image.pixels();
        byte[] out = new byte[in.length];
        int[] hsv = new int[3];
        float[] rgb = new float[3];
        for (int i = 0; i < in.length; i += 3) {
            toHsv(in[i] & 0xFF, in[i + 1] & 0xFF, in[i + 2] & 0xFF, hsv);
            toRgb(lutH[hsv[0]], lutS[hsv[1]], lutV[hsv[2]], rgb);
            out[i] = saturate(rgb[0] * 255f);
            out[i + 1] = saturate(rgb[1] * 255f);
            out[i + 2] = saturate(rgb[2] * 255f);
        }
        return new RgbImage(image.width(), image.height(), out);
    }

    /** OpenCV's 8-bit RGB to HSV with hue range 180. */
    static void toHsv(int r, int g, int b, int[] hsv) {
        int v = Math.max(b, Math.max(g, r));
        int vmin = Math.min(b, Math.min(g, r));
        int diff = v - vmin;
        int vr = v == r ? -1 : 0;
        int vg = v == g ? -1 : 0;
        int s = (diff * SDIV[v] + (1 << (HSV_SHIFT - 1))) >> HSV_SHIFT;
        int h = (vr & (g - b)) + (~vr & ((vg & (b - r + 2 * diff)) + (~vg & (r - g + 4 * diff))));
        h = (h * HDIV[diff] + (1 << (HSV_SHIFT - 1))) >> HSV_SHIFT;
        h += h < 0 ? 180 : 0;
        hsv[0] = Math.min(h, 255);
        hsv[1] = s;
        hsv[2] = v;
    }

    /** OpenCV's 8-bit HSV (hue range 180) to RGB in [0, 1], in float as OpenCV computes it. */
    static void toRgb(int hue, int sat, int val, float[] rgb) {
        float h = hue;
        float s = sat * (1f / 255f);
        float v = val * (1f / 255f);
        float r;
        float g;
        float b;
        if (s == 0) {
            r = g = b = v;
        } else {
            h *= 6f / 180f;
            h = h % 6f;
            int sector = (int) Math.floor(h);
            h -= sector;
            if (sector < 0 || sector >= 6) {
                sector = 0;
                h = 0f;
            }
            float p = v * (1f - s);
            float q = v * (1f - s * h);
            float t = v * (1f - s * (1f - h));
            b = pick(SECTORS[sector][0], v, p, q, t);
            g = pick(SECTORS[sector][1], v, p, q, t);
            r = pick(SECTORS[sector][2], v, p, q, t);
        }
        rgb[0] = r;
        rgb[1] = g;
        rgb[2] = b;
    }

    /** OpenCV's {@code tab[i]} without allocating it per pixel. */
    private static float pick(int i, float v, float p, float q, float t) {
        return i == 0 ? v : i == 1 ? p : i == 2 ? q : t;
    }

    private static byte saturate(float v) {
        int i = (int) Math.rint(v);
        return (byte) (i < 0 ? 0 : Math.min(i, 255));
    }
}
