package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What one teacher-forced pass computes.
 *
 * @param imageFeatures projected image tokens {@code [B, 1 + h w, D]} (the pooled token first)
 * @param textEmbeds prompt token embeddings {@code [B, L, D]}
 * @param encoderHiddenStates the encoder's input after {@code layernorm_embedding} and every layer's output
 * @param decoderLastHiddenState {@code [B, T, D]}
 * @param logits {@code [B, T, V]}
 */
public record Florence2Output(NDArray imageFeatures, NDArray textEmbeds, List<NDArray> encoderHiddenStates,
        NDArray decoderLastHiddenState, NDArray logits) {
    public NDArray encoderLastHiddenState() {
        return encoderHiddenStates.get(encoderHiddenStates.size() - 1);
    }
}
