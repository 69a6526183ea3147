package ai.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Float one-hot targets {@code [N, C, H, W]} of class ids {@code [N, H, W]}; ids outside [0, C) give zero rows. */
final class OneHot {
    private OneHot() {}

    static NDArray of(NDArray labels, int numClasses) {
        NDArray ids = labels.getManager().arange(numClasses).toType(labels.getDataType(), false)
                .reshape(new Shape(1, numClasses, 1, 1));
        return labels.expandDims(1).eq(ids).toType(DataType.FLOAT32, false);
    }

    static void checkShapes(NDArray logits, NDArray labels, int numClasses) {
        Shape s = logits.getShape();
        Shape t = labels.getShape();
        if (s.dimension() != 4 || t.dimension() != 3 || s.get(0) != t.get(0) || s.get(2) != t.get(1)
                || s.get(3) != t.get(2)) {
            throw new IllegalArgumentException("loss needs logits [N, C, H, W] and labels [N, H, W] of the same "
                    + "N, H, W; got " + s + " and " + t);
        }
        if (s.get(1) != numClasses) {
            throw new IllegalArgumentException("logits have " + s.get(1) + " channels but the loss was built for "
                    + numClasses + " classes");
        }
        if (labels.getDataType().isFloating()) {
            throw new IllegalArgumentException("labels must be integer class ids, got " + labels.getDataType());
        }
    }

    static NDArray weights(NDArray like, float[] classWeights, int numClasses) {
        float[] w = classWeights;
        if (w == null) {
            w = new float[numClasses];
            java.util.Arrays.fill(w, 1f);
        }
        return like.getManager().create(w).reshape(new Shape(1, numClasses, 1, 1));
    }

    static float[] checkWeights(float[] classWeights, int numClasses) {
        if (classWeights == null) {
            return null;
        }
        if (classWeights.length != numClasses) {
            throw new IllegalArgumentException("class weights have " + classWeights.length + " entries for "
                    + numClasses + " classes");
        }
        for (float v : classWeights) {
            if (!(v >= 0) || Float.isInfinite(v)) {
                throw new IllegalArgumentException("class weights must be finite and non-negative, got "
                        + java.util.Arrays.toString(classWeights));
            }
        }
        return classWeights.clone();
    }
}
