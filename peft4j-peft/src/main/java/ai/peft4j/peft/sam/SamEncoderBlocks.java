package ai.peft4j.peft.sam;

import ai.peft4j.core.nn.Module;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The transformer blocks of a segment-anything image encoder, found by name: SAM's and EfficientSAM's ViT blocks
 * ({@code image_encoder.blocks.i} with {@code attn.qkv}, {@code attn.proj}, {@code mlp.lin1}, {@code mlp.lin2}) or
 * MobileSAM's TinyViT blocks ({@code image_encoder.layers.s.blocks.j} with {@code attn.qkv}, {@code attn.proj},
 * {@code mlp.fc1}, {@code mlp.fc2}; the convolution blocks of stage 0 have no attention and are skipped).
 */
final class SamEncoderBlocks {
    private static final Pattern BLOCK = Pattern.compile("image_encoder\\.(layers\\.\\d+\\.)?blocks\\.\\d+");

    /**
     * One block.
     *
     * @param path its dotted path
     * @param tinyVit whether it is a TinyViT block (per-head interleaved qkv rows, MLP with its own LayerNorm)
     */
    record Block(String path, boolean tinyVit) {
        String fc1() {
            return path + (tinyVit ? ".mlp.fc1" : ".mlp.lin1");
        }

        String fc2() {
            return path + (tinyVit ? ".mlp.fc2" : ".mlp.lin2");
        }

        String qkv() {
            return path + ".attn.qkv";
        }

        String proj() {
            return path + ".attn.proj";
        }

        /** The stage this TinyViT block belongs to, {@code image_encoder.layers.s}. */
        String stage() {
            return path.substring(0, path.lastIndexOf(".blocks."));
        }
    }

    private SamEncoderBlocks() {}

    /** The encoder's blocks in model order; fails naming what a SAM-family encoder has when there are none. */
    static List<Block> find(Module model, String method) {
        Map<String, Module> modules = model.namedModules();
        List<Block> out = new ArrayList<>();
        for (String path : modules.keySet()) {
            if (!BLOCK.matcher(path).matches() || !modules.containsKey(path + ".attn.qkv")) {
                continue;
            }
            if (modules.containsKey(path + ".mlp.lin1") && modules.containsKey(path + ".mlp.lin2")) {
                out.add(new Block(path, false));
            } else if (modules.containsKey(path + ".mlp.fc1") && modules.containsKey(path + ".mlp.fc2")) {
                out.add(new Block(path, true));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(method + " adapts segment-anything image encoders, but this "
                    + model.getClass().getSimpleName() + " has no image_encoder.blocks.i (SAM, EfficientSAM) or "
                    + "image_encoder.layers.s.blocks.j (MobileSAM) with attn.qkv and an MLP; use hf-lora with "
                    + "target_modules for other models");
        }
        return out;
    }

    /** Parameters outside the image encoder that the published training keeps trainable: the mask decoder's. */
    static boolean isDecoder(String name) {
        return name.startsWith("mask_decoder.");
    }
}
