package ai.peft4j.peft.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Constants;
import ai.peft4j.core.tensor.Scalars;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.bottleneck.Bottleneck;
import java.util.List;

/**
 * Medical-SAM-Adapter's Adapter ({@code sam-adapter}; {@code AdapterBlock}, {@code TinyViTAdapterBlock}): in every
 * encoder block a residual {@code Space_Adapter} ({@code x + fc2(GELU(fc1 x))}) on the attention output and
 * {@code scale * MLP_Adapter(x)} (no residual) beside the MLP, on the MLP's input. The encoder is frozen; the mask
 * decoder trains.
 *
 * <p>Published details kept: the ViT block pads windows before {@code norm1} (option {@code pad_before_norm}); the
 * TinyViT block adds the space adapter only where it partitions windows, not where a stage's map equals its window.
 * Option {@code torch113_bn_grad} reproduces the reference runtime's wrong TinyViT gradients (see
 * {@link SamAdapterConfig}).
 */
public final class SamAdapter extends SamEncoderMethod {
    public static final String NAME = "sam-adapter";
    private static final Bottleneck.Spec SPACE = new Bottleneck.Spec("D_fc1", "D_fc2", true, Activation.Kind.GELU,
            0f, true);
    private static final Bottleneck.Spec BESIDE = new Bottleneck.Spec("D_fc1", "D_fc2", true, Activation.Kind.GELU,
            0f, false);
    private final SamAdapterConfig config;

    public SamAdapter(SamAdapterConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SamAdapterConfig config() {
        return config;
    }

    @Override
    protected void addToBlocks(Attachment a, List<SamEncoderBlocks.Block> blocks) {
        Module model = a.model();
        for (SamEncoderBlocks.Block block : blocks) {
            Linear fc1 = (Linear) model.module(block.fc1());
            int dim = fc1.inFeatures();
            int hidden = (int) (dim * config.mlpRatio());
            NDManager manager = fc1.weight().data().getManager();
            Bottleneck mlpAdapter = a.addModule(block.path(), "MLP_Adapter", new Bottleneck(manager, dim, hidden,
                    BESIDE));
            Bottleneck space = a.addModule(block.path(), "Space_Adapter", new Bottleneck(manager, dim, hidden,
                    SPACE));
            if (config.depthAdapter()) {
                a.addModule(block.path(), "Depth_Adapter", new Bottleneck(manager, dim, hidden, BESIDE));
            }
            float scale = config.scale();
            a.addHook(block.path() + ".mlp", (m, in, out) -> out.add(Scalars.mul(mlpAdapter.forward((NDArray) in[0]),
                    scale)));
            if (block.tinyVit()) {
                addTinyVitSpaceAdapter(a, block, space);
                if (config.torch113BnGrad()) {
                    a.addHook(block.path() + ".local_conv", (m, in, out) -> torch113BnGrad(out));
                }
            } else {
                a.addHook(block.path() + ".attn", (m, in, out) -> space.forward(out));
                if (config.padBeforeNorm()) {
                    padBeforeNorm(a, block.path());
                }
            }
        }
        if (config.trainDecoder()) {
            a.trainBase(SamEncoderBlocks::isDecoder);
        }
    }

    /**
     * The published TinyViT block adds the space adapter in its windowed branch only. A block runs unpartitioned
     * when its map is exactly one window: the tokens it gets (from the previous stage's patch merging) number
     * window^2, the size of its attention-bias offsets table.
     */
    private static void addTinyVitSpaceAdapter(Attachment a, SamEncoderBlocks.Block block, Bottleneck space) {
        Module model = a.model();
        long windowTokens = model.module(block.path() + ".attn").parameter("attention_biases").shape().get(1);
        String stage = block.stage();
        int s = Integer.parseInt(stage.substring(stage.lastIndexOf('.') + 1));
        String previous = stage.substring(0, stage.lastIndexOf('.') + 1) + (s - 1) + ".downsample";
        long[] tokens = {-1};
        if (s > 0 && model.namedModules().containsKey(previous)) {
            a.addHook(previous, (m, in, out) -> {
                tokens[0] = out.getShape().get(1);
                return out;
            });
        }
        a.addHook(block.path() + ".attn", (m, in, out) -> tokens[0] == windowTokens ? out : space.forward(out));
    }

    /**
     * The reference fixture's TinyViT adapter gradients come from PyTorch 1.13, whose CPU BatchNorm backward, given
     * a contiguous input and a channels-last-strided gradient (here the token-major {@code [B, H*W, C]} buffer of the
     * gradient of {@code local_conv}'s output, which the adapter block's three consumers leave that way), reads the
     * gradient's memory as NCHW. With {@code P} that reading, the BatchNorm gets {@code P(g)} instead of {@code g}.
     * The output here is {@code y} in value, {@code stop(y) + Q(y) - stop(Q(y))} with {@code Q = P^-1} (NCHW read
     * as tokens, then put back as NCHW), so the gradient reaching {@code y} is {@code Q^T g = P(g)}.
     */
    private static NDArray torch113BnGrad(NDArray y) {
        Shape s = y.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        NDArray q = y.reshape(b, h * w, c).transpose(0, 2, 1).reshape(b, c, h, w);
        return y.stopGradient().add(q.sub(q.stopGradient()));
    }

    /**
     * The published ViT {@code AdapterBlock} partitions windows before {@code norm1}, so the zero-padded tokens leave
     * the norm as its bias and take part in attention as such; SAM's own block pads after the norm. The map size is
     * read where {@code norm1} sees the whole map, and the padded tokens of each window get the bias added.
     */
    private static void padBeforeNorm(Attachment a, String block) {
        Module model = a.model();
        ai.peft4j.core.nn.Parameter beta = model.module(block + ".norm1").parameter("bias");
        long[] map = new long[3];
        a.addHook(block + ".norm1", (m, in, out) -> {
            Shape s = out.getShape();
            map[0] = s.get(0);
            map[1] = s.get(1);
            map[2] = s.get(2);
            return out;
        });
        a.addPreHook(block + ".attn", (m, x) -> {
            Shape s = x.getShape();
            long size = s.get(1);
            long h = map[1];
            long w = map[2];
            if (s.get(0) == map[0] && size == h && s.get(2) == w) {
                return x; // a global block: nothing is padded
            }
            long nh = (h + size - 1) / size;
            long nw = (w + size - 1) / size;
            if (nh * size == h && nw * size == w) {
                return x;
            }
            float[] mask = new float[(int) (nh * nw * size * size)];
            int k = 0;
            for (long i = 0; i < nh; i++) {
                for (long j = 0; j < nw; j++) {
                    for (long r = 0; r < size; r++) {
                        for (long c = 0; c < size; c++) {
                            mask[k++] = i * size + r >= h || j * size + c >= w ? 1f : 0f;
                        }
                    }
                }
            }
            NDManager mm = x.getManager();
            NDArray pad = Constants.like(x, mask, new Shape(1, nh * nw, size, size, 1));
            NDArray b = beta.data().reshape(beta.shape());
            b.attach(mm);
            NDArray shift = pad.mul(b.reshape(1, 1, 1, 1, -1));
            return x.reshape(map[0], nh * nw, size, size, s.get(3)).add(shift).reshape(s);
        });
    }
}
