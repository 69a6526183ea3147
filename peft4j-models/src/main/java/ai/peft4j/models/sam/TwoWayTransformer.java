package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import java.util.function.Supplier;

/**
 * SAM's two-way transformer: the prompt tokens and the flattened image embedding update each other through
 * {@code depth} {@link TwoWayAttentionBlock}s (the first without position on its self-attention), then the tokens
 * attend to the image once more ({@code final_attn_token_to_image}, {@code norm_final_attn}).
 */
public class TwoWayTransformer extends Module {
    /**
     * @param mlpAct the MLPs' activation: ReLU in SAM and MobileSAM, GELU in EfficientSAM
     */
    public TwoWayTransformer(NDManager manager, int depth, int dim, int heads, int mlpDim, int downsampleRate,
            SamVariant variant, Supplier<Activation> mlpAct) {
        ModuleList<TwoWayAttentionBlock> layers = new ModuleList<>(TwoWayAttentionBlock.class);
        for (int i = 0; i < depth; i++) {
            layers.add(new TwoWayAttentionBlock(manager, dim, heads, mlpDim, downsampleRate, i == 0, variant,
                    mlpAct));
        }
        registerModule("layers", layers);
        registerModule("final_attn_token_to_image", new TokenAttention(manager, dim, heads, downsampleRate, variant));
        registerModule("norm_final_attn", new LayerNorm(manager, dim));
    }

    /**
     * Tokens {@code [B, N, C]} and image {@code [B, HW, C]} after the transformer, from the image
     * {@code [B, C, h, w]}, its position encoding (same shape) and the tokens {@code [B, N, C]}.
     */
    public NDList forward(NDArray image, NDArray imagePe, NDArray tokens) {
        long b = image.getShape().get(0);
        long c = image.getShape().get(1);
        NDArray keys = image.reshape(b, c, -1).transpose(0, 2, 1);
        NDArray keyPe = imagePe.reshape(imagePe.getShape().get(0), c, -1).transpose(0, 2, 1);
        NDArray queries = tokens;
        @SuppressWarnings("unchecked")
        ModuleList<TwoWayAttentionBlock> layers = (ModuleList<TwoWayAttentionBlock>) child("layers");
        for (int i = 0; i < layers.size(); i++) {
            NDList out = layers.get(i).forward(queries, keys, tokens, keyPe);
            queries = out.get(0);
            keys = out.get(1);
        }
        NDArray q = queries.add(tokens);
        NDArray k = keys.add(keyPe);
        NDArray attn = ((TokenAttention) child("final_attn_token_to_image")).forward(q, k, keys);
        queries = call("norm_final_attn", queries.add(attn));
        return new NDList(queries, keys);
    }
}
