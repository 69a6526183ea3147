package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;

/**
 * Florence-2's frame positions ({@code visual_temporal_embed}): the fixed sine-cosine table {@code pos_idx_to_embed}
 * {@code [frames, dim]} (sine on even channels, cosine on odd ones), a persistent buffer as published. A single
 * image is frame 0, whose row is 0 on even channels and 1 on odd ones.
 */
public class CosineTemporalEmbedding extends Module {
    public CosineTemporalEmbedding(NDManager manager, int dim, int frames) {
        float[] table = new float[frames * dim];
        for (int p = 0; p < frames; p++) {
            for (int i = 0; i < dim; i += 2) {
                // float32 arithmetic as the published table is computed.
                float freq = (float) p * (float) Math.exp(-Math.log(10000) * i / dim);
                table[p * dim + i] = (float) Math.sin(freq);
                if (i + 1 < dim) {
                    table[p * dim + i + 1] = (float) Math.cos(freq);
                }
            }
        }
        registerBuffer("pos_idx_to_embed", manager.create(table, new Shape(frames, dim)), true);
    }

    /** Row {@code frame}: {@code [dim]}. */
    public NDArray forward(int frame) {
        return buffer("pos_idx_to_embed").data().get(frame);
    }
}
