package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.infer.explain.CamMethod;
import ai.peft4j.infer.explain.ClassActivationMaps;
import ai.peft4j.infer.explain.Explanation;
import ai.peft4j.infer.explain.FeatureLayout;
import ai.peft4j.infer.explain.ModuleMap;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.peft.tplora.TpLora;
import ai.peft4j.peft.tplora.TpLoraConfig;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The TP-LoRA modules the published visualization.py maps are mapped here too, frozen, each on its own grid. */
class TpLoraMapsTest {
    private static final int SIZE = 32;
    private static final int F0 = 16;

    @Test
    void publishedVisualisationModules_ofTpLora_areMappedOnTheirGrids() {
        try (NDManager m = EngineSetup.newManager()) {
            SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.fixture(2));
            float[] text = new float[12 * TextPrompt.BERT_BASE_WIDTH];
            for (int i = 0; i < text.length; i++) {
                text[i] = (float) Math.sin(0.0071 * i);
            }
            TpLora method = TpLora.published(TpLoraConfig.paper(), new TextPrompt(text, 12,
                    TextPrompt.BERT_BASE_WIDTH));
            method.attach(model);
            // Non-zero adapters: a fresh adapter_up is zero, which would only give all-zero maps.
            ClosedFormWeights.fill(model);
            model.setTrainable(n -> true, false);
            float[] image = new float[3 * SIZE * SIZE];
            for (int i = 0; i < image.length; i++) {
                image[i] = (float) (0.5 + 0.4 * Math.sin(0.37 * i));
            }
            float[] everywhere = new float[SIZE * SIZE];
            Arrays.fill(everywhere, 1f);
            float[][] adapterOut = new float[1][];
            model.module("tp_lora_adapter1.adapter_up").addForwardHook((mod, in, out) -> {
                adapterOut[0] = out.toFloatArray();
                return out;
            });
            // A head of mixed signs, so that class 1's maps of level 1 are not all zero.
            float[] head = new float[2 * F0];
            for (int i = 0; i < head.length; i++) {
                head[i] = i % 3 == 0 ? 0.3f : -0.1f;
            }
            model.module("final_conv").parameter("weight").replace(m.create(head, new Shape(2, F0, 1, 1)));
            for (CamMethod cam : CamMethod.values()) {
                // Adapter_CNN_k_LoRA, Adapter_ATT_k_LoRA and Backbone_Adapter_1_MLP_LoRA of the published script.
                try (ClassActivationMaps cams = ClassActivationMaps.of(model, cam, List.of(
                        "tp_lora_adapter*.adapter_up", "Att*.tp_lora_adapter_cnn.adapter_up",
                        "swin_backbone.layers.0.blocks.1.tp_lora_mlp.adapter_up"))) {
                    Explanation e = cams.explain(m.create(image, new Shape(1, 3, SIZE, SIZE)), 1, everywhere);
                    assertEquals(Map.of(), e.skipped());
                    Map<String, ModuleMap> maps = new LinkedHashMap<>();
                    e.maps().forEach(mm -> maps.put(mm.module(), mm));
                    assertEquals(9, maps.size());
                    assertEquals(new FeatureLayout("tokens", 32, 8, 8),
                            maps.get("swin_backbone.layers.0.blocks.1.tp_lora_mlp.adapter_up").layout());
                    for (int k = 1; k <= 4; k++) {
                        // Decoder level k works at 32 / 2^(k-1) pixels a side.
                        int side = SIZE >> (k - 1);
                        assertEquals(side, maps.get("tp_lora_adapter" + k + ".adapter_up").layout().height());
                        assertEquals(side, maps.get("Att" + k + ".tp_lora_adapter_cnn.adapter_up").layout().width());
                    }
                    // Level 1's adapter adds to the map the 1x1 final_conv reads: with the target on every pixel,
                    // the gradient on its channel c is final_conv's weight of class 1 for c, at every pixel.
                    float[] expected = new float[SIZE * SIZE];
                    for (int p = 0; p < expected.length; p++) {
                        double sum = 0;
                        for (int c = 0; c < F0; c++) {
                            double g = head[F0 + c];
                            sum += (cam == CamMethod.LAYERCAM ? Math.max(0, g) : g) * adapterOut[0][p * F0 + c];
                        }
                        expected[p] = (float) Math.max(0, sum);
                    }
                    float[] raw = maps.get("tp_lora_adapter1.adapter_up").raw();
                    assertArrayEquals(expected, raw, 1e-5f, cam.key());
                    assertTrue(maps.get("tp_lora_adapter1.adapter_up").peak() > 0, "a map, not all zero");
                }
            }
        }
    }
}
