package ai.peft4j.infer.onnx;

import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.models.efficientformer.EfficientFormerV2;
import ai.peft4j.models.fastsegformer.Classifier;
import ai.peft4j.models.fastsegformer.ConvBnRelu;
import ai.peft4j.models.fastsegformer.DsConv;
import ai.peft4j.models.fastsegformer.DwConv;
import ai.peft4j.models.fastsegformer.FastSegFormer;
import ai.peft4j.models.fastsegformer.FastSegFormerConfig;
import ai.peft4j.models.fastsegformer.GlobalFeatureExtractor;
import ai.peft4j.models.fastsegformer.LinearBottleneck;
import ai.peft4j.models.fastsegformer.MultiscalePyramid;
import ai.peft4j.models.fastsegformer.PyramidPooling;
import ai.peft4j.models.poolformer.PoolFormer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Emitters for FastSegFormer's head, mirroring {@code ai.peft4j.models.fastsegformer}: every bilinear resize
 * aligns corners, and the reconstruction branch works at the fixed 112x112 side the published code hard-codes.
 */
final class FastSegFormerEmitters {
    private static final int[] BINS = {1, 2, 3, 6};

    private FastSegFormerEmitters() {}

    static void register(Map<Class<?>, Emitter<?>> out) {
        out.put(FastSegFormer.class, (Emitter<FastSegFormer>) FastSegFormerEmitters::model);
        out.put(ConvBnRelu.class, (Emitter<ConvBnRelu>) (ctx, m, x) -> ctx.child(m, "conv", x));
        out.put(DwConv.class, (Emitter<DwConv>) (ctx, m, x) -> ctx.child(m, "conv", x));
        out.put(DsConv.class, (Emitter<DsConv>) (ctx, m, x) -> ctx.child(m, "conv", x));
        out.put(Classifier.class, (Emitter<Classifier>) (ctx, m, x) ->
                ctx.child(m, "conv", ctx.child(m, "dsconv2", ctx.child(m, "dsconv1", x))));
        out.put(LinearBottleneck.class, (Emitter<LinearBottleneck>) FastSegFormerEmitters::bottleneck);
        out.put(GlobalFeatureExtractor.class, (Emitter<GlobalFeatureExtractor>) (ctx, m, x) -> {
            Value y = x;
            for (int s = 1; m.hasChild("bottleneck" + s); s++) {
                y = ctx.child(m, "bottleneck" + s, y);
            }
            return ctx.child(m, "ppm", y);
        });
        out.put(MultiscalePyramid.class, (Emitter<MultiscalePyramid>) (ctx, m, x) -> {
            List<Value> parts = new ArrayList<>(List.of(x));
            for (int i = 0; i < 4; i++) {
                parts.add(ctx.child(m, "conv" + (i + 5), ctx.child(m, "conv" + (i + 1), x)));
            }
            return ctx.child(m, "out", ctx.concat(parts, 1));
        });
        out.put(PyramidPooling.class, (Emitter<PyramidPooling>) FastSegFormerEmitters::pyramidPooling);
    }

    /** The residual is added when stride is 1 and widths agree, which the weights' shapes tell. */
    static Value bottleneck(ExportContext ctx, LinearBottleneck m, Value x) {
        Sequential block = CoreEmitters.as(ctx, m.child("block"), Sequential.class);
        Conv2d depthwise = CoreEmitters.as(ctx, block.get(1).module("conv.0"), Conv2d.class);
        Value y = ctx.child(m, "block", x);
        boolean shortcut = depthwise.stride() == 1 && y.dim(1) == x.dim(1);
        return shortcut ? ctx.add(x, y) : y;
    }

    /**
     * Adaptive average pooling to {@code bins x bins} as two constant matrix products with torch's bin rule
     * (bins overlap when they do not divide the side), then 1x1 blocks and aligned-corner resizes back.
     */
    static Value pyramidPooling(ExportContext ctx, PyramidPooling m, Value x) {
        long h = x.dim(2);
        long w = x.dim(3);
        List<Value> parts = new ArrayList<>(List.of(x));
        for (int i = 0; i < 4; i++) {
            int bins = BINS[i];
            Value rows = new Value(ctx.constant("pool_rows", binMatrix(bins, (int) h, false), bins, h),
                    new long[] {bins, h});
            Value colsT = new Value(ctx.constant("pool_cols", binMatrix(bins, (int) w, true), w, bins),
                    new long[] {w, bins});
            Value pooled = ctx.matMul(ctx.matMul(rows, x), colsT);
            parts.add(ctx.resize(ctx.child(m, "conv" + (i + 1), pooled), h, w, true));
        }
        return ctx.child(m, "out", ctx.concat(parts, 1));
    }

    /** Row {@code i} averages input {@code floor(i*in/out)} to {@code ceil((i+1)*in/out)}; optionally transposed. */
    static float[] binMatrix(int out, int in, boolean transposed) {
        float[] m = new float[out * in];
        for (int i = 0; i < out; i++) {
            int start = Math.floorDiv(i * in, out);
            int end = -Math.floorDiv(-(i + 1) * in, out);
            for (int j = start; j < end; j++) {
                m[transposed ? j * out + i : i * in + j] = 1f / (end - start);
            }
        }
        return m;
    }

    static Value model(ExportContext ctx, FastSegFormer m, Value images) {
        if (images.rank() != 4 || images.dim(1) != 3) {
            throw new IllegalArgumentException("FastSegFormer takes images [N, 3, H, W], got " + images);
        }
        if (images.dim(2) % 32 != 0 || images.dim(3) % 32 != 0) {
            throw new IllegalArgumentException("FastSegFormer takes sides that are multiples of 32 (its fusion "
                    + "enlarges the 1/32 map x4 onto the 1/8 map), got " + images.dim(2) + "x" + images.dim(3));
        }
        Module backbone = m.child("common_backbone");
        List<Value> feats = ctx.within("common_backbone", () -> {
            if (backbone instanceof PoolFormer p) {
                return PoolFormerEmitters.features(ctx, p, images);
            }
            if (backbone instanceof EfficientFormerV2 e) {
                return EfficientFormerEmitters.features(ctx, e, images);
            }
            throw new IllegalArgumentException("cannot export FastSegFormer on a "
                    + backbone.getClass().getSimpleName() + " backbone");
        });
        Value global = ctx.child(m, "global_feature", ctx.child(m, "convert_channel", feats.get(3)));
        Value fused = ctx.within("FFM", () -> fusion(ctx, m.child("FFM"), feats.get(1), global));
        Value y = ctx.child(m, "classify", fused);
        if (m.config().reconstructionBranch()) {
            int side = FastSegFormerConfig.BRANCH_SIDE;
            Value half = ctx.resize(images, side, side, true);
            y = ctx.add(ctx.resize(y, side, side, true), ctx.child(m, "cnn1", half));
            y = ctx.child(m, "cnn2", y);
            return ctx.child(m, "cnn_up", y);
        }
        return ctx.resize(y, images.dim(2), images.dim(3), true);
    }

    /** The fusion module's two-input forward. */
    static Value fusion(ExportContext ctx, Module ffm, Value higher, Value lower) {
        Value low = ctx.resize(lower, lower.dim(2) * 4, lower.dim(3) * 4, true);
        low = ctx.child(ffm, "conv_lower_res", ctx.child(ffm, "dwconv", low));
        Value high = ctx.child(ffm, "conv_higher_res", higher);
        if (!java.util.Arrays.equals(high.shape(), low.shape())) {
            throw new IllegalArgumentException("the 1/8 map " + high + " is not 4x the global map " + lower
                    + " (input sides must be multiples of 32)");
        }
        return ctx.child(ffm, "relu", ctx.add(high, low));
    }
}
