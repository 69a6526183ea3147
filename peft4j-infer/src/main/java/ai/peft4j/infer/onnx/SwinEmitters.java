package ai.peft4j.infer.onnx;

import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.models.swin.PatchMerging;
import ai.peft4j.models.swin.SwinBlock;
import ai.peft4j.models.swin.SwinStage;
import ai.peft4j.models.swin.SwinTransformer;
import ai.peft4j.models.swin.WindowAttention;
import java.util.ArrayList;
import java.util.List;

/**
 * The Swin Transformer backbone as ONNX, mirroring {@code ai.peft4j.models.swin}: tokens {@code [N, H*W, C]} on a
 * known grid; windows are cut with reshapes and transposes, the shift is a roll (two slices and a concatenation),
 * and the relative position biases and shifted-window masks become constants.
 */
final class SwinEmitters {
    private SwinEmitters() {}

    /** Tokens with the grid they were read from. */
    record Grid(Value x, int h, int w) {
        Value toMap(ExportContext ctx) {
            Value t = ctx.transpose(x, 0, 2, 1);
            return ctx.reshape(t, 0, t.dim(1), h, w);
        }
    }

    private static void plain(ExportContext ctx, Module m) {
        if (m.hasForwardHooks()) {
            throw new IllegalArgumentException("cannot export " + ctx.where() + ": it has forward hooks (an "
                    + "unmerged fine-tuning method?); merge or remove them first");
        }
    }

    /** The NCHW maps of the first {@code stages} stages, as {@link SwinTransformer#featureMaps}. */
    static List<Value> featureMaps(ExportContext ctx, SwinTransformer m, Value images, int stages) {
        Grid t = ctx.within("patch_embed", () -> patchEmbed(ctx, m.child("patch_embed"), images));
        ModuleList<SwinStage> layers = m.stages();
        List<Value> maps = new ArrayList<>(stages);
        for (int k = 0; k < stages; k++) {
            int index = k;
            Grid in = t;
            Grid[] out = ctx.within("layers." + k, () -> stage(ctx, layers.get(index), in));
            maps.add(out[0].toMap(ctx));
            t = out[1];
        }
        return maps;
    }

    static Grid patchEmbed(ExportContext ctx, Module m, Value images) {
        plain(ctx, m);
        Value x = ctx.child(m, "proj", images);
        int patch = (int) (images.dim(2) / x.dim(2));
        if (images.dim(2) % patch != 0 || images.dim(3) % patch != 0) {
            throw new IllegalArgumentException("Swin export takes sides that are multiples of the patch size "
                    + patch + ", got " + images.dim(2) + "x" + images.dim(3));
        }
        int gh = (int) x.dim(2);
        int gw = (int) x.dim(3);
        Value tokens = ctx.transpose(ctx.reshape(x, 0, x.dim(1), (long) gh * gw), 0, 2, 1);
        return new Grid(ctx.child(m, "norm", tokens), gh, gw);
    }

    /** The stage output before merging and the next stage's input. */
    static Grid[] stage(ExportContext ctx, SwinStage m, Grid in) {
        plain(ctx, m);
        Grid t = in;
        ModuleList<SwinBlock> blocks = m.blocks();
        for (int i = 0; i < blocks.size(); i++) {
            int index = i;
            Grid cur = t;
            t = new Grid(ctx.within("blocks." + i, () -> block(ctx, blocks.get(index), cur)), t.h(), t.w());
        }
        Grid last = t;
        Grid next = m.hasChild("downsample")
                ? ctx.within("downsample", () -> merging(ctx, (PatchMerging) m.child("downsample"), last)) : t;
        return new Grid[] {t, next};
    }

    static Value block(ExportContext ctx, SwinBlock m, Grid in) {
        plain(ctx, m);
        Value x = in.x();
        Value normed = ctx.child(m, "norm1", x);
        Value attended = ctx.within("attn", () -> attention(ctx, (WindowAttention) m.child("attn"),
                new Grid(normed, in.h(), in.w())));
        Value out = ctx.add(x, attended);
        return ctx.add(out, ctx.child(m, "mlp", ctx.child(m, "norm2", out)));
    }

    static Grid merging(ExportContext ctx, PatchMerging m, Grid in) {
        plain(ctx, m);
        long c = in.x().dim(2);
        Value x = ctx.reshape(in.x(), 0, in.h(), in.w(), c);
        if (in.h() % 2 == 1 || in.w() % 2 == 1) {
            x = ctx.padEnd(x, 0, in.h() % 2, in.w() % 2, 0);
        }
        long[] axes = {1, 2};
        long[] steps = {2, 2};
        long[] ends = {Long.MAX_VALUE, Long.MAX_VALUE};
        List<Value> parts = new ArrayList<>(4);
        for (long[] start : new long[][] {{0, 0}, {1, 0}, {0, 1}, {1, 1}}) {
            parts.add(ctx.slice(x, start, ends, axes, steps));
        }
        int h = (in.h() + 1) / 2;
        int w = (in.w() + 1) / 2;
        Value merged = ctx.reshape(ctx.concat(parts, 3), 0, (long) h * w, 4 * c);
        merged = ctx.child(m, "norm", merged);
        return new Grid(ctx.child(m, "reduction", merged), h, w);
    }

    static Value attention(ExportContext ctx, WindowAttention m, Grid grid) {
        plain(ctx, m);
        Linear qkv = CoreEmitters.as(ctx, m.child("qkv"), Linear.class);
        int dim = qkv.inFeatures();
        int heads = m.heads();
        int shift = m.shift();
        int n = (int) m.buffer("relative_position_index").data().getShape().get(0);
        int window = (int) Math.round(Math.sqrt(n));
        int h = grid.h();
        int w = grid.w();
        Value y = ctx.reshape(grid.x(), 0, h, w, dim);
        int padR = (window - w % window) % window;
        int padB = (window - h % window) % window;
        if (padR > 0 || padB > 0) {
            y = ctx.padEnd(y, 0, padB, padR, 0);
        }
        int hp = h + padB;
        int wp = w + padR;
        if (shift > 0) {
            y = ctx.roll(ctx.roll(y, -shift, 1), -shift, 2);
        }
        Value windows = ctx.reshape(y, 0, hp / window, window, wp / window, window, dim);
        windows = ctx.reshapeFolded(ctx.transpose(windows, 0, 1, 3, 2, 4, 5), -1, n, dim);
        Value attended = attend(ctx, m, windows, heads, dim, n, shift > 0
                ? WindowAttention.shiftMask(window, shift, hp, wp) : null);
        Value merged = ctx.reshapeFolded(attended, -1, hp / window, wp / window, window, window, dim);
        y = ctx.reshapeFolded(ctx.transpose(merged, 0, 1, 3, 2, 4, 5), -1, hp, wp, dim);
        if (shift > 0) {
            y = ctx.roll(ctx.roll(y, shift, 1), shift, 2);
        }
        if (padR > 0 || padB > 0) {
            y = ctx.slice(y, new long[] {0, 0}, new long[] {h, w}, new long[] {1, 2}, new long[] {1, 1});
        }
        return ctx.reshapeFolded(y, -1, (long) h * w, dim);
    }

    private static Value attend(ExportContext ctx, WindowAttention m, Value x, int heads, int dim, int n,
            float[] mask) {
        long hd = dim / heads;
        Value qkv = ctx.reshapeFolded(ctx.child(m, "qkv", x), -1, n, 3, heads, hd);
        qkv = ctx.transpose(qkv, 2, 0, 3, 1, 4);
        Value q = ctx.scale(ctx.select(qkv, 0, 0), (float) Math.pow((double) dim / heads, -0.5));
        Value k = ctx.select(qkv, 1, 0);
        Value v = ctx.select(qkv, 2, 0);
        Value attn = ctx.matMul(q, ctx.transpose(k, 0, 1, 3, 2));
        attn = ctx.add(attn, new Value(relativeBias(ctx, m, heads, n), new long[] {heads, n, n}));
        if (mask != null) {
            int nw = mask.length / (n * n);
            Value grouped = ctx.reshapeFolded(attn, -1, nw, heads, n, n);
            String c = ctx.constant("mask", mask, 1, nw, 1, n, n);
            attn = ctx.reshapeFolded(ctx.add(grouped, new Value(c, new long[] {1, nw, 1, n, n})), -1, heads, n, n);
        }
        attn = ctx.softmax(attn, -1);
        Value out = ctx.reshapeFolded(ctx.transpose(ctx.matMul(attn, v), 0, 2, 1, 3), -1, n, dim);
        return ctx.child(m, "proj", out);
    }

    /** {@code table[index]} as a {@code [heads, N, N]} constant. */
    private static String relativeBias(ExportContext ctx, WindowAttention m, int heads, int n) {
        float[] table = CoreEmitters.values(m.parameter("relative_position_bias_table").data());
        long[] index = m.buffer("relative_position_index").data().toLongArray();
        float[] out = new float[heads * n * n];
        for (int hd = 0; hd < heads; hd++) {
            for (int i = 0; i < n * n; i++) {
                out[hd * n * n + i] = table[(int) index[i] * heads + hd];
            }
        }
        return ctx.constant("relative_bias", out, heads, n, n);
    }
}
