package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;

/**
 * The prompts of a batch, each optional: clicks {@code points [B, N, 2]} (x, y in input pixels) with
 * {@code labels [B, N]} (1 foreground, 0 background, -1 padding), boxes {@code [B, 4]} (x0, y0, x1, y1 in input
 * pixels), and low-res mask logits {@code [B, 1, 4h, 4w]}.
 */
public record Prompts(NDArray points, NDArray labels, NDArray boxes, NDArray masks) {
    public Prompts {
        if ((points == null) != (labels == null)) {
            throw new IllegalArgumentException("points and labels go together: got "
                    + (points == null ? "labels without points" : "points without labels"));
        }
    }

    public static Prompts points(NDArray points, NDArray labels) {
        return new Prompts(points, labels, null, null);
    }

    public static Prompts boxes(NDArray boxes) {
        return new Prompts(null, null, boxes, null);
    }
}
