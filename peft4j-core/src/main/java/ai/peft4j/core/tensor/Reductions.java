package ai.peft4j.core.tensor;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;

/**
 * Reductions over several axes, which DJL's PyTorch engine rejects ("Only 1 axis is support"): the axes are moved
 * to the end, flattened into one, and reduced there.
 */
public final class Reductions {
    private Reductions() {}

    /** Mean over the given axes, which are removed from the shape. */
    public static NDArray mean(NDArray x, int... axes) {
        return flattenAxes(x, axes).mean(new int[] {-1});
    }

    /** Sum over the given axes, which are removed from the shape. */
    public static NDArray sum(NDArray x, int... axes) {
        return flattenAxes(x, axes).sum(new int[] {-1});
    }

    /** Moves {@code axes} to the end and merges them into one trailing axis. */
    private static NDArray flattenAxes(NDArray x, int... axes) {
        int dims = x.getShape().dimension();
        boolean[] reduced = new boolean[dims];
        for (int a : axes) {
            reduced[a < 0 ? a + dims : a] = true;
        }
        int[] order = new int[dims];
        long[] kept = new long[dims - axes.length + 1];
        int k = 0;
        long merged = 1;
        for (int i = 0; i < dims; i++) {
            if (!reduced[i]) {
                kept[k] = x.getShape().get(i);
                order[k++] = i;
            }
        }
        int keptCount = k;
        for (int i = 0; i < dims; i++) {
            if (reduced[i]) {
                merged *= x.getShape().get(i);
                order[k++] = i;
            }
        }
        kept[keptCount] = merged;
        boolean identity = true;
        for (int i = 0; i < dims; i++) {
            identity &= order[i] == i;
        }
        NDArray moved = identity ? x : x.transpose(order);
        return moved.reshape(Arrays.copyOf(kept, keptCount + 1));
    }
}
