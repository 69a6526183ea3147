package ai.peft4j.infer.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.MaxPool2d;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.UpsampleNearest;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Maps of a defect class on an image with one bright square defect. */
class DefectMapsTest {
    private static final int SIZE = 32;
    private static final int SQUARE = 8;
    private static final int LEFT = 19;
    private static final int TOP = 5;

    /**
     * A small encoder-decoder whose defect logit is a known function of the input: the 3x3 mean brightness above
     * 0.6, max-pooled to half resolution and upsampled back; the background logit is a constant 0.05.
     */
    static final class BrightSpots extends Module implements Layer {
        BrightSpots(NDManager m) {
            registerModule("stem", new Conv2d(m, 3, 1, 3, 1, 1, 1, true));
            registerModule("act", Activation.relu());
            registerModule("pool", new MaxPool2d(2));
            registerModule("up", new UpsampleNearest(2));
            registerModule("head", new Conv2d(m, 1, 2, 1, 1, 0, 1, true));
            float[] mean = new float[27];
            Arrays.fill(mean, 1f / 27);
            loadStateDict(Map.of("stem.weight", m.create(mean, new Shape(1, 3, 3, 3)),
                    "stem.bias", m.create(new float[] {-0.6f}),
                    "head.weight", m.create(new float[] {0f, 1f}, new Shape(2, 1, 1, 1)),
                    "head.bias", m.create(new float[] {0.05f, 0f})), true);
            setTrainable(n -> true, false);
        }

        @Override
        public NDArray forward(NDArray x) {
            return call("head", call("up", call("pool", call("act", call("stem", x)))));
        }
    }

    /** A dim noisy image with a bright square at (LEFT, TOP); {@code mask} is 1 inside the square. */
    private static float[] image(int[] mask) {
        SplittableRandom r = new SplittableRandom(7);
        int plane = SIZE * SIZE;
        float[] image = new float[3 * plane];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                boolean inside = x >= LEFT && x < LEFT + SQUARE && y >= TOP && y < TOP + SQUARE;
                for (int c = 0; c < 3; c++) {
                    image[c * plane + y * SIZE + x] = (float) ((inside ? 0.9 : 0.3) + 0.1 * r.nextDouble());
                }
                mask[y * SIZE + x] = inside ? 1 : 0;
            }
        }
        return image;
    }

    /** Where the map peaks, and its mean inside and outside the square. */
    private static String describe(ModuleMap mm, int[] mask) {
        int best = 0;
        double inside = 0;
        double outside = 0;
        for (int p = 0; p < mm.map().length; p++) {
            best = mm.map()[p] > mm.map()[best] ? p : best;
            if (mask[p] == 1) {
                inside += mm.map()[p];
            } else {
                outside += mm.map()[p];
            }
        }
        return mm.module() + " peaks at (" + best % SIZE + ", " + best / SIZE + ")" + (mask[best] == 1 ? " inside"
                : " OUTSIDE") + ", mean " + inside / (SQUARE * SQUARE) + " inside, " + outside / (SIZE * SIZE
                        - SQUARE * SQUARE) + " outside";
    }

    @Test
    void layerCamAndGradCam_ofTheDefectClass_peakInsideTheDefect() {
        int[] mask = new int[SIZE * SIZE];
        float[] image = image(mask);
        try (NDManager m = EngineSetup.newManager()) {
            BrightSpots model = new BrightSpots(m);
            NDArray x = m.create(image, new Shape(1, 3, SIZE, SIZE));
            for (CamMethod method : CamMethod.values()) {
                try (ClassActivationMaps cams = ClassActivationMaps.of(model, method, List.of("act", "pool", "up"))) {
                    Explanation e = cams.explain(x, 1, null);
                    assertTrue(e.targetPixels() >= SQUARE * SQUARE / 2, "the square is predicted: " + e);
                    assertEquals(3, e.maps().size(), e.skipped().toString());
                    for (ModuleMap mm : e.maps()) {
                        String d = describe(mm, mask);
                        assertTrue(d.contains(" inside,"), method + " " + d);
                        float[] map = mm.map();
                        double inside = 0;
                        double outside = 0;
                        for (int p = 0; p < map.length; p++) {
                            inside = Math.max(inside, mask[p] == 1 ? map[p] : 0);
                            outside = Math.max(outside, mask[p] == 0 ? map[p] : 0);
                        }
                        assertTrue(inside > 0.99, method + " " + d);
                        assertTrue(outside < 0.5, "two pixels away from the square the map fades: " + method + " " + d);
                    }
                    assertEquals(16, e.maps().get(1).layout().height(), "pool is read at its own grid");
                }
            }
        }
    }

    @Test
    void swinAttUNet_mapsTokenBlocksGatesAndDecoder_andWindowedLayersAreSkipped() {
        int[] mask = new int[SIZE * SIZE];
        float[] image = image(mask);
        float[] target = new float[mask.length];
        for (int p = 0; p < mask.length; p++) {
            target[p] = mask[p];
        }
        EngineSetup.seed(3);
        try (NDManager m = EngineSetup.newManager()) {
            SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.fixture(2));
            model.setTrainable(n -> true, false);
            String block = "swin_backbone.layers.0.blocks.1";
            try (ClassActivationMaps cams = ClassActivationMaps.of(model, CamMethod.LAYERCAM, List.of(block + ".mlp",
                    block + ".attn", block + ".attn.qkv", "Att1", "conv1", "final_conv"))) {
                Explanation e = cams.explain(m.create(image, new Shape(1, 3, SIZE, SIZE)), 1, target);
                assertEquals(SQUARE * SQUARE, e.targetPixels());
                assertEquals(List.of(block + ".attn.qkv"), List.copyOf(e.skipped().keySet()));
                assertTrue(e.skipped().get(block + ".attn.qkv").contains("window-partitioned"), e.skipped().toString());
                Map<String, FeatureLayout> layouts = new java.util.HashMap<>();
                e.maps().forEach(mm -> layouts.put(mm.module(), mm.layout()));
                // Stage 1 works on a grid of 32 / 4 = 8 patches a side, 32 channels.
                assertEquals(new FeatureLayout("tokens", 32, 8, 8), layouts.get(block + ".mlp"));
                assertEquals(new FeatureLayout("tokens", 32, 8, 8), layouts.get(block + ".attn"));
                assertEquals(new FeatureLayout("nchw", 16, SIZE, SIZE), layouts.get("Att1"));
                assertEquals(new FeatureLayout("nchw", 2, SIZE, SIZE), layouts.get("final_conv"));
                for (ModuleMap mm : e.maps()) {
                    assertEquals(SIZE * SIZE, mm.map().length);
                    for (float v : mm.map()) {
                        assertTrue(v >= 0 && v <= 1, mm.module() + " " + v);
                    }
                }
                // On the logits the gradient is the mask itself, so the final map is zero outside the square.
                ModuleMap last = e.maps().get(e.maps().size() - 1);
                assertEquals("final_conv", last.module());
                for (int p = 0; p < mask.length; p++) {
                    if (mask[p] == 0) {
                        assertEquals(0f, last.raw()[p], "pixel " + p);
                    }
                }
            }
        }
    }
}
