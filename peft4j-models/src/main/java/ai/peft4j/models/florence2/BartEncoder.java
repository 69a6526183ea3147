package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * BART's encoder: learned positions added to the input embeddings, {@code layernorm_embedding}, then the layers.
 * Florence-2 feeds it embeddings (image tokens then prompt tokens) rather than ids; {@code embed_tokens} is tied to
 * the shared table and kept so the published names load.
 */
public class BartEncoder extends Module {
    public BartEncoder(NDManager manager, BartConfig config, Parameter shared) {
        registerModule("embed_tokens", new TokenEmbedding(shared));
        registerModule("embed_positions", new LearnedPositionEmbedding(manager, config.maxPositions(),
                config.dModel()));
        ModuleList<BartEncoderLayer> layers = new ModuleList<>(BartEncoderLayer.class);
        for (int i = 0; i < config.encoderLayers(); i++) {
            layers.add(new BartEncoderLayer(manager, config.dModel(), config.encoderHeads(), config.encoderFfn()));
        }
        registerModule("layers", layers);
        registerModule("layernorm_embedding", new LayerNorm(manager, config.dModel()));
    }

    /** The last hidden state {@code [B, S, D]}; {@code mask [B, S]} is 1 on real tokens, 0 on padding, or null. */
    public NDArray forward(NDArray embeds, NDArray mask) {
        List<NDArray> all = forwardAll(embeds, mask);
        return all.get(all.size() - 1);
    }

    /** The hidden states after {@code layernorm_embedding} and after every layer, as transformers returns them. */
    @SuppressWarnings("unchecked")
    public List<NDArray> forwardAll(NDArray embeds, NDArray mask) {
        long seq = embeds.getShape().get(1);
        NDArray pos = ((LearnedPositionEmbedding) child("embed_positions")).forward(0, seq);
        NDArray h = call("layernorm_embedding", embeds.add(near(pos, embeds)));
        NDArray bias = mask == null ? null : BartMasks.padding(mask);
        List<NDArray> out = new ArrayList<>();
        out.add(h);
        for (BartEncoderLayer layer : ((ModuleList<BartEncoderLayer>) child("layers")).asList()) {
            h = layer.forward(h, bias);
            out.add(h);
        }
        return out;
    }
}
