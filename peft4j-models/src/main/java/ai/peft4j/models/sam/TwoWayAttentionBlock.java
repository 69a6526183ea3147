package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Module;
import java.util.function.Supplier;

/**
 * One block of the two-way transformer: self-attention of the tokens, tokens attending to the image, an MLP on the
 * tokens, and the image attending to the tokens, each followed by a residual and a LayerNorm. Position encodings
 * are added to queries and keys of the cross attentions. The self-attention differs between the variants (see
 * {@link SamVariant}).
 */
public class TwoWayAttentionBlock extends Module {
    private final boolean skipFirstLayerPe;
    private final SamVariant variant;

    /**
     * @param mlpAct the MLP's activation: ReLU in SAM and MobileSAM, GELU in EfficientSAM
     */
    public TwoWayAttentionBlock(NDManager manager, int dim, int heads, int mlpDim, int downsampleRate,
            boolean skipFirstLayerPe, SamVariant variant, Supplier<Activation> mlpAct) {
        this.skipFirstLayerPe = skipFirstLayerPe;
        this.variant = variant;
        registerModule("self_attn", new TokenAttention(manager, dim, heads, 1, variant));
        registerModule("norm1", new LayerNorm(manager, dim));
        registerModule("cross_attn_token_to_image", new TokenAttention(manager, dim, heads, downsampleRate, variant));
        registerModule("norm2", new LayerNorm(manager, dim));
        if (variant == SamVariant.ORIGINAL) {
            registerModule("mlp", new SamMlp(manager, dim, mlpDim, mlpAct.get()));
        } else {
            registerModule("mlp", new StackedMlp(manager, dim, mlpDim, dim, 1, mlpAct));
        }
        registerModule("norm3", new LayerNorm(manager, dim));
        registerModule("norm4", new LayerNorm(manager, dim));
        registerModule("cross_attn_image_to_token", new TokenAttention(manager, dim, heads, downsampleRate, variant));
    }

    /** Updated {@code (queries, keys)}. */
    public NDList forward(NDArray queries, NDArray keys, NDArray queryPe, NDArray keyPe) {
        TokenAttention self = (TokenAttention) child("self_attn");
        if (variant == SamVariant.ORIGINAL) {
            if (skipFirstLayerPe) {
                queries = self.forward(queries, queries, queries);
            } else {
                NDArray q = queries.add(queryPe);
                queries = queries.add(self.forward(q, q, queries));
            }
        } else {
            // Medical-SAM-Adapter keeps tokens + pe as the new tokens: the pe is carried into the residual.
            if (!skipFirstLayerPe) {
                queries = queries.add(queryPe);
            }
            queries = queries.add(self.forward(queries, queries, queries));
        }
        queries = call("norm1", queries);

        NDArray q = queries.add(queryPe);
        NDArray k = keys.add(keyPe);
        queries = call("norm2", queries.add(((TokenAttention) child("cross_attn_token_to_image")).forward(q, k, keys)));

        queries = call("norm3", queries.add(((Layer) child("mlp")).forward(queries)));

        q = queries.add(queryPe);
        k = keys.add(keyPe);
        NDArray attn = ((TokenAttention) child("cross_attn_image_to_token")).forward(k, q, queries);
        keys = call("norm4", keys.add(attn));
        return new NDList(queries, keys);
    }
}
