package ai.peft4j.models.swin;

import ai.peft4j.core.tensor.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.flops.MacCounter;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.PrefixTokenHost;
import ai.peft4j.core.nn.PrefixTokens;
import ai.peft4j.core.nn.TokenGrid;
import ai.peft4j.core.tensor.Roll;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * (Shifted-)window multi-head self-attention with a learned bias per relative position, on a whole token grid:
 * pads to whole windows, rolls by the shift, attends within each window, and undoes all three. Its children and
 * parameters carry the published names ({@code qkv}, {@code proj}, {@code relative_position_bias_table}), and it
 * runs its forward hooks on the grid, so a method can hook the fused {@code qkv} projection or the whole branch.
 * It also takes {@link PrefixTokens} (VPT's deep prompts), prepended to every window as the published prompted
 * Swin does: with zero relative-position bias and zero shift mask in their rows and columns, their outputs dropped.
 */
public class WindowAttention extends Module implements PrefixTokenHost {
    private final int dim;
    private final int heads;
    private final int window;
    private final int shift;
    private final float scale;
    private final NDArray flatIndex;
    // Masks are constants per grid size: made once in the model's manager rather than copied in every step.
    private final Map<Long, NDArray> maskCache = new ConcurrentHashMap<>();
    private final NDManager manager;
    private volatile PrefixTokens prefix;

    public WindowAttention(NDManager manager, int dim, int window, int shift, int heads, float attnDrop,
            float projDrop) {
        if (shift < 0 || shift >= window) {
            throw new IllegalArgumentException("shift " + shift + " must be in [0, window " + window + ")");
        }
        this.manager = manager;
        this.dim = dim;
        this.heads = heads;
        this.window = window;
        this.shift = shift;
        this.scale = (float) Math.pow((double) dim / heads, -0.5);
        int side = 2 * window - 1;
        registerParameter("relative_position_bias_table",
                Initializers.truncNormal(manager, new Shape((long) side * side, heads), 0.02f));
        long[] index = relativePositionIndex(window);
        registerBuffer("relative_position_index",
                manager.create(index, new Shape((long) window * window, (long) window * window)), true);
        flatIndex = manager.create(index);
        registerModule("qkv", new Linear(manager, dim, 3 * dim, true));
        registerModule("attn_drop", new Dropout(attnDrop));
        registerModule("proj", new Linear(manager, dim, dim, true));
        registerModule("proj_drop", new Dropout(projDrop));
    }

    /**
     * For each pair of positions (i, j) in a window, the row of the bias table holding their offset:
     * {@code (dy + w - 1) * (2w - 1) + (dx + w - 1)}.
     */
    static long[] relativePositionIndex(int window) {
        int n = window * window;
        long[] out = new long[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int dy = i / window - j / window + window - 1;
                int dx = i % window - j % window + window - 1;
                out[i * n + j] = (long) dy * (2 * window - 1) + dx;
            }
        }
        return out;
    }

    @Override
    public HookHandle addPrefixTokens(PrefixTokens tokens) {
        if (prefix != null) {
            throw new IllegalStateException("this window attention has prefix tokens already: remove them first");
        }
        prefix = tokens;
        return () -> {
            if (prefix == tokens) {
                prefix = null;
            }
        };
    }

    @Override
    protected boolean readsOutsideParameters() {
        return prefix != null;
    }

    public int heads() {
        return heads;
    }

    public int shift() {
        return shift;
    }

    /** Attention output {@code [B, H*W, C]} of normalised tokens on their grid. */
    public NDArray forward(TokenGrid grid) {
        NDArray x = grid.x();
        long b = x.getShape().get(0);
        long c = x.getShape().get(2);
        int h = grid.h();
        int w = grid.w();
        NDArray y = x.reshape(b, h, w, c);
        // Pad right and bottom to whole windows; the padding is cut off again after attention.
        int padR = (window - w % window) % window;
        int padB = (window - h % window) % window;
        if (padR > 0 || padB > 0) {
            y = y.pad(new Shape(0, 0, 0, padR, 0, padB), 0);
        }
        int hp = h + padB;
        int wp = w + padR;
        if (shift > 0) {
            y = Roll.roll(Roll.roll(y, -shift, 1), -shift, 2);
        }
        NDArray windows = partition(y, window).reshape(-1, (long) window * window, c);
        PrefixTokens source = prefix;
        NDArray tokens = source == null ? null : source.tokens(x);
        NDArray attended = tokens == null ? attend(windows, shift > 0 ? mask(x, hp, wp) : null, 0)
                : attendWithPrefix(windows, tokens, b, hp, wp);
        y = merge(attended.reshape(-1, window, window, c), window, b, hp, wp);
        if (shift > 0) {
            y = Roll.roll(Roll.roll(y, shift, 1), shift, 2);
        }
        if (padR > 0 || padB > 0) {
            y = y.get(":, :" + h + ", :" + w + ", :");
        }
        return runHooks(y.reshape(b, (long) h * w, c), grid);
    }

    /**
     * Windows {@code [B * nW, N, C]} with prefix tokens {@code [1 or B, P, C]} in front of each. Per-image tokens go
     * to windows as the published code expands them, window-major ({@code tokens[j mod B]} to window j of the
     * image-major partition), which only matters when they differ between images (prompt dropout in training).
     */
    private NDArray attendWithPrefix(NDArray windows, NDArray tokens, long b, int hp, int wp) {
        Shape ts = tokens.getShape();
        if (ts.dimension() != 3 || ts.get(2) != dim || (ts.get(0) != 1 && ts.get(0) != b)) {
            throw new IllegalArgumentException("prefix tokens must be [1 or " + b + ", P, " + dim + "], got " + ts);
        }
        long bw = windows.getShape().get(0);
        long p = ts.get(1);
        NDArray perWindow = ts.get(0) == 1 ? tokens.broadcast(bw, p, dim) : tokens.tile(new long[] {bw / b, 1, 1});
        NDArray joined = perWindow.concat(windows, 1);
        NDArray out = attend(joined, shift > 0 ? mask(windows, hp, wp) : null, (int) p);
        return out.get(new NDIndex(":, {}:, :", p));
    }

    /**
     * Attention within windows {@code [B * nW, lead + N, C]}, with the additive mask {@code [nW, N, N]} or null;
     * the {@code lead} prefix tokens get zero bias and zero mask.
     */
    private NDArray attend(NDArray x, NDArray mask, int lead) {
        Shape s = x.getShape();
        long b = s.get(0);
        long n = s.get(1);
        long hd = dim / heads;
        NDArray qkv = call("qkv", x).reshape(b, n, 3, heads, hd).transpose(2, 0, 3, 1, 4);
        NDArray q = Scalars.mul(qkv.get(0), scale);
        NDArray k = qkv.get(1);
        NDArray v = qkv.get(2);
        NDArray attn = q.matMul(k.transpose(0, 1, 3, 2));
        NDArray bias = relativeBias(x, n - lead);
        if (lead > 0) {
            bias = bias.pad(new Shape(lead, 0, lead, 0), 0);
            mask = mask == null ? null : mask.pad(new Shape(lead, 0, lead, 0), 0);
        }
        attn = attn.add(bias);
        if (mask != null) {
            long nw = mask.getShape().get(0);
            attn = attn.reshape(b / nw, nw, heads, n, n).add(mask.reshape(1, nw, 1, n, n)).reshape(b, heads, n, n);
        }
        attn = attn.softmax(-1);
        attn = call("attn_drop", attn);
        NDArray out = attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, (long) dim);
        if (MacCounter.active()) {
            MacCounter.add(MacCounter.Kind.ATTENTION_MATMUL, 2 * b * heads * n * n * hd);
        }
        out = call("proj", out);
        return call("proj_drop", out);
    }

    private NDArray relativeBias(NDArray like, long n) {
        NDArray table = parameter("relative_position_bias_table").data();
        NDArray bias = table.get(new NDIndex("{}", flatIndex));
        near(bias, like);
        return bias.reshape(n, n, heads).transpose(2, 0, 1);
    }

    /**
     * The additive mask of shifted windows, {@code [nW, N, N]}: 0 between tokens of the same region of the rolled
     * grid, -100 between tokens that the roll brought together from different regions. As in the published code
     * the shift stays half a window even when the grid is no larger than one window.
     */
    private NDArray mask(NDArray like, int hp, int wp) {
        int n = window * window;
        int nw = (hp / window) * (wp / window);
        NDArray mask = maskCache.computeIfAbsent(((long) hp << 32) | wp, k -> {
            NDArray made = manager.create(shiftMask(window, shift, hp, wp), new Shape(nw, n, n));
            // Made during a forward that may run inside an NDScope (evaluation, prediction), which would close
            // every array created in it; the cache outlives the scope.
            NDScope.unregister(made);
            return made;
        });
        // A view (or a converted copy) in the activation's manager, so what is computed from it is freed there.
        NDArray view = mask.getDataType() == like.getDataType() ? mask.reshape(mask.getShape())
                : mask.toType(like.getDataType(), true);
        return near(view, like);
    }

    /**
     * The shifted-window mask {@code [nW, N, N]} of a padded {@code hp x wp} grid, flattened: 0 between tokens of
     * one region of the rolled grid, -100 across regions (the published value).
     */
    public static float[] shiftMask(int window, int shift, int hp, int wp) {
        int n = window * window;
        int nw = (hp / window) * (wp / window);
        int[] region = new int[hp * wp];
        for (int y = 0; y < hp; y++) {
            int ry = y < hp - window ? 0 : y < hp - shift ? 1 : 2;
            for (int x = 0; x < wp; x++) {
                int rx = x < wp - window ? 0 : x < wp - shift ? 1 : 2;
                region[y * wp + x] = ry * 3 + rx;
            }
        }
        float[] out = new float[nw * n * n];
        int perRow = wp / window;
        for (int win = 0; win < nw; win++) {
            int oy = (win / perRow) * window;
            int ox = (win % perRow) * window;
            for (int i = 0; i < n; i++) {
                int ri = region[(oy + i / window) * wp + ox + i % window];
                for (int j = 0; j < n; j++) {
                    int rj = region[(oy + j / window) * wp + ox + j % window];
                    out[(win * n + i) * n + j] = ri == rj ? 0f : -100f;
                }
            }
        }
        return out;
    }

    /** {@code [B, H, W, C]} to windows {@code [B * nW, w, w, C]}, row-major over windows. */
    static NDArray partition(NDArray x, int window) {
        Shape s = x.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long w = s.get(2);
        long c = s.get(3);
        return x.reshape(b, h / window, window, w / window, window, c)
                .transpose(0, 1, 3, 2, 4, 5)
                .reshape(-1, window, window, c);
    }

    /** Inverse of {@link #partition}. */
    static NDArray merge(NDArray windows, int window, long b, long h, long w) {
        long c = windows.getShape().get(3);
        return windows.reshape(b, h / window, w / window, window, window, c)
                .transpose(0, 1, 3, 2, 4, 5)
                .reshape(b, h, w, c);
    }
}
