package ai.peft4j.models.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stage of Swin blocks (PyTorch name {@code layers.k}), alternating plain and shifted windows, optionally
 * followed by patch merging. As in the published code the shift stays half a window even when the grid is no
 * larger than one window (stage 4 at 224x224).
 */
public class SwinStage extends Module {
    private final int window;
    private final int shift;
    private final Map<Long, float[]> maskCache = new ConcurrentHashMap<>();

    public SwinStage(NDManager manager, int dim, int depth, int heads, int window, float mlpRatio, float drop,
            float attnDrop, double[] dropPath, boolean downsample) {
        this.window = window;
        this.shift = window / 2;
        ModuleList<SwinBlock> blocks = new ModuleList<>(SwinBlock.class);
        for (int i = 0; i < depth; i++) {
            blocks.add(new SwinBlock(manager, dim, heads, window, i % 2 == 0 ? 0 : shift, mlpRatio, drop,
                    attnDrop, (float) dropPath[i]));
        }
        registerModule("blocks", blocks);
        if (downsample) {
            registerModule("downsample", new PatchMerging(manager, dim));
        }
    }

    @SuppressWarnings("unchecked")
    public ModuleList<SwinBlock> blocks() {
        return (ModuleList<SwinBlock>) child("blocks");
    }

    /** What a stage gives: its output before merging (the skip feature) and the input of the next stage. */
    public record Output(Tokens features, Tokens next) {}

    public Output forward(Tokens in) {
        NDArray mask = attentionMask(in.x(), in.h(), in.w());
        Tokens t = in;
        ModuleList<SwinBlock> blocks = blocks();
        for (int i = 0; i < blocks.size(); i++) {
            t = new Tokens(blocks.get(i).forward(t, mask), t.h(), t.w());
        }
        Tokens next = hasChild("downsample") ? ((PatchMerging) child("downsample")).forward(t) : t;
        return new Output(t, next);
    }

    /**
     * The additive mask of shifted windows, {@code [nW, N, N]}: 0 between tokens of the same region of the rolled
     * grid, -100 between tokens that the roll brought together from different regions.
     */
    private NDArray attentionMask(NDArray like, int h, int w) {
        int hp = (h + window - 1) / window * window;
        int wp = (w + window - 1) / window * window;
        int n = window * window;
        int nw = (hp / window) * (wp / window);
        float[] values = maskCache.computeIfAbsent(((long) hp << 32) | wp, k -> {
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
        });
        return like.getManager().create(values, new Shape(nw, n, n));
    }
}
