package ai.peft4j.infer.onnx;

import ai.peft4j.core.nn.Module;
import ai.peft4j.models.fastsegformer.TeacherSwinAttUNet;
import ai.peft4j.models.swin.SwinTransformer;
import ai.peft4j.models.unet.ConvBlock;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.UpConv;
import java.util.List;
import java.util.Map;

/**
 * The Swin-Att-UNets as ONNX: TP-LoRA's, mirroring {@code ai.peft4j.models.unet} (merge LoRA adapters first), and
 * FastSegFormer's teacher.
 */
final class UNetEmitters {
    private UNetEmitters() {}

    static void register(Map<Class<?>, Emitter<?>> out) {
        out.put(ConvBlock.class, (Emitter<ConvBlock>) (ctx, m, x) -> ctx.child(m, "conv", x));
        out.put(UpConv.class, (Emitter<UpConv>) (ctx, m, x) -> ctx.child(m, "up", x));
        out.put(SwinAttUNet.class, (Emitter<SwinAttUNet>) UNetEmitters::swinAttUNet);
        out.put(TeacherSwinAttUNet.class, (Emitter<TeacherSwinAttUNet>) UNetEmitters::teacher);
    }

    /** FastSegFormer's Swin-T-Att-UNet teacher: as its forward, without the fork list. */
    static Value teacher(ExportContext ctx, TeacherSwinAttUNet m, Value x) {
        if (x.dim(2) % 32 != 0 || x.dim(3) % 32 != 0) {
            throw new IllegalArgumentException("the Swin-Att-UNet teacher takes sides that are multiples of 32 (the "
                    + "decoder doubles 1/32-scale maps back up), got " + x.dim(2) + "x" + x.dim(3));
        }
        Value x1 = ctx.child(m, "cnn_up", x);
        SwinTransformer backbone = m.backbone();
        List<Value> feats = ctx.within("common_backbone", () -> {
            List<Value> maps = SwinEmitters.featureMaps(ctx, backbone, x, 4);
            // The backbone's final LayerNorm acts on stage 4's channels: move them last and back.
            Value last = ctx.transpose(ctx.child(backbone, "norm", ctx.transpose(maps.get(3), 0, 2, 3, 1)),
                    0, 3, 1, 2);
            return List.of(maps.get(0), maps.get(1), maps.get(2), last);
        });
        Value bottle = ctx.child(m, "bottle", feats.get(3));
        Value a4 = decoderStep(ctx, m, 4, bottle, ctx.child(m, "change1", feats.get(2)));
        Value a3 = decoderStep(ctx, m, 3, a4, ctx.child(m, "change2", feats.get(1)));
        Value a2 = decoderStep(ctx, m, 2, a3, ctx.child(m, "change3", feats.get(0)));
        Value a1 = decoderStep(ctx, m, 1, a2, x1);
        return ctx.child(m, "final_up_conv", a1);
    }

    static Value swinAttUNet(ExportContext ctx, SwinAttUNet m, Value x) {
        if (x.dim(2) % 16 != 0 || x.dim(3) % 16 != 0) {
            throw new IllegalArgumentException("Swin-Att-UNet takes sides that are multiples of 16 (the decoder "
                    + "doubles the 1/16 bottleneck four times), got " + x.dim(2) + "x" + x.dim(3));
        }
        Value x1 = ctx.child(m, "cnn1", x);
        Value x2 = ctx.child(m, "cnn2", ctx.child(m, "downSample", x1));
        SwinTransformer backbone = m.backbone();
        List<Value> feats = ctx.within("swin_backbone", () -> SwinEmitters.featureMaps(ctx, backbone, x, 3));
        Value bottle = ctx.child(m, "bottle", feats.get(2));
        Value a4 = decoderStep(ctx, m, 4, bottle, ctx.child(m, "change1", feats.get(1)));
        Value a3 = decoderStep(ctx, m, 3, a4, ctx.child(m, "change2", feats.get(0)));
        Value a2 = decoderStep(ctx, m, 2, a3, x2);
        Value a1 = decoderStep(ctx, m, 1, a2, x1);
        return ctx.child(m, "final_conv", a1);
    }

    /** Upsample, gate the skip, project it, concatenate {@code [upsampled, projected]}, convolve. */
    static Value decoderStep(ExportContext ctx, Module m, int level, Value below, Value skip) {
        Value d = ctx.child(m, "up" + level, below);
        Module gate = m.child("Att" + level);
        if (gate.hasForwardHooks()) {
            throw new IllegalArgumentException("cannot export Att" + level + ": it has forward hooks (an unmerged "
                    + "fine-tuning method?); merge or remove them first");
        }
        Value gated = ctx.within("Att" + level, () -> {
            Value a = ctx.child(gate, "relu", ctx.add(ctx.child(gate, "W_g", d), ctx.child(gate, "W_x", skip)));
            return ctx.mul(skip, ctx.child(gate, "psi", a));
        });
        Value e = ctx.child(m, "convert" + (5 - level), gated);
        return ctx.child(m, "conv" + level, ctx.concat(List.of(d, e), 1));
    }
}
