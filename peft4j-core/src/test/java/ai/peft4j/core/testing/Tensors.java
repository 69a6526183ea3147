package ai.peft4j.core.testing;

import ai.djl.ndarray.NDArray;
import org.opentest4j.AssertionFailedError;

/** Assertions on tensors that report where and by how much they differ. */
public final class Tensors {
    private Tensors() {}

    /** Largest absolute element-wise difference. */
    public static double maxAbsDiff(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            throw new AssertionFailedError("shapes differ: " + a.getShape() + " vs " + b.getShape());
        }
        double[] x = doubles(a);
        double[] y = doubles(b);
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            double d = Math.abs(x[i] - y[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            max = Math.max(max, d);
        }
        return max;
    }

    /** Largest absolute element. */
    public static double maxAbs(NDArray a) {
        double max = 0;
        for (double v : doubles(a)) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    /** The values as doubles, whatever the floating type. */
    public static double[] doubles(NDArray a) {
        if (a.getDataType() == ai.djl.ndarray.types.DataType.FLOAT64) {
            return a.toDoubleArray();
        }
        float[] f = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** Fails unless every element of {@code actual} is within {@code tol} of {@code expected}. */
    public static void assertClose(NDArray expected, NDArray actual, double tol, String what) {
        double d = maxAbsDiff(expected, actual);
        if (!(d <= tol)) {
            throw new AssertionFailedError(what + ": max |difference| " + d + " exceeds " + tol
                    + " (largest expected magnitude " + maxAbs(expected) + ")");
        }
    }
}
