package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.tensor.Scalars;

/**
 * The additive attention masks of transformers' BART: 0 where attention is allowed, the dtype's lowest finite value
 * where it is not (not minus infinity, so a fully masked row stays finite).
 */
final class BartMasks {
    private BartMasks() {}

    /** {@code mask [B, S]} (1 keep, 0 padding) as a bias {@code [B, 1, 1, S]}. */
    static NDArray padding(NDArray mask) {
        Shape s = mask.getShape();
        NDArray m = mask.toType(DataType.FLOAT32, false);
        return Scalars.mul(Scalars.sub(m, 1f).neg(), -Float.MAX_VALUE).reshape(s.get(0), 1, 1, s.get(1));
    }

    /** A causal bias {@code [1, 1, T, T]}: position i sees positions 0..i. */
    static NDArray causal(NDArray like, long t) {
        return causal(like, t, 0);
    }

    /** A causal bias {@code [1, 1, T, past + T]} for T new tokens after {@code past} cached ones. */
    static NDArray causal(NDArray like, long t, long past) {
        long s = past + t;
        float[] v = new float[Math.toIntExact(t * s)];
        for (int i = 0; i < t; i++) {
            for (long j = past + i + 1; j < s; j++) {
                v[(int) (i * s + j)] = -Float.MAX_VALUE;
            }
        }
        return like.getManager().create(v, new Shape(1, 1, t, s)).toType(like.getDataType(), false);
    }
}
