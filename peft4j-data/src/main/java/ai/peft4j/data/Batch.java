package ai.peft4j.data;

import java.util.List;

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
}
