package ai.peft4j.infer.onnx;

import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.models.poolformer.ConvMlp;
import ai.peft4j.models.poolformer.PatchEmbed;
import ai.peft4j.models.poolformer.PoolFormer;
import ai.peft4j.models.poolformer.PoolFormerBlock;
import ai.peft4j.models.poolformer.Pooling;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Emitters for PoolFormer's blocks, mirroring {@code ai.peft4j.models.poolformer}. */
final class PoolFormerEmitters {
    private PoolFormerEmitters() {}

    static void register(Map<Class<?>, Emitter<?>> out) {
        out.put(PatchEmbed.class, (Emitter<PatchEmbed>) (ctx, m, x) ->
                ctx.child(m, "norm", ctx.child(m, "proj", x)));
        out.put(Pooling.class, (Emitter<Pooling>) (ctx, m, x) -> ctx.sub(ctx.child(m, "pool", x), x));
        out.put(ConvMlp.class, (Emitter<ConvMlp>) (ctx, m, x) ->
                ctx.child(m, "fc2", ctx.child(m, "act", ctx.child(m, "fc1", x))));
        out.put(PoolFormerBlock.class, (Emitter<PoolFormerBlock>) PoolFormerEmitters::block);
    }

    /** {@code x + ls1 * mixer(norm1(x))}, then {@code y + ls2 * mlp(norm2(y))}. */
    static Value block(ExportContext ctx, PoolFormerBlock m, Value x) {
        long dim = x.dim(1);
        long[] lsShape = {1, dim, 1, 1};
        Value mixed = ctx.child(m, "token_mixer", ctx.child(m, "norm1", x));
        Value y = ctx.add(x, ctx.mulConstant("layer_scale_1",
                CoreEmitters.values(m.parameter("layer_scale_1").data()), lsShape, mixed));
        Value mlp = ctx.child(m, "mlp", ctx.child(m, "norm2", y));
        return ctx.add(y, ctx.mulConstant("layer_scale_2",
                CoreEmitters.values(m.parameter("layer_scale_2").data()), lsShape, mlp));
    }

    /** The four normalised stage maps, as {@link PoolFormer#features}. */
    static List<Value> features(ExportContext ctx, PoolFormer m, Value images) {
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
