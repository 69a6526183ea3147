package ai.peft4j.peft.tplora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.TokenGrid;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import java.util.List;

/**
 * TP-LoRA on a Swin-Att-UNet: text-prompted low-rank adapters in the chosen blocks ({@code attn.tp_lora_q},
 * {@code attn.tp_lora_v}, {@code tp_lora_mlp}), beside each decoder block ({@code tp_lora_adapter<k>}) and, unless
 * BASE, in each attention gate ({@code tp_lora_adapter_cnn}). On maps the tokens are the pixels in row-major order,
 * so the text term is indexed by pixel position, as published.
 */
public final class TpLora extends SegmenterMethod {
    private final TpLoraConfig config;
    private final TextPrompt prompt;
    private NDArray promptArray;
    private String promptText;
    private String textEncoder;

    public TpLora(SegmenterLayout layout, TpLoraConfig config, TextPrompt prompt) {
        super(layout);
        this.config = config;
        this.prompt = prompt;
    }

    public static TpLora published(TpLoraConfig config, TextPrompt prompt) {
        return new TpLora(SegmenterLayout.swinAttUNet(), config, prompt);
    }

    @Override
    public TpLoraConfig config() {
        return config;
    }

    /** The prompt tensor {@code [1, seq, width]} of the last attach. */
    public ai.djl.ndarray.NDArray promptArray() {
        return promptArray;
    }

    /**
     * Records which sentence and which BERT (its content fingerprint) the prompt was computed from, so the adapter
     * file says so; the encoder itself is never part of the adapter.
     */
    public TpLora withPromptSource(String text, String encoderFingerprint) {
        this.promptText = text;
        this.textEncoder = encoderFingerprint;
        return this;
    }

    /** The sentence of the prompt, when it was encoded here (else null). */
    public String promptText() {
        return promptText;
    }

    /** The content fingerprint of the BERT that encoded the prompt, when it was encoded here (else null). */
    public String textEncoder() {
        return textEncoder;
    }

    @Override
    public String name() {
        return "tplora";
    }

    /** The prompt tensor goes into the model's manager first: every adapter added after it reads it. */
    @Override
    protected void attachBackbone(Attachment a, NDManager m, List<SegmenterLayout.Block> blocks) {
        promptArray = prompt.toArray(managerOf(a.model()));
    }

    private TextPromptedLora adapter(NDManager m, int dim) {
        return new TextPromptedLora(m, dim, config.rank(), config.textHidden(), config.act().kind, promptArray);
    }

    /**
     * DEEP limits the MLP adapters to the first two blocks of each stage. The attention adapters go into every
     * block whatever the setting, as in the published code (its window attention is built without the block's
     * flag); the published parameter counts (320,918 on Swin-T, 532,934 on Swin-S) depend on it.
     */
    @Override
    protected void attachBlock(Attachment a, NDManager m, SegmenterLayout.Block b) {
        if (config.in().attention()) {
            String attn = b.path() + ".attn";
            TextPromptedLora q = a.addModule(attn, "tp_lora_q", backboneInit(adapter(m, b.dim())));
            TextPromptedLora v = a.addModule(attn, "tp_lora_v", backboneInit(adapter(m, b.dim())));
            addToQueryAndValue(a, b.path(), q, v);
        }
        if (config.in().mlp() && !(config.out() == TpLoraConfig.Out.DEEP && b.index() > 1)) {
            TextPromptedLora ad = a.addModule(b.path(), "tp_lora_mlp", backboneInit(adapter(m, b.dim())));
            besideMlp(a, b.path(), ad, 1f);
        }
    }

    @Override
    protected void attachDecoder(Attachment a, NDManager m, int level, String path, int channels) {
        TextPromptedLora ad = a.addModule("", "tp_lora_adapter" + level, adapter(m, channels));
        besideDecoder(a, path, channels, onPixelTokens(ad), 1f);
    }

    @Override
    protected void attachGate(Attachment a, NDManager m, int level, String path, int channels) {
        if (config.out() == TpLoraConfig.Out.BASE) {
            return;
        }
        TextPromptedLora ad = a.addModule(path, "tp_lora_adapter_cnn", adapter(m, channels));
        besideGate(a, path, onPixelTokens(ad), 1f);
    }

    /** Runs a token adapter on the pixels of an NCHW map as one sequence of H*W tokens, and back. */
    private static Layer onPixelTokens(Layer tokens) {
        return map -> {
            TokenGrid g = TokenGrid.of(map);
            return g.with(tokens.forward(g.x())).toMap();
        };
    }
}
