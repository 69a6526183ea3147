package ai.peft4j.peft.houlsby;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.bottleneck.Bottleneck;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;

/**
 * The "Adapter" row of the TP-LoRA comparison: in each block a residual bottleneck {@code Adapter2} after window
 * attention and {@code 0.5 * Adapter1(y)} beside the MLP; after each decoder block and gate a residual bottleneck
 * ({@code Adapter<k>}, {@code Att_adapter}). Width is a quarter of the channels, GELU, biases.
 *
 * <p>In training mode the published block also moves stochastic depth from the attention and MLP branches onto the
 * adapter branch; here drop path stays where the base model has it. Eval-mode outputs are identical.
 */
public final class HoulsbyAdapter extends SegmenterMethod {
    private final float ratio;
    private final boolean identityInit;

    public HoulsbyAdapter(SegmenterLayout layout, float ratio) {
        this(layout, new HoulsbyConfig(ratio));
    }

    /** The adapter with {@code config}'s width and initialisation. */
    public HoulsbyAdapter(SegmenterLayout layout, HoulsbyConfig config) {
        super(layout);
        this.ratio = config.ratio();
        this.identityInit = config.identityInit();
    }

    public static HoulsbyAdapter published() {
        return new HoulsbyAdapter(SegmenterLayout.swinAttUNet(), 0.25f);
    }

    @Override
    public HoulsbyConfig config() {
        return new HoulsbyConfig(ratio, identityInit ? HoulsbyConfig.IDENTITY : HoulsbyConfig.PUBLISHED);
    }

    @Override
    public String name() {
        return "adapter";
    }

    private int hidden(int dim) {
        return (int) (dim * ratio);
    }

    @Override
    protected void attachBlock(Attachment a, NDManager m, SegmenterLayout.Block b) {
        Bottleneck mlpSide = a.addModule(b.path(), "Adapter1",
                started(backboneInit(new Bottleneck(m, b.dim(), hidden(b.dim()), Bottleneck.Spec.houlsby(false)))));
        Bottleneck afterAttn = a.addModule(b.path(), "Adapter2",
                started(backboneInit(new Bottleneck(m, b.dim(), hidden(b.dim()), Bottleneck.Spec.houlsby(true)))));
        a.addHook(b.path() + ".attn", (mod, in, out) -> afterAttn.forward(out));
        besideMlp(a, b.path(), mlpSide, 0.5f);
    }

    @Override
    protected void attachDecoder(Attachment a, NDManager m, int level, String path, int channels) {
        Layer ad = onMaps(a.addModule("", "Adapter" + level,
                started(new Bottleneck(m, channels, hidden(channels), Bottleneck.Spec.houlsby(true)))));
        a.addHook(path, (mod, in, out) -> ad.forward(out));
    }

    @Override
    protected void attachGate(Attachment a, NDManager m, int level, String path, int channels) {
        Layer ad = onMaps(a.addModule(path, "Att_adapter",
                started(new Bottleneck(m, channels, hidden(channels), Bottleneck.Spec.houlsby(true)))));
        a.addHook(path, (mod, in, out) -> ad.forward(out));
    }

    /**
     * With identity initialisation the up-projection's weight and bias start at zero, so the adapter is a no-op
     * until it learns.
     */
    private Bottleneck started(Bottleneck adapter) {
        if (identityInit) {
            adapter.zeroUp();
            Initializers.constant(adapter.upProjection().bias(), 0f);
        }
        return adapter;
    }
}
