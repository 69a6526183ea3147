package ai.peft4j.models.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face transformers' ViT names ({@code vit.encoder.layer.N.attention.attention.query}, ...) mapped onto
 * timm's, so that checkpoints of either family ({@code google/vit-base-patch16-224-in21k}, {@code facebook/dino-*},
 * timm's) load into {@link VisionTransformer}. HF keeps query, key and value as three Linears; timm fuses them into
 * one {@code qkv} whose output rows are query, then key, then value, so the three are stacked in that order.
 *
 * <p>HF's layer norms use eps 1e-12 where timm's use 1e-6: outputs differ in the sixth decimal, not more.
 */
public final class HfVitNames {
    private static final Pattern LAYER = Pattern.compile("encoder\\.layer\\.(\\d+)\\.(.+)");
    private static final Map<String, String> IN_LAYER = Map.of(
            "layernorm_before.", "norm1.",
            "attention.output.dense.", "attn.proj.",
            "intermediate.dense.", "mlp.fc1.",
            "output.dense.", "mlp.fc2.",
            "layernorm_after.", "norm2.");
    private static final Map<String, String> TOP = Map.of(
            "embeddings.cls_token", "cls_token",
            "embeddings.position_embeddings", "pos_embed",
            "embeddings.patch_embeddings.projection.weight", "patch_embed.proj.weight",
            "embeddings.patch_embeddings.projection.bias", "patch_embed.proj.bias",
            "layernorm.weight", "norm.weight",
            "layernorm.bias", "norm.bias",
            "classifier.weight", "head.weight",
            "classifier.bias", "head.bias");

    private HfVitNames() {}

    /** Whether {@code keys} name an HF transformers ViT (with or without the {@code vit.} prefix). */
    public static boolean matches(Collection<String> keys) {
        return keys.stream().anyMatch(k -> k.contains("encoder.layer.") && k.contains(".attention.attention.query."));
    }

    /**
     * The same tensors under timm's names: query, key and value of each layer stacked into {@code qkv}, the pooler
     * (which a class-token classifier does not use) left out. Keys that are neither stay as they are, so a strict
     * load names them.
     */
    public static Map<String, NDArray> toTimm(Map<String, NDArray> hf) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        Map<String, NDArray[]> qkv = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : hf.entrySet()) {
            String key = e.getKey().startsWith("vit.") ? e.getKey().substring(4) : e.getKey();
            if (key.startsWith("pooler.")) {
                continue;
            }
            Matcher m = LAYER.matcher(key);
            if (!m.matches()) {
                out.put(TOP.getOrDefault(key, e.getKey()), e.getValue());
                continue;
            }
            String block = "blocks." + m.group(1) + ".";
            String rest = m.group(2);
            int part = rest.startsWith("attention.attention.query.") ? 0
                    : rest.startsWith("attention.attention.key.") ? 1
                    : rest.startsWith("attention.attention.value.") ? 2 : -1;
            if (part >= 0) {
                String kind = rest.substring(rest.lastIndexOf('.') + 1);
                qkv.computeIfAbsent(block + "attn.qkv." + kind, k -> new NDArray[3])[part] = e.getValue();
                continue;
            }
            String mapped = null;
            for (Map.Entry<String, String> r : IN_LAYER.entrySet()) {
                // Prefixes, not suffixes: "attention.output.dense." also ends in "output.dense.".
                if (rest.startsWith(r.getKey())) {
                    mapped = block + r.getValue() + rest.substring(r.getKey().length());
                }
            }
            out.put(mapped != null ? mapped : e.getKey(), e.getValue());
        }
        qkv.forEach((k, parts) -> {
            for (int i = 0; i < 3; i++) {
                if (parts[i] == null) {
                    throw new IllegalArgumentException("HF ViT checkpoint lacks the " + new String[] {"query", "key",
                        "value"}[i] + " of " + k + " (it has the other projections)");
                }
            }
            out.put(k, NDArrays.concat(new NDList(parts), 0));
        });
        return out;
    }
}
