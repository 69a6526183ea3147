package ai.peft4j.data.dedup;

/**
 * The eight ways to rotate or flip an image onto its own grid (the dihedral group of the square). Rotations are
 * counter-clockwise, as numpy's {@code rot90} turns an array: {@code ROT90} makes the top row the left column.
 * {@code TRANSPOSE} swaps rows and columns (a flip about the main diagonal), {@code TRANSVERSE} flips about the
 * other diagonal. A rotation by 90 or 270 degrees and both diagonal flips swap width and height.
 */
public enum Dihedral {
    IDENTITY("identity", 0, false),
    ROT90("rot90", 1, false),
    ROT180("rot180", 2, false),
    ROT270("rot270", 3, false),
    FLIP_H("flipH", 0, true),
    TRANSPOSE("transpose", 1, true),
    FLIP_V("flipV", 2, true),
    TRANSVERSE("transverse", 3, true);

    private final String label;
    /** Quarter turns counter-clockwise, applied after the horizontal flip. */
    private final int quarterTurns;
    private final boolean flipFirst;

    Dihedral(String label, int quarterTurns, boolean flipFirst) {
        this.label = label;
        this.quarterTurns = quarterTurns;
        this.flipFirst = flipFirst;
    }

    /** The name written in reports: identity, rot90, rot180, rot270, flipH, flipV, transpose, transverse. */
    public String label() {
        return label;
    }

    /** Whether the result's width is the source's height. */
    public boolean swapsSides() {
        return quarterTurns % 2 == 1;
    }

    /** The transform that undoes this one: rot90 and rot270 undo each other; the rest undo themselves. */
    public Dihedral inverse() {
        return switch (this) {
            case ROT90 -> ROT270;
            case ROT270 -> ROT90;
            default -> this;
        };
    }

    /**
     * Applies the transform to a row-major single-channel image of {@code width x height}; the result is
     * {@code height x width} where {@link #swapsSides()}.
     */
    public float[] apply(float[] pixels, int width, int height) {
        if (pixels.length != width * height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " image has " + width * height
                    + " pixels, got " + pixels.length);
        }
        int outW = swapsSides() ? height : width;
        int outH = swapsSides() ? width : height;
        float[] out = new float[pixels.length];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                // Walk back from the output pixel: undo the quarter turns, then the flip.
                int sx = x;
                int sy = y;
                int w = outW;
                int h = outH;
                for (int t = 0; t < quarterTurns; t++) {
                    // Pixel (x, y) of a turned w x h image came from (h - 1 - y, x) of the h x w one before it.
                    int px = h - 1 - sy;
                    int py = sx;
                    sx = px;
                    sy = py;
                    int tw = w;
                    w = h;
                    h = tw;
                }
                if (flipFirst) {
                    sx = w - 1 - sx;
                }
                out[y * outW + x] = pixels[sy * width + sx];
            }
        }
        return out;
    }

    /** The transform named {@code label} (as {@link #label()} writes it). */
    public static Dihedral of(String label) {
        for (Dihedral d : values()) {
            if (d.label.equals(label)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown transform '" + label + "'; known: identity, rot90, rot180, "
                + "rot270, flipH, flipV, transpose, transverse");
    }
}
