package ai.peft4j.infer.onnx;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.models.efficientformer.Attention4D;
import ai.peft4j.models.efficientformer.Attention4DDownsample;
import ai.peft4j.models.efficientformer.AttentionEmbedding;
import ai.peft4j.models.efficientformer.AttnFfn;
import ai.peft4j.models.efficientformer.EfficientFormerV2;
import ai.peft4j.models.efficientformer.Embedding;
import ai.peft4j.models.efficientformer.Ffn;
import ai.peft4j.models.efficientformer.LocalGlobalQuery;
import ai.peft4j.models.efficientformer.MidConvMlp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Emitters for EfficientFormerV2's blocks, mirroring {@code ai.peft4j.models.efficientformer}. The attention's
 * sizes are read from its weights (heads from the talking heads or the bias table, key and value widths from
 * the projections) and its position biases are gathered once at export time into a constant
 * {@code [heads, queries, keys]} tensor, as the published model caches them in eval mode.
 */
final class EfficientFormerEmitters {
    private EfficientFormerEmitters() {}

    static void register(Map<Class<?>, Emitter<?>> out) {
        out.put(Embedding.class, (Emitter<Embedding>) (ctx, m, x) ->
                ctx.child(m, "norm", ctx.child(m, "proj", x)));
        out.put(MidConvMlp.class, (Emitter<MidConvMlp>) (ctx, m, x) -> {
            Value h = ctx.child(m, "act", ctx.child(m, "norm1", ctx.child(m, "fc1", x)));
            h = ctx.child(m, "act", ctx.child(m, "mid_norm", ctx.child(m, "mid", h)));
            return ctx.child(m, "norm2", ctx.child(m, "fc2", h));
        });
        out.put(Ffn.class, (Emitter<Ffn>) (ctx, m, x) -> ctx.add(x, layerScale(ctx, m, "layer_scale_2",
                ctx.child(m, "mlp", x))));
        out.put(AttnFfn.class, (Emitter<AttnFfn>) (ctx, m, x) -> {
            Value y = ctx.add(x, layerScale(ctx, m, "layer_scale_1", ctx.child(m, "token_mixer", x)));
            return ctx.add(y, layerScale(ctx, m, "layer_scale_2", ctx.child(m, "mlp", y)));
        });
        out.put(LocalGlobalQuery.class, (Emitter<LocalGlobalQuery>) (ctx, m, x) ->
                ctx.child(m, "proj", ctx.add(ctx.child(m, "local", x), ctx.child(m, "pool", x))));
        out.put(AttentionEmbedding.class, (Emitter<AttentionEmbedding>) (ctx, m, x) ->
                ctx.add(ctx.child(m, "attn", x), ctx.child(m, "bn", ctx.child(m, "conv", x))));
        out.put(Attention4D.class, (Emitter<Attention4D>) EfficientFormerEmitters::attention);
        out.put(Attention4DDownsample.class, (Emitter<Attention4DDownsample>) EfficientFormerEmitters::downsample);
    }

    private static Value layerScale(ExportContext ctx, Module m, String name, Value x) {
        NDArray ls = m.parameter(name).data();
        return ctx.mulConstant(name, CoreEmitters.values(ls), CoreEmitters.dims(ls), x);
    }

    private static int outChannels(ExportContext ctx, Module convBn) {
        Sequential s = CoreEmitters.as(ctx, convBn, Sequential.class);
        return CoreEmitters.as(ctx, s.get(0), Conv2d.class).outChannels();
    }

    /** {@code biases[:, idxs]} as a {@code [heads, queries, keys]} constant. */
    private static String biasTable(ExportContext ctx, Module m, int heads, long queries, long keys) {
        float[] table = CoreEmitters.values(m.parameter("attention_biases").data());
        long offsets = m.parameter("attention_biases").data().getShape().get(1);
        long[] idx = m.buffer("attention_bias_idxs").data().toLongArray();
        if (idx.length != queries * keys) {
            throw new IllegalArgumentException(ctx.where() + ": its position-bias index covers " + idx.length
                    + " query-key pairs, the map gives " + queries + "x" + keys + " (the attention is built for "
                    + "another input size)");
        }
        float[] out = new float[(int) (heads * queries * keys)];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < idx.length; i++) {
                out[h * idx.length + i] = table[(int) (h * offsets + idx[i])];
            }
        }
        return ctx.constant("attention_bias", out, heads, queries, keys);
    }

    static Value attention(ExportContext ctx, Attention4D m, Value x) {
        int heads = CoreEmitters.as(ctx, m.child("talking_head1"), Conv2d.class).inChannels();
        int keyDim = outChannels(ctx, m.child("q")) / heads;
        int valueDim = outChannels(ctx, m.child("v")) / heads;
        boolean strided = m.hasChild("stride_conv");
        Value in = strided ? ctx.child(m, "stride_conv", x) : x;
        long h = in.dim(2);
        long w = in.dim(3);
        long n = h * w;
        long dh = (long) heads * valueDim;
        String bias = biasTable(ctx, m, heads, n, n);
        Value q = ctx.transpose(ctx.reshape(ctx.child(m, "q", in), 0, heads, keyDim, n), 0, 1, 3, 2);
        Value k = ctx.reshape(ctx.child(m, "k", in), 0, heads, keyDim, n);
        Value v = ctx.child(m, "v", in);
        Value local = ctx.child(m, "v_local", v);
        v = ctx.transpose(ctx.reshape(v, 0, heads, valueDim, n), 0, 1, 3, 2);
        Value attn = ctx.scale(ctx.matMul(q, k), (float) Math.pow(keyDim, -0.5));
        attn = ctx.add(attn, new Value(bias, new long[] {heads, n, n}));
        attn = ctx.softmax(ctx.child(m, "talking_head1", attn), -1);
        attn = ctx.child(m, "talking_head2", attn);
        Value out = ctx.reshape(ctx.transpose(ctx.matMul(attn, v), 0, 1, 3, 2), 0, dh, h, w);
        out = ctx.add(out, local);
        if (strided) {
            out = ctx.child(m, "upsample", out);
        }
        return ctx.child(m, "proj", out);
    }

    static Value downsample(ExportContext ctx, Attention4DDownsample m, Value x) {
        int heads = (int) m.parameter("attention_biases").data().getShape().get(0);
        int keyDim = outChannels(ctx, m.child("k")) / heads;
        int valueDim = outChannels(ctx, m.child("v")) / heads;
        long n = x.dim(2) * x.dim(3);
        long dh = (long) heads * valueDim;
        Value query = ctx.child(m, "q", x);
        long h2 = query.dim(2);
        long w2 = query.dim(3);
        long n2 = h2 * w2;
        String bias = biasTable(ctx, m, heads, n2, n);
        Value q = ctx.transpose(ctx.reshape(query, 0, heads, keyDim, n2), 0, 1, 3, 2);
        Value k = ctx.reshape(ctx.child(m, "k", x), 0, heads, keyDim, n);
        Value v = ctx.child(m, "v", x);
        Value local = ctx.child(m, "v_local", v);
        v = ctx.transpose(ctx.reshape(v, 0, heads, valueDim, n), 0, 1, 3, 2);
        Value attn = ctx.scale(ctx.matMul(q, k), (float) Math.pow(keyDim, -0.5));
        attn = ctx.softmax(ctx.add(attn, new Value(bias, new long[] {heads, n2, n})), -1);
        Value out = ctx.reshape(ctx.transpose(ctx.matMul(attn, v), 0, 1, 3, 2), 0, dh, h2, w2);
        return ctx.child(m, "proj", ctx.add(out, local));
    }

    /** The four normalised stage maps, as {@link EfficientFormerV2#features}. */
    static List<Value> features(ExportContext ctx, EfficientFormerV2 m, Value images) {
        int r = m.config().resolution();
        if (images.dim(2) != r || images.dim(3) != r) {
            throw new IllegalArgumentException("EfficientFormerV2 is built for " + r + "x" + r + " images (its "
                    + "attention position biases fix the size); cannot export it at " + images.dim(2) + "x"
                    + images.dim(3));
        }
        Value x = ctx.child(m, "patch_embed", images);
        ModuleList<?> network = CoreEmitters.as(ctx, m.child("network"), ModuleList.class);
        List<Value> outs = new ArrayList<>(4);
        for (int i = 0; i < network.size(); i++) {
            int index = i;
            Value in = x;
            x = ctx.within("network", () -> ctx.child(network, Integer.toString(index), in));
            if (i % 2 == 0) {
                outs.add(ctx.child(m, "norm" + i, x));
            }
        }
        return outs;
    }
}
