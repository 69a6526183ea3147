package ai.peft4j.models.florence2;

/**
 * Florence-2's box coordinates as {@code <loc_N>} bins ({@code BoxQuantizer}, mode {@code floor}): a coordinate
 * becomes {@code floor(v / (size / bins))} clamped to {@code 0..bins-1}, and a bin reads back as its centre,
 * {@code (q + 0.5) size / bins}. Arithmetic is in float32 with the bin width computed in double and then rounded,
 * as the published code does on float tensors, so the bins and centres are the same to the last bit.
 */
public final class BoxQuantizer {
    private final int binsW;
    private final int binsH;

    public BoxQuantizer(int binsW, int binsH) {
        if (binsW < 1 || binsH < 1) {
            throw new IllegalArgumentException("bins must be positive, got " + binsW + "x" + binsH);
        }
        this.binsW = binsW;
        this.binsH = binsH;
    }

    /** Florence-2's 1,000 bins each way. */
    public static BoxQuantizer florence2() {
        return new BoxQuantizer(Florence2Tokenizer.LOC_BINS, Florence2Tokenizer.LOC_BINS);
    }

    /** Bins of a box {@code x1, y1, x2, y2} in pixels of an image {@code width x height}. */
    public int[] quantize(float[] box, int width, int height) {
        float perW = (float) ((double) width / binsW);
        float perH = (float) ((double) height / binsH);
        return new int[] {bin(box[0] / perW, binsW), bin(box[1] / perH, binsH), bin(box[2] / perW, binsW),
            bin(box[3] / perH, binsH)};
    }

    /** The pixel box {@code x1, y1, x2, y2} (bin centres) of four bins. */
    public float[] dequantize(int[] bins, int width, int height) {
        float perW = (float) ((double) width / binsW);
        float perH = (float) ((double) height / binsH);
        return new float[] {(bins[0] + 0.5f) * perW, (bins[1] + 0.5f) * perH, (bins[2] + 0.5f) * perW,
            (bins[3] + 0.5f) * perH};
    }

    /** The answer text of one box: the label, then its four {@code <loc_N>} tokens. */
    public String target(String label, float[] box, int width, int height) {
        StringBuilder sb = new StringBuilder(label);
        for (int q : quantize(box, width, height)) {
            sb.append("<loc_").append(q).append('>');
        }
        return sb.toString();
    }

    private static int bin(float v, int bins) {
        return (int) Math.max(0, Math.min(bins - 1, Math.floor(v)));
    }
}
