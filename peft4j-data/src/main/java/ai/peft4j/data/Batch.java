package ai.peft4j.data;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * Samples of one size stacked for a training or evaluation step.
 *
 * @param ids sample ids in batch order
 * @param images {@code [n, 3, height, width]} flattened, in [0, 1]
 * @param masks {@code [n, height, width]} flattened class ids; for classification {@code [n]}, one class per image
 * @param height rows of every sample
 * @param width columns of every sample
 */
public record Batch(List<String> ids, float[] images, int[] masks, int height, int width) {
    public int size() {
        return ids.size();
    }

    /**
     * The first {@code count} batches of {@code order} in slices of {@code batch} (the last one shorter when
     * {@code order} runs out), each made by {@code make} only when the iteration reaches it.
     */
    public static <T> Iterable<Batch> lazily(List<T> order, int batch, int count, Function<List<T>, Batch> make) {
        return () -> new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < count;
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int from = next++ * batch;
                return make.apply(order.subList(from, Math.min(order.size(), from + batch)));
            }
        };
    }
}
