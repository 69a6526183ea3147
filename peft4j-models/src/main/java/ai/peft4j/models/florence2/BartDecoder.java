package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.tensor.Scalars;
import java.util.List;

/**
 * BART's decoder: token embeddings ({@code embed_tokens}, tied to the shared table) plus learned positions,
 * {@code layernorm_embedding}, then causal layers that also attend to the encoder.
 */
public class BartDecoder extends Module {
    private final float embedScale;

    public BartDecoder(NDManager manager, BartConfig config, Parameter shared) {
        this.embedScale = config.embedScale();
        registerModule("embed_tokens", new TokenEmbedding(shared));
        registerModule("embed_positions", new LearnedPositionEmbedding(manager, config.maxPositions(),
                config.dModel()));
        ModuleList<BartDecoderLayer> layers = new ModuleList<>(BartDecoderLayer.class);
        for (int i = 0; i < config.decoderLayers(); i++) {
            layers.add(new BartDecoderLayer(manager, config.dModel(), config.decoderHeads(), config.decoderFfn()));
        }
        registerModule("layers", layers);
        registerModule("layernorm_embedding", new LayerNorm(manager, config.dModel()));
    }

    /**
     * The last hidden state {@code [B, T, D]} for decoder ids {@code [B, T]} over the encoder's states
     * {@code [B, S, D]}; {@code encoderMask [B, S]} is 1 on real tokens, or null.
     */
    @SuppressWarnings("unchecked")
    public NDArray forward(NDArray ids, NDArray encoder, NDArray encoderMask) {
        long t = ids.getShape().get(1);
        NDArray embeds = ((TokenEmbedding) child("embed_tokens")).forward(ids);
        if (embedScale != 1f) {
            embeds = Scalars.mul(embeds, embedScale);
        }
        NDArray pos = ((LearnedPositionEmbedding) child("embed_positions")).forward(0, t);
        NDArray h = call("layernorm_embedding", embeds.add(near(pos, embeds)));
        NDArray causal = BartMasks.causal(h, t);
        NDArray cross = encoderMask == null ? null : BartMasks.padding(encoderMask);
        for (BartDecoderLayer layer : ((ModuleList<BartDecoderLayer>) child("layers")).asList()) {
            h = layer.forward(h, causal, encoder, cross);
        }
        return h;
    }

    /**
     * The hidden states {@code [B, T, D]} of new decoder tokens {@code ids [B, T]} that follow the
     * {@code cache.length()} tokens already decoded, whose keys and values {@code cache} holds and extends.
     */
    @SuppressWarnings("unchecked")
    public NDArray forwardCached(NDArray ids, NDArray encoder, NDArray encoderMask, DecoderCache cache) {
        long t = ids.getShape().get(1);
        long past = cache.length();
        NDArray embeds = ((TokenEmbedding) child("embed_tokens")).forward(ids);
        if (embedScale != 1f) {
            embeds = Scalars.mul(embeds, embedScale);
        }
        NDArray pos = ((LearnedPositionEmbedding) child("embed_positions")).forward(past, t);
        NDArray h = call("layernorm_embedding", embeds.add(near(pos, embeds)));
        // New tokens see all cached ones and, among themselves, those before them.
        NDArray causal = t == 1 ? null : BartMasks.causal(h, t, past);
        NDArray cross = encoderMask == null ? null : BartMasks.padding(encoderMask);
        List<BartDecoderLayer> layers = ((ModuleList<BartDecoderLayer>) child("layers")).asList();
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forwardCached(h, causal, encoder, cross, cache.self(i), cache.cross(i));
        }
        cache.advance(t);
        return h;
    }
}
