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
import ai.peft4j.core.nn.UpsampleBilinear;

/**
 * EfficientFormerV2's attention on NCHW maps: queries, keys and values from 1x1 convolutions with BatchNorm,
 * scores plus a learned position bias, mixed across heads before and after the softmax ("talking heads"), a
 * depth-wise 3x3 local branch on the values, then GELU and a 1x1 projection. With a stride the map is first
 * reduced by a strided depth-wise convolution and the result upsampled back (bilinear, corners not aligned).
 *
 * <p>The published module caches {@code attention_biases[:, idxs]} as {@code ab} when switched to eval mode and
 * reads the cache in eval mode; here the gather runs on every pass. The two agree whenever the weights were set
 * before {@code eval()} (as the published predictors and the fixtures do); weights loaded into an already-eval
 * published model would keep the stale cache there.
 */
public class Attention4D extends Module implements Layer {
    private final int heads;
    private final int keyDim;
    private final int valueDim;
    private final int resolution;
    private final int stride;
    private final float scale;
    private final NDArray flatIndex;

    public Attention4D(NDManager manager, int dim, int keyDim, int heads, int attnRatio, int resolution,
            int stride) {
        this.heads = heads;
        this.keyDim = keyDim;
        this.valueDim = attnRatio * keyDim;
        this.stride = stride;
        this.resolution = stride > 1 ? (resolution + stride - 1) / stride : resolution;
        this.scale = (float) Math.pow(keyDim, -0.5);
        int n = this.resolution * this.resolution;
        AttentionBias bias = AttentionBias.of(this.resolution, 1, this.resolution);
        registerParameter("attention_biases", manager.zeros(new Shape(heads, bias.offsets)));
        registerBuffer("attention_bias_idxs", manager.create(bias.index, new Shape(n, n)), true);
        flatIndex = manager.create(bias.index);
        int qk = heads * keyDim;
        int dh = heads * valueDim;
        if (stride > 1) {
            registerModule("stride_conv", new Sequential(new Conv2d(manager, dim, dim, 3, stride, 1, dim, true),
                    new BatchNorm2d(manager, dim)));
            registerModule("upsample", new UpsampleBilinear(stride, false));
        }
        registerModule("q", convBn(manager, dim, qk));
        registerModule("k", convBn(manager, dim, qk));
        registerModule("v", convBn(manager, dim, dh));
        registerModule("v_local", new Sequential(new Conv2d(manager, dh, dh, 3, 1, 1, dh, true),
                new BatchNorm2d(manager, dh)));
        registerModule("talking_head1", new Conv2d(manager, heads, heads, 1, 1, 0, 1, true));
        registerModule("talking_head2", new Conv2d(manager, heads, heads, 1, 1, 0, 1, true));
        registerModule("proj", new Sequential(Activation.gelu(), new Conv2d(manager, dh, dim, 1, 1, 0, 1, true),
                new BatchNorm2d(manager, dim)));
    }

    static Sequential convBn(NDManager manager, int in, int out) {
        return new Sequential(new Conv2d(manager, in, out, 1, 1, 0, 1, true), new BatchNorm2d(manager, out));
    }

    @Override
    public NDArray forward(NDArray x) {
        long b = x.getShape().get(0);
        NDArray in = stride > 1 ? call("stride_conv", x) : x;
        long h = in.getShape().get(2);
        long w = in.getShape().get(3);
        if (h != resolution || w != resolution) {
            throw new IllegalArgumentException("this attention block is built for a " + resolution + "x"
                    + resolution + " grid (its position biases fix the input size), got " + h + "x" + w);
        }
        long n = h * w;
        NDArray q = call("q", in).reshape(b, heads, keyDim, n).transpose(0, 1, 3, 2);
        NDArray k = call("k", in).reshape(b, heads, keyDim, n);
        NDArray v = call("v", in);
        NDArray local = call("v_local", v);
        v = v.reshape(b, heads, valueDim, n).transpose(0, 1, 3, 2);
        NDArray bias = near(AttentionBias.expand(parameter("attention_biases").data(), flatIndex, n, n), x);
        NDArray attn = Scalars.mul(q.matMul(k), scale).add(bias);
        attn = call("talking_head1", attn).softmax(-1);
        attn = call("talking_head2", attn);
        NDArray out = attn.matMul(v).transpose(0, 1, 3, 2).reshape(b, (long) heads * valueDim, h, w).add(local);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.ATTENTION_MATMUL, b * heads * n * n * (keyDim + valueDim));
        }
        if (stride > 1) {
            out = call("upsample", out);
        }
        return call("proj", out);
    }
}
