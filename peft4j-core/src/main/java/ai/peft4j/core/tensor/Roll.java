package ai.peft4j.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/** {@code torch.roll} along one axis, which DJL's PyTorch engine does not expose: two slices and a concatenation. */
public final class Roll {
    private Roll() {}

    /** Shifts elements {@code shift} places along {@code axis}, wrapping around; negative shifts go backwards. */
    public static NDArray roll(NDArray x, long shift, int axis) {
        int ax = axis < 0 ? axis + x.getShape().dimension() : axis;
        long n = x.getShape().get(ax);
        long k = ((shift % n) + n) % n;
        if (k == 0) {
            return x;
        }
        NDArray tail = x.get(slice(ax, n - k, n));
        NDArray head = x.get(slice(ax, 0, n - k));
        return tail.concat(head, ax);
    }

    private static NDIndex slice(int axis, long from, long to) {
        NDIndex idx = new NDIndex();
        for (int i = 0; i < axis; i++) {
            idx.addAllDim();
        }
        return idx.addSliceDim(from, to);
    }
}
