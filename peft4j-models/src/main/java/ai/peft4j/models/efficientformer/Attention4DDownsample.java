package ai.peft4j.models.efficientformer;

import ai.peft4j.core.tensor.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;

/**
 * Attention that halves the grid (between stages 3 and 4): queries come from the half-resolution
 * {@link LocalGlobalQuery}, keys and values from the full map, a stride-2 depth-wise local branch is added, then
 * GELU and a 1x1 projection to the next stage's width. No talking heads.
 */
public class Attention4DDownsample extends Module implements Layer {
    private final int heads;
    private final int keyDim;
    private final int valueDim;
    private final int resolution;
    private final int resolution2;
    private final float scale;
    private final NDArray flatIndex;

    public Attention4DDownsample(NDManager manager, int dim, int outDim, int keyDim, int heads, int attnRatio,
            int resolution) {
        this.heads = heads;
        this.keyDim = keyDim;
        this.valueDim = attnRatio * keyDim;
        this.resolution = resolution;
        this.resolution2 = (resolution + 1) / 2;
        this.scale = (float) Math.pow(keyDim, -0.5);
        int step = (resolution + resolution2 - 1) / resolution2;
        AttentionBias bias = AttentionBias.of(resolution2, step, resolution);
        registerParameter("attention_biases", manager.zeros(new Shape(heads, bias.offsets)));
        registerBuffer("attention_bias_idxs", manager.create(bias.index,
                new Shape((long) resolution2 * resolution2, (long) resolution * resolution)), true);
        flatIndex = manager.create(bias.index);
        int qk = heads * keyDim;
        int dh = heads * valueDim;
        registerModule("q", new LocalGlobalQuery(manager, dim, qk));
        registerModule("k", Attention4D.convBn(manager, dim, qk));
        registerModule("v", Attention4D.convBn(manager, dim, dh));
        registerModule("v_local", new Sequential(new Conv2d(manager, dh, dh, 3, 2, 1, dh, true),
                new BatchNorm2d(manager, dh)));
        registerModule("proj", new Sequential(Activation.gelu(), new Conv2d(manager, dh, outDim, 1, 1, 0, 1, true),
                new BatchNorm2d(manager, outDim)));
    }

    @Override
    public NDArray forward(NDArray x) {
        long b = x.getShape().get(0);
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        if (h != resolution || w != resolution) {
            throw new IllegalArgumentException("this downsampling attention is built for a " + resolution + "x"
                    + resolution + " grid (its position biases fix the input size), got " + h + "x" + w);
        }
        long n = h * w;
        long n2 = (long) resolution2 * resolution2;
        NDArray q = call("q", x).reshape(b, heads, keyDim, n2).transpose(0, 1, 3, 2);
        NDArray k = call("k", x).reshape(b, heads, keyDim, n);
        NDArray v = call("v", x);
        NDArray local = call("v_local", v);
        v = v.reshape(b, heads, valueDim, n).transpose(0, 1, 3, 2);
        NDArray bias = near(AttentionBias.expand(parameter("attention_biases").data(), flatIndex, n2, n), x);
        NDArray attn = Scalars.mul(q.matMul(k), scale).add(bias).softmax(-1);
        NDArray out = attn.matMul(v).transpose(0, 1, 3, 2)
                .reshape(b, (long) heads * valueDim, resolution2, resolution2).add(local);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.ATTENTION_MATMUL, b * heads * n2 * n * (keyDim + valueDim));
        }
        return call("proj", out);
    }
}
