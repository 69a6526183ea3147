package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;

/** Mask logits {@code [B, T, 4h, 4w]} and predicted IoUs {@code [B, T]} for T mask tokens. */
public record MaskPrediction(NDArray masks, NDArray iou) {
    /** Tokens {@code [from, to)} of both. */
    public MaskPrediction tokens(int from, int to) {
        String s = ":, " + from + ":" + to;
        return new MaskPrediction(masks.get(s), iou.get(s));
    }
}
