package ai.peft4j.models.efficientformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The learned position biases of EfficientFormerV2's attention: one bias per head and distinct offset
 * {@code (|dy|, |dx|)} between a query and a key position, numbered in order of first appearance as the published
 * code numbers them ({@code attention_bias_idxs}).
 */
final class AttentionBias {
    final long[] index;
    final int offsets;

    private AttentionBias(long[] index, int offsets) {
        this.index = index;
        this.offsets = offsets;
    }

    /**
     * Queries on a {@code querySide}^2 grid whose positions sit {@code queryStep} key pixels apart, keys on a
     * {@code keySide}^2 grid; the index is {@code [queries, keys]}, row-major.
     */
    static AttentionBias of(int querySide, int queryStep, int keySide) {
        Map<Long, Integer> ids = new LinkedHashMap<>();
        int nq = querySide * querySide;
        int nk = keySide * keySide;
        long[] index = new long[nq * nk];
        for (int q = 0; q < nq; q++) {
            int qy = q / querySide * queryStep;
            int qx = q % querySide * queryStep;
            for (int k = 0; k < nk; k++) {
                long key = ((long) Math.abs(qy - k / keySide) << 32) | Math.abs(qx - k % keySide);
                Integer id = ids.get(key);
                if (id == null) {
                    id = ids.size();
                    ids.put(key, id);
                }
                index[q * nk + k] = id;
            }
        }
        return new AttentionBias(index, ids.size());
    }

    /** {@code biases[:, idxs]}: the {@code [heads, queries, keys]} bias of a {@code [heads, offsets]} table. */
    static NDArray expand(NDArray biases, NDArray flatIndex, long queries, long keys) {
        long heads = biases.getShape().get(0);
        return biases.transpose().get(new NDIndex("{}", flatIndex)).reshape(queries, keys, heads)
                .transpose(2, 0, 1);
    }
}
