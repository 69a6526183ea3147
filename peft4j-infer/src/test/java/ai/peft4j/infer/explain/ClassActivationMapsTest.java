package ai.peft4j.infer.explain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.TokenGrid;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClassActivationMapsTest {
    /** {@code head(relu(proj(x)))}: a 1x1 convolution to two channels, ReLU, a 1x1 convolution to two classes. */
    static final class ConvHead extends Module implements Layer {
        ConvHead(NDManager m) {
            registerModule("proj", new Conv2d(m, 1, 2, 1, 1, 0, 1, true));
            registerModule("act", Activation.relu());
            registerModule("head", new Conv2d(m, 2, 2, 1, 1, 0, 1, true));
        }

        @Override
        public NDArray forward(NDArray x) {
            if (hasChild("side")) {
                call("side", x);
            }
            return call("head", call("act", call("proj", x)));
        }
    }

    /**
     * {@code proj}, then the pixels as tokens through {@code mix} ({@code [1, H*W, C]}), then as a channels-last map
     * through {@code last} ({@code [1, H, W, C]}), then the head.
     */
    static final class TokenHead extends Module implements Layer {
        TokenHead(NDManager m) {
            registerModule("proj", new Conv2d(m, 1, 2, 1, 1, 0, 1, true));
            registerModule("mix", new Linear(m, 2, 2, false));
            registerModule("last", new Linear(m, 2, 2, false));
            registerModule("head", new Conv2d(m, 2, 2, 1, 1, 0, 1, false));
        }

        @Override
        public NDArray forward(NDArray x) {
            TokenGrid g = TokenGrid.of(call("proj", x));
            NDArray mapped = g.with(call("mix", g.x())).toMap();
            NDArray channelsLast = call("last", mapped.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2);
            return call("head", channelsLast);
        }
    }

    // proj: channel 0 = x, channel 1 = 0.5 - x; head: class 0 = 0.5 c0 - 2 c1, class 1 = c0 + 3 c1 + 0.25.
    private static final float[] PROJ_W = {1f, -1f};
    private static final float[] PROJ_B = {0f, 0.5f};
    private static final float[][] HEAD_W = {{0.5f, -2f}, {1f, 3f}};
    private static final float[] HEAD_B = {0f, 0.25f};
    private static final float[] X = {0.2f, -0.4f, 1.0f, -1.0f, 0.6f, 0.0f, 0.9f, 0.3f};
    private static final int H = 2;
    private static final int W = 4;

    private static void load(Module model, NDManager m, boolean tokens) {
        Map<String, NDArray> w = new java.util.HashMap<>();
        w.put("proj.weight", m.create(PROJ_W, new Shape(2, 1, 1, 1)));
        w.put("proj.bias", m.create(PROJ_B));
        w.put("head.weight", m.create(new float[] {HEAD_W[0][0], HEAD_W[0][1], HEAD_W[1][0], HEAD_W[1][1]},
                new Shape(2, 2, 1, 1)));
        if (tokens) {
            w.put("mix.weight", m.create(MIX, new Shape(2, 2)));
            w.put("last.weight", m.create(new float[] {1, 0, 0, 1}, new Shape(2, 2)));
        } else {
            w.put("head.bias", m.create(HEAD_B));
        }
        model.loadStateDict(w, true);
        // As after fine-tuning: nothing trainable.
        model.setTrainable(n -> true, false);
    }

    private static final float[] MIX = {0.5f, 1f, -1f, 2f};

    private static float relu(float v) {
        return Math.max(0, v);
    }

    /** Channel c of the ReLU output at pixel p. */
    private static float act(int c, int p) {
        return relu(PROJ_W[c] * X[p] + PROJ_B[c]);
    }

    private static float[] scaled(float[] raw) {
        float max = 0;
        for (float v : raw) {
            max = Math.max(max, v);
        }
        float[] out = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = raw[i] / (1e-7f + max);
        }
        return out;
    }

    private static ModuleMap only(Explanation e, String module) {
        return e.maps().stream().filter(mm -> mm.module().equals(module)).findFirst().orElseThrow(() ->
                new AssertionError(module + " not mapped: " + e.skipped()));
    }

    @Test
    void layerCam_ofFrozenConvModel_equalsHandComputedMap() {
        float[] mask = {1, 1, 0, 1, 0, 1, 1, 0};
        try (NDManager m = EngineSetup.newManager()) {
            ConvHead model = new ConvHead(m);
            load(model, m, false);
            try (ClassActivationMaps cams = ClassActivationMaps.of(model, CamMethod.LAYERCAM,
                    List.of("act", "pro*"))) {
                assertEquals(List.of("proj", "act"), cams.modules());
                for (int cls = 0; cls < 2; cls++) {
                    Explanation e = cams.explain(m.create(X, new Shape(1, 1, H, W)), cls, mask);
                    assertEquals(5, e.targetPixels());
                    // d target / d act_c(p) = mask(p) * head_w[cls][c]; before the ReLU also times [proj_c(p) > 0].
                    float[] onAct = new float[H * W];
                    float[] onProj = new float[H * W];
                    for (int p = 0; p < H * W; p++) {
                        float sumAct = 0;
                        float sumProj = 0;
                        for (int c = 0; c < 2; c++) {
                            float z = PROJ_W[c] * X[p] + PROJ_B[c];
                            float g = mask[p] * HEAD_W[cls][c];
                            sumAct += relu(g) * act(c, p);
                            sumProj += relu(z > 0 ? g : 0) * z;
                        }
                        onAct[p] = relu(sumAct);
                        onProj[p] = relu(sumProj);
                    }
                    ModuleMap a = only(e, "act");
                    assertEquals(new FeatureLayout("nchw", 2, H, W), a.layout());
                    assertArrayEquals(onAct, a.raw(), 1e-6f, "class " + cls);
                    assertArrayEquals(scaled(onAct), a.map(), 1e-5f, "same grid as the input: no resize");
                    assertArrayEquals(onProj, only(e, "proj").raw(), 1e-6f, "class " + cls);
                }
            }
            assertTrue(model.isTraining(), "the model's mode is restored");
            assertTrue(!model.module("act").hasForwardHooks(), "closing removes the hooks");
        }
    }

    @Test
    void gradCam_weightsEachChannelByItsMeanGradient() {
        try (NDManager m = EngineSetup.newManager()) {
            ConvHead model = new ConvHead(m);
            load(model, m, false);
            try (ClassActivationMaps cams = ClassActivationMaps.of(model, CamMethod.GRADCAM, List.of("act"))) {
                NDArray x = m.create(X, new Shape(1, 1, H, W));
                // No mask: the target covers the pixels predicted as class 1 (logit 1 above logit 0).
                float[] predicted = new float[H * W];
                int n = 0;
                for (int p = 0; p < H * W; p++) {
                    float l0 = HEAD_W[0][0] * act(0, p) + HEAD_W[0][1] * act(1, p) + HEAD_B[0];
                    float l1 = HEAD_W[1][0] * act(0, p) + HEAD_W[1][1] * act(1, p) + HEAD_B[1];
                    predicted[p] = l1 > l0 ? 1 : 0;
                    n += (int) predicted[p];
                }
                Explanation e = cams.explain(x, 1, null);
                assertEquals(n, e.targetPixels());
                float[] expected = new float[H * W];
                for (int p = 0; p < H * W; p++) {
                    float sum = 0;
                    for (int c = 0; c < 2; c++) {
                        float meanGrad = HEAD_W[1][c] * n / (H * W);
                        sum += meanGrad * act(c, p);
                    }
                    expected[p] = relu(sum);
                }
                assertArrayEquals(expected, only(e, "act").raw(), 1e-6f);
            }
        }
    }

    @Test
    void tokenAndChannelsLastOutputs_mapBackToTheirPixels() {
        float[] mask = {1, 0, 1, 1, 0, 1, 1, 1};
        int cls = 0;
        try (NDManager m = EngineSetup.newManager()) {
            TokenHead model = new TokenHead(m);
            load(model, m, true);
            try (ClassActivationMaps cams = ClassActivationMaps.of(model, CamMethod.LAYERCAM,
                    List.of("mix", "last"))) {
                Explanation e = cams.explain(m.create(X, new Shape(1, 1, H, W)), cls, mask);
                // mix(p)_c = sum_d MIX[c][d] proj_d(p); last is the identity, so both outputs get the gradient
                // mask(p) * head_w[cls][c].
                float[] expected = new float[H * W];
                for (int p = 0; p < H * W; p++) {
                    float sum = 0;
                    for (int c = 0; c < 2; c++) {
                        float u = 0;
                        for (int d = 0; d < 2; d++) {
                            u += MIX[2 * c + d] * (PROJ_W[d] * X[p] + PROJ_B[d]);
                        }
                        sum += relu(mask[p] * HEAD_W[cls][c]) * u;
                    }
                    expected[p] = relu(sum);
                }
                assertEquals(new FeatureLayout("tokens", 2, H, W), only(e, "mix").layout());
                assertEquals(new FeatureLayout("nhwc", 2, H, W), only(e, "last").layout());
                assertArrayEquals(expected, only(e, "mix").raw(), 1e-6f);
                assertArrayEquals(expected, only(e, "last").raw(), 1e-6f);
            }
        }
    }

    @Test
    void tokensOfAKnownGrid_takeTheGridOfTheirTokenGridInput() {
        Shape tokens = new Shape(1, 12, 8);
        assertEquals(new FeatureLayout("tokens", 8, 3, 4), FeatureLayout.of(tokens,
                new Object[] {new TokenGrid(null, 3, 4)}, 224, 224));
        assertEquals(new FeatureLayout("tokens", 8, 7, 7), FeatureLayout.of(new Shape(1, 49, 8), new Object[0], 224,
                224));
        IllegalArgumentException windows = assertThrows(IllegalArgumentException.class,
                () -> FeatureLayout.of(new Shape(4, 49, 8), new Object[0], 224, 224));
        assertTrue(windows.getMessage().contains("window-partitioned"), windows.getMessage());
    }

    @Test
    void patternMatchingNothing_namesThePatternAndTheTopLevelModules() {
        try (NDManager m = EngineSetup.newManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ClassActivationMaps.of(new ConvHead(m), CamMethod.LAYERCAM, List.of("head", "*.lora*")));
            assertEquals("no module of the model matches '*.lora*' (top-level modules: proj, act, head; '*' matches "
                    + "dots too, e.g. '*.adapter_up')", e.getMessage());
        }
    }

    @Test
    void unusedModules_areSkippedWithTheReasonOrMappedAsZero() {
        try (NDManager m = EngineSetup.newManager()) {
            ConvHead model = new ConvHead(m);
            load(model, m, false);
            model.addModule("spare", Activation.relu());
            model.addModule("side", Activation.relu());
            try (ClassActivationMaps cams = ClassActivationMaps.of(model, CamMethod.LAYERCAM,
                    List.of("spare", "head", "side"))) {
                Explanation e = cams.explain(m.create(X, new Shape(1, 1, H, W)), 1, null);
                assertEquals(List.of("head", "side"), e.maps().stream().map(ModuleMap::module).toList());
                // A branch the logits do not use gets no gradient: an all-zero map, not a failure.
                assertEquals(0f, only(e, "side").peak());
                assertTrue(only(e, "head").peak() > 0);
                assertTrue(e.skipped().get("spare").startsWith("it did not run its forward hooks"), e.skipped()
                        .toString());
            }
        }
    }
}
