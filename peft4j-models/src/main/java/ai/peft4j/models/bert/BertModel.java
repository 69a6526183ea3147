package ai.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.tensor.Scalars;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The BERT encoder as transformers' {@code BertModel}: {@code embeddings}, {@code encoder.layer.N} and, when the
 * config asks for it, {@code pooler.dense}. Its state dict has transformers' key names, so a
 * {@code bert-base-uncased} {@code model.safetensors} loads by name ({@link #checkpointKeys} takes the
 * {@code bert.} off the keys of a {@code BertForX} checkpoint). TP-LoRA reads {@link #forward}'s
 * {@code last_hidden_state}.
 */
public class BertModel extends Module {
    /** The additive mask on padded keys: float32's lowest value, as transformers uses for its dtype. */
    private static final float MASKED = -Float.MAX_VALUE;
    private final BertConfig config;

    public BertModel(NDManager manager, BertConfig config) {
        this.config = config;
        registerModule("embeddings", new BertEmbeddings(manager, config));
        Module encoder = registerModule("encoder", new Encoder());
        ModuleList<BertLayer> layers = new ModuleList<>(BertLayer.class);
        for (int i = 0; i < config.layers(); i++) {
            layers.add(new BertLayer(manager, config));
        }
        encoder.addModule("layer", layers);
        if (config.pooler()) {
            Module pooler = registerModule("pooler", new Pooler());
            pooler.addModule("dense", new Linear(manager, config.hidden(), config.hidden(), true));
        }
    }

    public BertConfig config() {
        return config;
    }

    /** {@code last_hidden_state [B, S, H]} of {@code ids [B, S]} with every token attended to. */
    public NDArray forward(NDArray ids) {
        return forward(ids, null, null);
    }

    /**
     * {@code last_hidden_state [B, S, H]}. {@code attentionMask} {@code [B, S]} is 1 for tokens and 0 for padding
     * (padded keys get no attention; outputs at padded positions are computed but meaningless), or null;
     * {@code tokenTypes} {@code [B, S]} or null for segment 0.
     */
    @SuppressWarnings("unchecked")
    public NDArray forward(NDArray ids, NDArray attentionMask, NDArray tokenTypes) {
        NDArray x = ((BertEmbeddings) child("embeddings")).forward(ids, tokenTypes);
        NDArray bias = null;
        if (attentionMask != null) {
            // (1 - mask) * lowest, shaped [B, 1, 1, S] to broadcast over heads and queries.
            NDArray keep = attentionMask.toType(DataType.FLOAT32, false);
            bias = Scalars.mul(keep.neg().add(1f), MASKED).expandDims(1).expandDims(1);
        }
        for (BertLayer layer : ((ModuleList<BertLayer>) child("encoder").child("layer")).asList()) {
            x = layer.forward(x, bias);
        }
        return runHooks(x, ids, attentionMask, tokenTypes);
    }

    /** {@code pooler_output [B, H]}: tanh of a dense layer on the first ({@code [CLS]}) token. */
    public NDArray pooled(NDArray lastHiddenState) {
        if (!hasChild("pooler")) {
            throw new IllegalStateException("this BERT was built without its pooler");
        }
        Linear dense = (Linear) child("pooler").child("dense");
        return dense.forward(lastHiddenState.get(":, 0, :")).tanh();
    }

    /**
     * A checkpoint's tensors under this model's names, as transformers renames them on load: the {@code bert.}
     * prefix of its task models ({@code BertForMaskedLM}, ...) removed and keys outside it (the task head) dropped;
     * {@code LayerNorm.gamma}/{@code beta} of the original Google conversion renamed {@code weight}/{@code bias};
     * the {@code position_ids}/{@code token_type_ids} buffers older versions saved dropped (they are computed).
     */
    public static Map<String, NDArray> checkpointKeys(Map<String, NDArray> weights) {
        boolean prefixed = weights.keySet().stream().anyMatch(k -> k.startsWith("bert."));
        Map<String, NDArray> out = new LinkedHashMap<>();
        weights.forEach((k, v) -> {
            if (prefixed && !k.startsWith("bert.")) {
                return;
            }
            String key = prefixed ? k.substring("bert.".length()) : k;
            if (key.equals("embeddings.position_ids") || key.equals("embeddings.token_type_ids")) {
                return;
            }
            if (key.contains("LayerNorm.")) {
                key = key.replaceAll("\\.gamma$", ".weight").replaceAll("\\.beta$", ".bias");
            }
            out.put(key, v);
        });
        return out;
    }

    /** {@code BertEncoder}: holds {@code layer}. */
    static final class Encoder extends Module {}

    /** {@code BertPooler}: holds {@code dense} (tanh is applied in {@link #pooled}). */
    static final class Pooler extends Module {}
}
