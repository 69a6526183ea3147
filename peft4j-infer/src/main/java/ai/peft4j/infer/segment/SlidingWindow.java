package ai.peft4j.infer.segment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.engine.NoGradient;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.data.crop.CropConfig;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Resampling;
import ai.peft4j.infer.stats.ClassMap;
import java.util.ArrayList;
import java.util.List;

/**
 * Sliding-window inference for models trained on crops: the image, optionally rescaled by {@code scale} (bicubic,
 * as training rescales it), is cut into {@code tile x tile} tiles that overlap by a share {@code overlap} (the last
 * tile of a row or column aligned to the border; an image smaller than a tile is padded with the letterbox grey).
 * Tiles run through the model {@code batch} at a time; their logits are blended into one full-size map with a 2-D
 * Hann weight, divided by the summed weights, so that where one tile alone covers a pixel its logits pass unchanged
 * and across seams they fade from one tile into the next. Logits (not probabilities) are blended so that validation
 * can score the loss on the same map. Only the per-class float maps of the image are held, never all tiles. The map
 * is resized bilinearly (half-pixel centres) back to the original size when rescaled; argmax gives the classes.
 *
 * @param tile side of the square tiles: the training crop size
 * @param overlap share of a tile that neighbouring tiles share, in [0, 1)
 * @param batch tiles per forward pass
 * @param scale the training scale: images are resized by it before tiling
 */
public record SlidingWindow(int tile, double overlap, int batch, double scale) {
    /** The letterbox grey, which training uses for padding too. */
    private static final float GREY = 128 / 255f;

    public SlidingWindow {
        if (tile < 1) {
            throw new IllegalArgumentException("tile size must be positive, got " + tile);
        }
        if (!(overlap >= 0 && overlap < 1)) {
            throw new IllegalArgumentException("tile overlap is a share of the tile in [0, 1), got " + overlap);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("tile batch must be at least 1, got " + batch);
        }
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("scale must be a positive number, got " + scale);
        }
    }

    /** A model seen tile by tile: images {@code [B, 3, tile, tile]} in [0, 1] to logits {@code [B, C, h, w]}. */
    @FunctionalInterface
    public interface TileModel {
        NDArray forward(NDArray tiles);
    }

    /**
     * Per-class maps of an image.
     *
     * @param values {@code [classes, height, width]} row-major
     */
    public record Logits(float[] values, int classes, int height, int width) {
        /** The class with the largest value at each pixel (the first on a tie). */
        public int[] argmax() {
            int plane = height * width;
            int[] out = new int[plane];
            for (int i = 0; i < plane; i++) {
                int best = 0;
                float v = values[i];
                for (int c = 1; c < classes; c++) {
                    if (values[c * plane + i] > v) {
                        v = values[c * plane + i];
                        best = c;
                    }
                }
                out[i] = best;
            }
            return out;
        }
    }

    /** The first pixel of each tile along a side of {@code side} pixels (at least one tile; the last at the end). */
    public static int[] origins(int side, int tile, double overlap) {
        if (side <= tile) {
            return new int[] {0};
        }
        int stride = Math.max(1, (int) Math.round(tile * (1 - overlap)));
        List<Integer> at = new ArrayList<>();
        for (int o = 0; o + tile < side; o += stride) {
            at.add(o);
        }
        at.add(side - tile);
        return at.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The 1-D Hann weight over a tile, sampled at pixel centres so that it is positive everywhere (a border pixel
     * covered by one tile alone still gets that tile's logits).
     */
    public static float[] hann(int tile) {
        float[] w = new float[tile];
        for (int i = 0; i < tile; i++) {
            w[i] = (float) (0.5 - 0.5 * Math.cos(2 * Math.PI * (i + 0.5) / tile));
        }
        return w;
    }

    /**
     * {@code image} rescaled and channels first, for {@link TiledFrameModel} on a stream: the "letterbox" is the
     * whole rescaled image, so that the class map is sampled back to the frame's size as the letterbox path's is.
     */
    public ModelInput prepare(RgbImage image) {
        int sw = CropConfig.scaledSide(image.width(), scale);
        int sh = CropConfig.scaledSide(image.height(), scale);
        RgbImage scaled = sw == image.width() && sh == image.height() ? image : Resampling.bicubic(image, sw, sh);
        return new ModelInput(scaled.toChannelsFirst(), sw, sh, new ai.peft4j.data.transform.Letterbox.Placement(0,
                0, sw, sh), image.width(), image.height());
    }

    /** The class map of {@code image} at its own size. */
    public ClassMap classes(RgbImage image, TileModel model) {
        return new ClassMap(image.width(), image.height(), logits(image, model).argmax());
    }

    /** The blended logits of {@code image}, at its own size. */
    public Logits logits(RgbImage image, TileModel model) {
        int w = image.width();
        int h = image.height();
        int sw = CropConfig.scaledSide(w, scale);
        int sh = CropConfig.scaledSide(h, scale);
        RgbImage scaled = sw == w && sh == h ? image : Resampling.bicubic(image, sw, sh);
        Logits at = blend(scaled.toChannelsFirst(), sh, sw, model);
        return sw == w && sh == h ? at : resize(at, h, w);
    }

    /** The blended logits of a channels-first image {@code [3, height, width]} in [0, 1], without rescaling. */
    public Logits blend(float[] pixels, int height, int width, TileModel model) {
        int[] xs = origins(width, tile, overlap);
        int[] ys = origins(height, tile, overlap);
        float[] hann = hann(tile);
        int plane = height * width;
        float[] weightSum = new float[plane];
        float[] sums = null;
        int classes = 0;
        int count = xs.length * ys.length;
        int tilePlane = tile * tile;
        try (NDManager manager = EngineSetup.newManager()) {
            for (int first = 0; first < count; first += batch) {
                int n = Math.min(batch, count - first);
                float[] input = new float[n * 3 * tilePlane];
                java.util.Arrays.fill(input, GREY);
                for (int k = 0; k < n; k++) {
                    int x0 = xs[(first + k) % xs.length];
                    int y0 = ys[(first + k) / xs.length];
                    copyTile(pixels, height, width, x0, y0, input, k * 3 * tilePlane);
                }
                float[] out;
                try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray x = m.create(input, new Shape(n, 3, tile, tile));
                    NDArray logits = NoGradient.run(() -> {
                        NDArray y = model.forward(x);
                        Shape s = y.getShape();
                        if (s.dimension() != 4 || s.get(0) != n) {
                            throw new IllegalStateException("the model gave logits of shape " + s + " for " + n
                                    + " tiles; expected [" + n + ", classes, H, W]");
                        }
                        // A model whose output has a size of its own (FastSegFormer's 224) is brought to the tile.
                        return Resize.bilinear(y, tile, tile, false);
                    });
                    if (sums == null) {
                        classes = (int) logits.getShape().get(1);
                        sums = new float[classes * plane];
                    }
                    out = logits.toFloatArray();
                }
                for (int k = 0; k < n; k++) {
                    int x0 = xs[(first + k) % xs.length];
                    int y0 = ys[(first + k) / xs.length];
                    accumulate(out, k * classes * tilePlane, classes, x0, y0, height, width, hann, sums, weightSum);
                }
            }
        }
        for (int c = 0; c < classes; c++) {
            for (int i = 0; i < plane; i++) {
                sums[c * plane + i] /= weightSum[i];
            }
        }
        return new Logits(sums, classes, height, width);
    }

    private void copyTile(float[] pixels, int height, int width, int x0, int y0, float[] into, int offset) {
        int rows = Math.min(tile, height - y0);
        int cols = Math.min(tile, width - x0);
        int plane = height * width;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < rows; y++) {
                System.arraycopy(pixels, c * plane + (y0 + y) * width + x0, into,
                        offset + c * tile * tile + y * tile, cols);
            }
        }
    }

    private void accumulate(float[] logits, int offset, int classes, int x0, int y0, int height, int width,
            float[] hann, float[] sums, float[] weightSum) {
        int rows = Math.min(tile, height - y0);
        int cols = Math.min(tile, width - x0);
        int plane = height * width;
        int tilePlane = tile * tile;
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                float wgt = hann[y] * hann[x];
                int p = (y0 + y) * width + x0 + x;
                weightSum[p] += wgt;
                for (int c = 0; c < classes; c++) {
                    sums[c * plane + p] += wgt * logits[offset + c * tilePlane + y * tile + x];
                }
            }
        }
    }

    /** Bilinear resize of every class map, half-pixel centres (as OpenCV's INTER_LINEAR without antialiasing). */
    static Logits resize(Logits in, int height, int width) {
        int ih = in.height();
        int iw = in.width();
        int[] x0 = new int[width];
        int[] x1 = new int[width];
        float[] fx = new float[width];
        for (int x = 0; x < width; x++) {
            double g = Math.max(0, Math.min(iw - 1, (x + 0.5) * iw / width - 0.5));
            x0[x] = (int) g;
            x1[x] = Math.min(iw - 1, x0[x] + 1);
            fx[x] = (float) (g - x0[x]);
        }
        float[] out = new float[in.classes() * height * width];
        for (int y = 0; y < height; y++) {
            double g = Math.max(0, Math.min(ih - 1, (y + 0.5) * ih / height - 0.5));
            int y0 = (int) g;
            int y1 = Math.min(ih - 1, y0 + 1);
            float fy = (float) (g - y0);
            for (int c = 0; c < in.classes(); c++) {
                int base = c * ih * iw;
                for (int x = 0; x < width; x++) {
                    float[] v = in.values();
                    float top = v[base + y0 * iw + x0[x]] + (v[base + y0 * iw + x1[x]] - v[base + y0 * iw + x0[x]])
                            * fx[x];
                    float bottom = v[base + y1 * iw + x0[x]] + (v[base + y1 * iw + x1[x]]
                            - v[base + y1 * iw + x0[x]]) * fx[x];
                    out[(c * height + y) * width + x] = top + (bottom - top) * fy;
                }
            }
        }
        return new Logits(out, in.classes(), height, width);
    }
}
