package ai.peft4j.peft.convpass;

import ai.peft4j.core.tensor.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.TokenGrid;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Convpass as the TP-LoRA comparison runs it: in each block {@code conv_pass_attn} on the normalised tokens is
 * added to the attention residual and {@code conv_pass_mlp} beside the MLP (scale 1); beside each decoder block
 * ({@code conv_pass<k>}) and in each gate ({@code conv_pass_att}) a convolutional bypass on maps.
 */
public final class Convpass extends SegmenterMethod {
    private final int dim;
    private final float scale;

    public Convpass(SegmenterLayout layout, int dim, float scale) {
        super(layout);
        this.dim = dim;
        this.scale = scale;
    }

    public static Convpass published() {
        return new Convpass(SegmenterLayout.swinAttUNet(), 8, 1f);
    }

    @Override
    public ConvpassConfig config() {
        return new ConvpassConfig(dim, scale);
    }

    @Override
    public String name() {
        return "convpass";
    }

    @Override
    protected void attachBlock(Attachment a, NDManager m, SegmenterLayout.Block b) {
        ConvpassTokens attnSide = a.addModule(b.path(), "conv_pass_attn",
                backboneInit(new ConvpassTokens(m, b.dim(), dim)));
        ConvpassTokens mlpSide = a.addModule(b.path(), "conv_pass_mlp",
                backboneInit(new ConvpassTokens(m, b.dim(), dim)));
        // The MLP sees flat tokens; the grid comes from the attention branch, which always runs first.
        AtomicReference<TokenGrid> grid = new AtomicReference<>();
        a.addHook(b.path() + ".attn", (mod, in, out) -> {
            TokenGrid g = (TokenGrid) in[0];
            grid.set(g);
            return out.add(scaled(attnSide.forward(g)));
        });
        a.addHook(b.path() + ".mlp", (mod, in, out) -> {
            TokenGrid g = grid.get();
            return out.add(scaled(mlpSide.forward(g.with((NDArray) in[0]))));
        });
    }

    @Override
    protected void attachDecoder(Attachment a, NDManager m, int level, String path, int channels) {
        ConvpassMap cp = a.addModule("", "conv_pass" + level, new ConvpassMap(m, channels, dim));
        besideDecoder(a, path, channels, cp, scale);
    }

    @Override
    protected void attachGate(Attachment a, NDManager m, int level, String path, int channels) {
        ConvpassMap cp = a.addModule(path, "conv_pass_att", new ConvpassMap(m, channels, dim));
        besideGate(a, path, cp, scale);
    }

    private NDArray scaled(NDArray x) {
        return scale == 1f ? x : Scalars.mul(x, scale);
    }
}
