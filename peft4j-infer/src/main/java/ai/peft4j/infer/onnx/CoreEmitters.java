package ai.peft4j.infer.onnx;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.AvgPool2d;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.DropPath;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.GroupNorm;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.MaxPool2d;
import ai.peft4j.core.nn.Mlp;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.core.nn.UpsampleBilinear;
import ai.peft4j.core.nn.UpsampleNearest;
import java.util.Map;

/** Emitters for the layers of peft4j-core; dropout and drop path are identities, as in eval mode. */
final class CoreEmitters {
    private CoreEmitters() {}

    static void register(Map<Class<?>, Emitter<?>> out) {
        out.put(Conv2d.class, (Emitter<Conv2d>) CoreEmitters::conv);
        out.put(BatchNorm2d.class, (Emitter<BatchNorm2d>) CoreEmitters::batchNorm);
        out.put(Activation.class, (Emitter<Activation>) CoreEmitters::activation);
        out.put(Linear.class, (Emitter<Linear>) CoreEmitters::linear);
        out.put(LayerNorm.class, (Emitter<LayerNorm>) CoreEmitters::layerNorm);
        out.put(GroupNorm.class, (Emitter<GroupNorm>) CoreEmitters::groupNorm);
        out.put(AvgPool2d.class, (Emitter<AvgPool2d>) CoreEmitters::avgPool);
        out.put(MaxPool2d.class, (Emitter<MaxPool2d>) CoreEmitters::maxPool);
        out.put(UpsampleBilinear.class, (Emitter<UpsampleBilinear>) (ctx, m, x) -> ctx.resize(x,
                x.dim(2) * m.factor(), x.dim(3) * m.factor(), m.alignCorners()));
        out.put(UpsampleNearest.class, (Emitter<UpsampleNearest>) CoreEmitters::upsampleNearest);
        out.put(Dropout.class, (Emitter<Dropout>) (ctx, m, x) -> x);
        out.put(DropPath.class, (Emitter<DropPath>) (ctx, m, x) -> x);
        out.put(Sequential.class, (Emitter<Sequential>) (ctx, m, x) -> {
            Value y = x;
            for (int i = 0; i < m.size(); i++) {
                y = ctx.child(m, Integer.toString(i), y);
            }
            return y;
        });
        out.put(Mlp.class, (Emitter<Mlp>) (ctx, m, x) -> {
            Value h = ctx.child(m, "fc1", x);
            h = ctx.child(m, "act", h);
            return ctx.child(m, "fc2", h);
        });
    }

    static float[] values(NDArray a) {
        return a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
    }

    static long[] dims(NDArray a) {
        return a.getShape().getShape();
    }

    static Value conv(ExportContext ctx, Conv2d m, Value x) {
        if (x.rank() != 4 || x.dim(1) != m.inChannels()) {
            throw new IllegalArgumentException(ctx.where() + ": " + m + " expects [N, " + m.inChannels()
                    + ", H, W], got " + java.util.Arrays.toString(x.shape()));
        }
        int k = m.kernel();
        int s = m.stride();
        int p = m.padding();
        long h = (x.dim(2) + 2L * p - k) / s + 1;
        long w = (x.dim(3) + 2L * p - k) / s + 1;
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException(ctx.where() + ": a " + x.dim(2) + "x" + x.dim(3) + " map is too "
                    + "small for " + m);
        }
        String weight = ctx.constant("weight", values(m.weight().data()), dims(m.weight().data()));
        Map<String, Object> attrs = Map.of("kernel_shape", new long[] {k, k}, "strides", new long[] {s, s},
                "pads", new long[] {p, p, p, p}, "group", (long) m.groups(), "dilations", new long[] {1, 1});
        long[] shape = {x.dim(0), m.outChannels(), h, w};
        if (m.bias() == null) {
            return ctx.op("Conv", shape, attrs, x.name(), weight);
        }
        String bias = ctx.constant("bias", values(m.bias().data()), m.outChannels());
        return ctx.op("Conv", shape, attrs, x.name(), weight, bias);
    }

    static Value batchNorm(ExportContext ctx, BatchNorm2d m, Value x) {
        int c = m.channels();
        if (x.rank() != 4 || x.dim(1) != c) {
            throw new IllegalArgumentException(ctx.where() + ": BatchNorm2d(" + c + ") got " + x);
        }
        return ctx.op("BatchNormalization", x.shape(), Map.of("epsilon", m.eps()), x.name(),
                ctx.constant("weight", values(m.parameter("weight").data()), c),
                ctx.constant("bias", values(m.parameter("bias").data()), c),
                ctx.constant("running_mean", values(m.buffer("running_mean").data()), c),
                ctx.constant("running_var", values(m.buffer("running_var").data()), c));
    }

    /** Activations are told apart by the name they print, the one thing the core module exposes. */
    static Value activation(ExportContext ctx, Activation m, Value x) {
        switch (m.toString()) {
            case "Identity":
                return x;
            case "ReLU":
                return ctx.relu(x);
            case "Sigmoid":
                return ctx.op("Sigmoid", x.shape(), Map.of(), x.name());
            case "GELU":
                return gelu(ctx, x);
            case "QuickGELU":
                return ctx.mul(x, ctx.op("Sigmoid", x.shape(), Map.of(), ctx.scale(x, 1.702f).name()));
            default:
                throw new IllegalArgumentException(ctx.where() + ": no ONNX form for activation " + m);
        }
    }

    /** The exact (erf) GELU in the pattern ONNX Runtime fuses into one Gelu kernel. */
    static Value gelu(ExportContext ctx, Value x) {
        Value scaled = ctx.op("Div", x.shape(), Map.of(), x.name(), ctx.constant("sqrt2",
                new float[] {(float) Math.sqrt(2.0)}));
        Value erf = ctx.op("Erf", x.shape(), Map.of(), scaled.name());
        Value onePlus = ctx.op("Add", x.shape(), Map.of(), erf.name(), ctx.constant("one", new float[] {1f}));
        Value prod = ctx.mul(x, onePlus);
        return ctx.scale(prod, 0.5f);
    }

    static Value linear(ExportContext ctx, Linear m, Value x) {
        if (x.dim(-1) != m.inFeatures()) {
            throw new IllegalArgumentException(ctx.where() + ": " + m + " got " + x);
        }
        // Stored transposed ([in, out]) so that the product is a plain MatMul.
        float[] w = values(m.weight().data());
        int in = m.inFeatures();
        int out = m.outFeatures();
        float[] wt = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                wt[i * out + o] = w[o * in + i];
            }
        }
        long[] shape = x.shape().clone();
        shape[shape.length - 1] = out;
        Value y = ctx.op("MatMul", shape, Map.of(), x.name(), ctx.constant("weight_t", wt, in, out));
        if (m.bias() == null) {
            return y;
        }
        return ctx.op("Add", shape, Map.of(), y.name(), ctx.constant("bias", values(m.bias().data()), out));
    }

    static Value layerNorm(ExportContext ctx, LayerNorm m, Value x) {
        int d = m.dim();
        return ctx.op("LayerNormalization", x.shape(), Map.of("axis", -1L, "epsilon", m.eps()), x.name(),
                ctx.constant("weight", values(m.parameter("weight").data()), d),
                ctx.constant("bias", values(m.parameter("bias").data()), d));
    }

    /**
     * GroupNorm as InstanceNormalization over {@code [N, groups, C/groups * H * W]} (one mean and biased variance
     * per group), reshaped back and scaled per channel.
     */
    static Value groupNorm(ExportContext ctx, GroupNorm m, Value x) {
        int g = m.groups();
        int c = m.channels();
        if (x.rank() != 4 || x.dim(1) != c) {
            throw new IllegalArgumentException(ctx.where() + ": " + m + " got " + x);
        }
        long per = c / g * x.dim(2) * x.dim(3);
        Value grouped = ctx.reshape(x, 0, g, per);
        float[] ones = new float[g];
        java.util.Arrays.fill(ones, 1f);
        Value norm = ctx.op("InstanceNormalization", grouped.shape(), Map.of("epsilon", m.eps()), grouped.name(),
                ctx.constant("ones", ones, g), ctx.constant("zeros", new float[g], g));
        Value back = ctx.reshape(norm, 0, c, x.dim(2), x.dim(3));
        Value scaled = ctx.mul(back, new Value(ctx.constant("weight", values(m.parameter("weight").data()), 1, c,
                1, 1), new long[] {1, c, 1, 1}));
        return ctx.add(scaled, new Value(ctx.constant("bias", values(m.parameter("bias").data()), 1, c, 1, 1),
                new long[] {1, c, 1, 1}));
    }

    static Value avgPool(ExportContext ctx, AvgPool2d m, Value x) {
        int k = m.kernel();
        int s = m.stride();
        int p = m.padding();
        long h = (x.dim(2) + 2L * p - k) / s + 1;
        long w = (x.dim(3) + 2L * p - k) / s + 1;
        return ctx.op("AveragePool", new long[] {x.dim(0), x.dim(1), h, w}, Map.of("kernel_shape",
                new long[] {k, k}, "strides", new long[] {s, s}, "pads", new long[] {p, p, p, p},
                "count_include_pad", m.countIncludePad() ? 1L : 0L), x.name());
    }

    static Value maxPool(ExportContext ctx, MaxPool2d m, Value x) {
        int k = m.kernel();
        return ctx.op("MaxPool", new long[] {x.dim(0), x.dim(1), x.dim(2) / k, x.dim(3) / k},
                Map.of("kernel_shape", new long[] {k, k}, "strides", new long[] {k, k}), x.name());
    }

    static Value upsampleNearest(ExportContext ctx, UpsampleNearest m, Value x) {
        float f = m.factor();
        return ctx.op("Resize", new long[] {x.dim(0), x.dim(1), x.dim(2) * m.factor(), x.dim(3) * m.factor()},
                Map.of("mode", "nearest", "coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor"),
                x.name(), "", ctx.constant("scales", new float[] {1f, 1f, f, f}, 4));
    }

    /** Fails when a module that must be a given class is not (a model changed under the exporter). */
    static <T extends Module> T as(ExportContext ctx, Module m, Class<T> type) {
        if (!type.isInstance(m)) {
            throw new IllegalArgumentException(ctx.where() + ": expected a " + type.getSimpleName() + ", found "
                    + m.getClass().getSimpleName());
        }
        return type.cast(m);
    }
}
