package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.LoadReport;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names SAM checkpoints come with. segment-anything's {@code .pth} files use the names this package uses; Hugging
 * Face transformers' {@code SamModel} renames them with the rules of its {@code convert_sam_to_hf.py} (commit
 * 09cb93d): substring replacements applied in order to every key, then the hypernetwork layers renamed
 * ({@code layers.0 -> proj_in}, {@code layers.1 -> layers.0}, {@code layers.2 -> proj_out}). Loading an HF
 * checkpoint applies those rules to the model's own keys and renames the checkpoint back through the result, so
 * the rules are written once, in their published direction.
 */
public final class SamCheckpointNames {
    /** {@code KEYS_TO_MODIFY_MAPPING} of {@code convert_sam_to_hf.py}, in its order. */
    public static final List<Map.Entry<String, String>> HUGGING_FACE_RULES = List.of(
            Map.entry("iou_prediction_head.layers.0", "iou_prediction_head.proj_in"),
            Map.entry("iou_prediction_head.layers.1", "iou_prediction_head.layers.0"),
            Map.entry("iou_prediction_head.layers.2", "iou_prediction_head.proj_out"),
            Map.entry("mask_decoder.output_upscaling.0", "mask_decoder.upscale_conv1"),
            Map.entry("mask_decoder.output_upscaling.1", "mask_decoder.upscale_layer_norm"),
            Map.entry("mask_decoder.output_upscaling.3", "mask_decoder.upscale_conv2"),
            Map.entry("mask_downscaling.0", "mask_embed.conv1"),
            Map.entry("mask_downscaling.1", "mask_embed.layer_norm1"),
            Map.entry("mask_downscaling.3", "mask_embed.conv2"),
            Map.entry("mask_downscaling.4", "mask_embed.layer_norm2"),
            Map.entry("mask_downscaling.6", "mask_embed.conv3"),
            Map.entry("point_embeddings", "point_embed"),
            Map.entry("pe_layer.positional_encoding_gaussian_matrix", "shared_embedding.positional_embedding"),
            Map.entry("image_encoder", "vision_encoder"),
            Map.entry("neck.0", "neck.conv1"),
            Map.entry("neck.1", "neck.layer_norm1"),
            Map.entry("neck.2", "neck.conv2"),
            Map.entry("neck.3", "neck.layer_norm2"),
            Map.entry("patch_embed.proj", "patch_embed.projection"),
            Map.entry(".norm", ".layer_norm"),
            Map.entry("blocks", "layers"));

    /** Keys an HF checkpoint has that no SAM module holds: a copy of the Fourier matrix, and the pixel statistics. */
    private static final List<String> EXTRA_KEYS = List.of("shared_image_embedding.positional_embedding",
            "pixel_mean", "pixel_std");

    private static final Pattern HYPERNETWORK =
            Pattern.compile(".*\\.output_hypernetworks_mlps\\.(\\d+)\\.layers\\.(\\d+).*");

    private SamCheckpointNames() {}

    /** The HF transformers name of a segment-anything state-dict key. */
    public static String huggingFaceName(String key) {
        String k = key;
        for (Map.Entry<String, String> rule : HUGGING_FACE_RULES) {
            if (k.contains(rule.getKey())) {
                k = k.replace(rule.getKey(), rule.getValue());
            }
        }
        Matcher m = HYPERNETWORK.matcher(k);
        if (m.matches()) {
            switch (m.group(2)) {
                case "0":
                    return k.replace("layers.0", "proj_in");
                case "1":
                    return k.replace("layers.1", "layers.0");
                case "2":
                    return k.replace("layers.2", "proj_out");
                default:
                    return k;
            }
        }
        return k;
    }

    /** Whether a checkpoint uses HF transformers' names (its encoder is {@code vision_encoder}). */
    public static boolean isHuggingFace(Map<String, NDArray> weights) {
        return weights.keySet().stream().anyMatch(k -> k.startsWith("vision_encoder."));
    }

    /**
     * The checkpoint under the model's names: HF names are mapped back to the model keys they come from; keys
     * with no counterpart stay as they are (a load reports them as unexpected), and HF's extra copies are dropped.
     */
    public static Map<String, NDArray> toModelNames(Map<String, NDArray> weights, Module model) {
        if (!isHuggingFace(weights)) {
            return weights;
        }
        Map<String, String> back = new HashMap<>();
        for (String key : model.stateDict().keySet()) {
            String previous = back.put(huggingFaceName(key), key);
            if (previous != null) {
                throw new IllegalStateException("keys " + previous + " and " + key + " have the same HF name");
            }
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        weights.forEach((k, v) -> {
            if (!EXTRA_KEYS.contains(k)) {
                out.put(back.getOrDefault(k, k), v);
            }
        });
        return out;
    }

    /**
     * segment-anything's tensors under the names Medical-SAM-Adapter gives them ({@code attn.rel_pos_h/w ->
     * attn.rel_h/w}, transformer {@code mlp.lin1 -> mlp.layers.0.0}, {@code mlp.lin2 -> mlp.fc}; the layers are the
     * same). Not what the published loader does (it leaves these 32 tensors of ViT-B at their initial values): an
     * option for a {@link SamVariant#MSA} model that should start from all of SAM's weights.
     */
    public static Map<String, NDArray> withMedicalSamAdapterNames(Map<String, NDArray> weights) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        weights.forEach((k, v) -> out.put(k.replace(".attn.rel_pos_h", ".attn.rel_h")
                .replace(".attn.rel_pos_w", ".attn.rel_w")
                .replaceFirst("^(mask_decoder\\.transformer\\.layers\\.\\d+\\.mlp)\\.lin1\\.", "$1.layers.0.0.")
                .replaceFirst("^(mask_decoder\\.transformer\\.layers\\.\\d+\\.mlp)\\.lin2\\.", "$1.fc."), v));
        return out;
    }

    /**
     * Loads segment-anything or HF weights into a SAM. With {@code strict}, any key missing, unexpected or of
     * another shape fails the load and nothing changes. Without it, a {@link SamVariant#MSA} model loads as
     * Medical-SAM-Adapter's loader does: the tensors it names differently (relative positions, transformer MLPs)
     * stay as initialised and are listed in the report.
     */
    public static LoadReport load(Module model, Map<String, NDArray> weights, boolean strict) {
        return model.loadStateDict(toModelNames(weights, model), strict);
    }
}
