package ai.peft4j.peft.segmenter;

import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.NamePattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of the places a segmenter offers to fine-tuning methods.
 *
 * @param backbone the encoder, owner of encoder-wide tensors (VPT's prompts)
 * @param blocks pattern of the transformer blocks; each has children {@code attn} (with a {@code qkv} Linear) and
 *     {@code mlp}; the block's stage and index are read from the first two numbers in its name
 * @param gates attention gates by decoder level (1 = finest), each taking {@code (g, x)}
 * @param decoderBlocks decoder convolution blocks by level, fed with {@code concat(up, skip)}
 * @param head the classifier that every method trains
 */
public record SegmenterLayout(String backbone, String blocks, List<String> gates, List<String> decoderBlocks,
        String head) {

    /** TP-LoRA's Swin-Att-UNet. */
    public static SegmenterLayout swinAttUNet() {
        return new SegmenterLayout("swin_backbone", "re:swin_backbone\\.layers\\.\\d+\\.blocks\\.\\d+",
                List.of("Att1", "Att2", "Att3", "Att4"), List.of("conv1", "conv2", "conv3", "conv4"), "final_conv");
    }

    /** A transformer block found in a model. */
    public record Block(String path, int stage, int index, int dim) {}

    /** The blocks of {@code model}, in order, with their channel width; fails when there are none. */
    public List<Block> findBlocks(Module model) {
        NamePattern p = NamePattern.of(blocks);
        Pattern numbers = Pattern.compile("\\d+");
        List<Block> out = new ArrayList<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (!p.test(e.getKey())) {
                continue;
            }
            Matcher m = numbers.matcher(e.getKey());
            int stage = m.find() ? Integer.parseInt(m.group()) : 0;
            int index = m.find() ? Integer.parseInt(m.group()) : 0;
            Module qkv = e.getValue().module("attn.qkv");
            if (!(qkv instanceof Linear lin)) {
                throw new IllegalArgumentException("block '" + e.getKey() + "' has no attn.qkv Linear");
            }
            out.add(new Block(e.getKey(), stage, index, lin.inFeatures()));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no transformer block matches '" + blocks + "' in this model");
        }
        return out;
    }

    /** Channels of the skip input of a gate (the input of its {@code W_x} convolution). */
    public int gateChannels(Module model, String gate) {
        return firstConv(model.module(gate).module("W_x")).inChannels();
    }

    /** Input channels of a decoder block (its first convolution). */
    public int decoderInputChannels(Module model, String block) {
        return firstConv(model.module(block)).inChannels();
    }

    /** Output channels of a decoder block (its last convolution). */
    public int decoderChannels(Module model, String block) {
        Conv2d last = null;
        for (Module m : model.module(block).namedModules().values()) {
            if (m instanceof Conv2d c) {
                last = c;
            }
        }
        if (last == null) {
            throw new IllegalArgumentException("decoder block '" + block + "' has no convolution");
        }
        return last.outChannels();
    }

    /** Checks that every named module exists, with a message listing what does. */
    public void check(Module model) {
        List<String> names = new ArrayList<>(gates);
        names.add(backbone);
        names.addAll(decoderBlocks);
        names.add(head);
        for (String n : names) {
            if (!model.children().containsKey(n)) {
                throw new IllegalArgumentException("this model has no module '" + n + "' (top-level modules: "
                        + model.children().keySet() + "); the TP-LoRA comparison methods need a Swin-Att-UNet");
            }
        }
        findBlocks(model);
    }

    private static Conv2d firstConv(Module m) {
        for (Module c : m.namedModules().values()) {
            if (c instanceof Conv2d conv) {
                return conv;
            }
        }
        throw new IllegalArgumentException(m + " has no convolution");
    }
}
