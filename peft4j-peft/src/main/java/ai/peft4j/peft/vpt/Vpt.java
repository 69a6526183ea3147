package ai.peft4j.peft.vpt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * VPT on a Swin-Att-UNet, as {@code nets/VPT/vpt.py} of TP-LoRA builds it (VPT-Swin of KMnP/vpt, deep, prepended).
 *
 * <p>Backbone: {@code tokens} prompt tokens enter every window attention, after the block's {@code norm1}, as
 * extra queries, keys and values without position bias or shift mask; their outputs are dropped. The first block
 * takes {@code prompt_embeddings [1, P, C]}, the others of stage 0 the rows of {@code deep_prompt_embeddings_0
 * [depth - 1, P, C]}, those of stage s the rows of {@code deep_prompt_embeddings_s [depth, P, C_s]}. The published
 * code carries the prompts in the token sequence, but replaces them before every block and slices them off the
 * features the decoder reads, so their outputs never reach the image tokens; attending over them per window gives
 * the same numbers.
 *
 * <p>Decoder: level k adds {@code prompt_cnn<k>(prompt<k>)} (a 3x3 convolution of a learned map of
 * {@code tokens * 2^(k-1)} channels at the level's resolution) to the concatenated input of its convolution block,
 * and {@code Att<k>.prompt_att_conv(Att<k>.prompt_att)} to the attention gate's output. The maps have a fixed size,
 * so the model only runs on the input size they were made for.
 *
 * <p>Trainable: the prompts, the prompt convolutions, every backbone parameter whose name contains {@code prompt}
 * or {@code bias} (so Swin's relative position bias tables too) and the head.
 */
public final class Vpt extends SegmenterMethod {
    private final VptConfig config;
    /** The deep prompt tensor of each stage of the model being attached, by stage number. */
    private final Map<Integer, Parameter> stagePrompts = new LinkedHashMap<>();
    private Parameter shallowPrompt;
    private Layer promptDropout;
    private int levelOneChannels;
    private int levelOneGateChannels;

    public Vpt(SegmenterLayout layout, VptConfig config) {
        super(layout);
        this.config = config;
    }

    public static Vpt published() {
        return new Vpt(SegmenterLayout.swinAttUNet(), VptConfig.published());
    }

    @Override
    public VptConfig config() {
        return config;
    }

    @Override
    public String name() {
        return "vpt";
    }

    @Override
    protected void check(Module model, List<String> targets) {
        levelOneChannels = layout.decoderChannels(model, layout.decoderBlocks().get(0));
        levelOneGateChannels = layout.gateChannels(model, layout.gates().get(0));
        stagePrompts.clear();
    }

    /**
     * The published initialisation: U(-v, v) with {@code v = sqrt(6 / (3 * patch^2 + embed_dim))}, patch and embed
     * dim read off the backbone's patch embedding (its first convolution).
     */
    @Override
    protected void attachBackbone(Attachment a, NDManager m, List<SegmenterLayout.Block> blocks) {
        String backbone = layout.backbone();
        Conv2d patchEmbed = firstConv(a.model().module(backbone));
        float bound = (float) Math.sqrt(6.0 / (3.0 * patchEmbed.kernel() * patchEmbed.kernel()
                + patchEmbed.outChannels()));
        int p = config.tokens();
        promptDropout = a.addModule(backbone, "prompt_dropout", new Dropout(config.dropout()));
        Map<Integer, List<SegmenterLayout.Block>> stages = new LinkedHashMap<>();
        for (SegmenterLayout.Block b : blocks) {
            stages.computeIfAbsent(b.stage(), k -> new ArrayList<>()).add(b);
        }
        int first = stages.keySet().iterator().next();
        shallowPrompt = a.addParameter(backbone, "prompt_embeddings",
                m.randomUniform(-bound, bound, new Shape(1, p, stages.get(first).get(0).dim())));
        int i = 0;
        for (Map.Entry<Integer, List<SegmenterLayout.Block>> e : stages.entrySet()) {
            int rows = e.getValue().size() - (e.getKey() == first ? 1 : 0);
            // KMnP's layout: the first stage's first block has the shallow prompt, so its deep tensor is one short.
            stagePrompts.put(e.getKey(), a.addParameter(backbone, "deep_prompt_embeddings_" + i++,
                    m.randomUniform(-bound, bound, new Shape(rows, p, e.getValue().get(0).dim()))));
        }
    }

    @Override
    protected void attachBlock(Attachment a, NDManager m, SegmenterLayout.Block b) {
        Layer norm = (Layer) a.model().module(b.path() + ".norm1");
        boolean first = stagePrompts.keySet().iterator().next() == b.stage();
        BlockPrompt prompt;
        if (first && b.index() == 0) {
            prompt = new BlockPrompt(shallowPrompt, 0, true, promptDropout, norm);
        } else {
            prompt = new BlockPrompt(stagePrompts.get(b.stage()), b.index() - (first ? 1 : 0), false, promptDropout,
                    norm);
        }
        a.addPrefixTokens(b.path() + ".attn", prompt);
    }

    @Override
    protected void attachDecoder(Attachment a, NDManager m, int level, String path, int channels) {
        int c = config.tokens() * (channels / levelOneChannels);
        int side = config.inputSize() >> (level - 1);
        String owner = parentOf(path);
        String promptName = "prompt" + level;
        Parameter prompt = a.addParameter(owner, promptName, m.randomNormal(new Shape(c, side, side)));
        Conv2d conv = a.addModule(owner, "prompt_cnn" + level,
                Conv2d.same(m, c, layout.decoderInputChannels(a.model(), path), 3));
        a.addPreHook(path, (mod, x) -> x.add(promptMap(prompt, conv, x, promptName, path)));
    }

    /**
     * The published gate prompt has {@code tokens * (channels // 64)} channels, 64 being the published model's
     * base width; dividing by this model's level-1 width is the same there and also builds narrower models.
     */
    @Override
    protected void attachGate(Attachment a, NDManager m, int level, String path, int channels) {
        int c = config.tokens() * (channels / levelOneGateChannels);
        int side = config.inputSize() >> (level - 1);
        Parameter prompt = a.addParameter(path, "prompt_att", m.randomNormal(new Shape(c, side, side)));
        Conv2d conv = a.addModule(path, "prompt_att_conv", Conv2d.same(m, c, channels, 3));
        a.addHook(path, (mod, in, out) -> out.add(promptMap(prompt, conv, out, path + ".prompt_att", path)));
    }

    @Override
    protected void trainBase(Attachment a) {
        String prefix = layout.backbone() + ".";
        a.trainBase(name -> name.startsWith(prefix) && (name.contains("prompt") || name.contains("bias")));
    }

    /** {@code conv(prompt)} as a batch of one, after checking that the prompt fits the map it is added to. */
    private NDArray promptMap(Parameter prompt, Conv2d conv, NDArray map, String name, String where) {
        Shape ps = prompt.shape();
        Shape ms = map.getShape();
        if (ms.get(2) != ps.get(1) || ms.get(3) != ps.get(2)) {
            int size = config.inputSize();
            throw new IllegalArgumentException("VPT's prompt maps are made for " + size + "x" + size + " inputs ("
                    + name + " is " + ps.get(1) + "x" + ps.get(2) + "), but '" + where + "' works on "
                    + ms.get(2) + "x" + ms.get(3) + " maps here, an input of about " + ms.get(2) * size / ps.get(1)
                    + "x" + ms.get(3) * size / ps.get(2) + "; resize the images to " + size + "x" + size
                    + " or make VPT for this size (--vpt-size, VptConfig.inputSize)");
        }
        NDArray p = prompt.data().reshape(1, ps.get(0), ps.get(1), ps.get(2));
        if (p.getManager() != map.getManager()) {
            p.attach(map.getManager());
        }
        return conv.forward(p);
    }

    private static String parentOf(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : path.substring(0, dot);
    }

    private static Conv2d firstConv(Module m) {
        for (Module c : m.namedModules().values()) {
            if (c instanceof Conv2d conv) {
                return conv;
            }
        }
        throw new IllegalArgumentException("VPT reads the patch size off the backbone's first convolution, but '"
                + m + "' has none");
    }
}
