package ai.peft4j.models.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.TokenGrid;
import org.junit.jupiter.api.Test;

/**
 * Prefix tokens (VPT's deep prompts) in shifted-window attention, against attention written out element by
 * element as the published prompted Swin defines it: per window the sequence [prompts; window tokens], relative
 * position bias and shift mask zero in the prompt rows and columns, outputs of the prompt positions dropped.
 */
class WindowAttentionPrefixTokensTest {
    private static final int DIM = 4;
    private static final int HEADS = 2;
    private static final int WINDOW = 2;
    private static final int SHIFT = 1;
    private static final int SIDE = 4;
    private static final int BATCH = 2;
    private static final int PROMPTS = 3;

    @Test
    void perImagePrefixTokens_matchWrittenOutAttentionWithWindowMajorAssignment() {
        try (NDManager m = EngineSetup.newManager()) {
            WindowAttention attn = attention(m);
            NDArray x = m.create(wave(BATCH * SIDE * SIDE * DIM, 0.21), new Shape(BATCH, SIDE * SIDE, DIM));
            float[] prefix = wave(BATCH * PROMPTS * DIM, 0.53);
            attn.addPrefixTokens(in -> m.create(prefix, new Shape(BATCH, PROMPTS, DIM)));
            NDArray out = attn.forward(new TokenGrid(x, SIDE, SIDE));
            assertArrayEquals(reference(attn, x.toFloatArray(), prefix, BATCH), out.toFloatArray(), 1e-5f);
        }
    }

    @Test
    void sharedPrefixTokens_matchWrittenOutAttention() {
        try (NDManager m = EngineSetup.newManager()) {
            WindowAttention attn = attention(m);
            NDArray x = m.create(wave(BATCH * SIDE * SIDE * DIM, 0.21), new Shape(BATCH, SIDE * SIDE, DIM));
            float[] prefix = wave(PROMPTS * DIM, 0.77);
            attn.addPrefixTokens(in -> m.create(prefix, new Shape(1, PROMPTS, DIM)));
            NDArray out = attn.forward(new TokenGrid(x, SIDE, SIDE));
            assertArrayEquals(reference(attn, x.toFloatArray(), prefix, 1), out.toFloatArray(), 1e-5f);
        }
    }

    @Test
    void removingPrefixTokens_restoresThePlainOutputExactly() {
        try (NDManager m = EngineSetup.newManager()) {
            WindowAttention attn = attention(m);
            NDArray x = m.create(wave(BATCH * SIDE * SIDE * DIM, 0.21), new Shape(BATCH, SIDE * SIDE, DIM));
            float[] plain = attn.forward(new TokenGrid(x, SIDE, SIDE)).toFloatArray();
            // Without prefix tokens the written-out attention is the plain one.
            assertArrayEquals(reference(attn, x.toFloatArray(), new float[0], 1), plain, 1e-5f);
            Module.HookHandle h = attn.addPrefixTokens(in -> m.ones(new Shape(1, PROMPTS, DIM)));
            assertThrows(IllegalStateException.class, () -> attn.addPrefixTokens(in -> null));
            float[] prompted = attn.forward(new TokenGrid(x, SIDE, SIDE)).toFloatArray();
            assertEquals(plain.length, prompted.length);
            h.remove();
            assertArrayEquals(plain, attn.forward(new TokenGrid(x, SIDE, SIDE)).toFloatArray(), 0f);
        }
    }

    @Test
    void prefixTokensOfTheWrongWidth_areRejected() {
        try (NDManager m = EngineSetup.newManager()) {
            WindowAttention attn = attention(m);
            attn.addPrefixTokens(in -> m.ones(new Shape(1, PROMPTS, DIM + 1)));
            NDArray x = m.zeros(new Shape(1, SIDE * SIDE, DIM));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> attn.forward(new TokenGrid(x, SIDE, SIDE)));
            assertEquals("prefix tokens must be [1 or 1, P, 4], got (1, 3, 5)", e.getMessage());
        }
    }

    private static WindowAttention attention(NDManager m) {
        WindowAttention attn = new WindowAttention(m, DIM, WINDOW, SHIFT, HEADS, 0f, 0f);
        ClosedFormWeights.fill(attn);
        attn.eval();
        return attn;
    }

    private static float[] wave(int n, double step) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) Math.sin(step * i + 0.3);
        }
        return out;
    }

    /**
     * The attention output {@code [B, SIDE*SIDE, DIM]} in double precision; {@code prefix} holds {@code groups}
     * sets of prompt tokens, window j of the image-major partition taking set {@code j mod groups}.
     */
    private static float[] reference(WindowAttention attn, float[] x, float[] prefix, int groups) {
        float[] wqkv = attn.module("qkv").parameter("weight").data().toFloatArray();
        float[] bqkv = attn.module("qkv").parameter("bias").data().toFloatArray();
        float[] wproj = attn.module("proj").parameter("weight").data().toFloatArray();
        float[] bproj = attn.module("proj").parameter("bias").data().toFloatArray();
        float[] table = attn.parameter("relative_position_bias_table").data().toFloatArray();
        int p = prefix.length / (groups * DIM);
        int hd = DIM / HEADS;
        double scale = 1 / Math.sqrt(hd);
        int perRow = SIDE / WINDOW;
        int nw = perRow * perRow;
        int n = WINDOW * WINDOW;
        int len = p + n;
        float[] out = new float[x.length];
        for (int b = 0; b < BATCH; b++) {
            for (int win = 0; win < nw; win++) {
                int group = (b * nw + win) % groups;
                // Sequence: prompts, then the window's tokens of the grid rolled by -SHIFT.
                double[][] seq = new double[len][DIM];
                int[] rolledY = new int[n];
                int[] rolledX = new int[n];
                for (int i = 0; i < p; i++) {
                    for (int c = 0; c < DIM; c++) {
                        seq[i][c] = prefix[(group * p + i) * DIM + c];
                    }
                }
                for (int t = 0; t < n; t++) {
                    rolledY[t] = (win / perRow) * WINDOW + t / WINDOW;
                    rolledX[t] = (win % perRow) * WINDOW + t % WINDOW;
                    int srcY = (rolledY[t] + SHIFT) % SIDE;
                    int srcX = (rolledX[t] + SHIFT) % SIDE;
                    for (int c = 0; c < DIM; c++) {
                        seq[p + t][c] = x[(b * SIDE * SIDE + srcY * SIDE + srcX) * DIM + c];
                    }
                }
                double[][] qkv = new double[len][3 * DIM];
                for (int i = 0; i < len; i++) {
                    for (int o = 0; o < 3 * DIM; o++) {
                        double s = bqkv[o];
                        for (int c = 0; c < DIM; c++) {
                            s += wqkv[o * DIM + c] * seq[i][c];
                        }
                        qkv[i][o] = s;
                    }
                }
                double[][] heads = new double[len][DIM];
                for (int h = 0; h < HEADS; h++) {
                    for (int i = 0; i < len; i++) {
                        double[] score = new double[len];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < len; j++) {
                            double s = 0;
                            for (int d = 0; d < hd; d++) {
                                s += qkv[i][h * hd + d] * qkv[j][DIM + h * hd + d];
                            }
                            s *= scale;
                            if (i >= p && j >= p) {
                                int ti = i - p;
                                int tj = j - p;
                                int dy = ti / WINDOW - tj / WINDOW + WINDOW - 1;
                                int dx = ti % WINDOW - tj % WINDOW + WINDOW - 1;
                                s += table[(dy * (2 * WINDOW - 1) + dx) * HEADS + h];
                                if (region(rolledY[ti], rolledX[ti]) != region(rolledY[tj], rolledX[tj])) {
                                    s += -100;
                                }
                            }
                            score[j] = s;
                            max = Math.max(max, s);
                        }
                        double sum = 0;
                        for (int j = 0; j < len; j++) {
                            score[j] = Math.exp(score[j] - max);
                            sum += score[j];
                        }
                        for (int d = 0; d < hd; d++) {
                            double v = 0;
                            for (int j = 0; j < len; j++) {
                                v += score[j] / sum * qkv[j][2 * DIM + h * hd + d];
                            }
                            heads[i][h * hd + d] = v;
                        }
                    }
                }
                // Image positions only, projected and put back where the roll took them from.
                for (int t = 0; t < n; t++) {
                    int dstY = (rolledY[t] + SHIFT) % SIDE;
                    int dstX = (rolledX[t] + SHIFT) % SIDE;
                    for (int o = 0; o < DIM; o++) {
                        double s = bproj[o];
                        for (int c = 0; c < DIM; c++) {
                            s += wproj[o * DIM + c] * heads[p + t][c];
                        }
                        out[(b * SIDE * SIDE + dstY * SIDE + dstX) * DIM + o] = (float) s;
                    }
                }
            }
        }
        return out;
    }

    /** The region of the rolled grid a position belongs to, as the published mask slices it. */
    private static int region(int y, int x) {
        int ry = y < SIDE - WINDOW ? 0 : y < SIDE - SHIFT ? 1 : 2;
        int rx = x < SIDE - WINDOW ? 0 : x < SIDE - SHIFT ? 1 : 2;
        return ry * 3 + rx;
    }
}
