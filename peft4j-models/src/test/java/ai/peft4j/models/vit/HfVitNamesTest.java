package ai.peft4j.models.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.testing.Tensors;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** HF transformers' ViT names load into the timm-named model: the same tensors, the same output. */
class HfVitNamesTest {
    /** The HF names of a timm state dict, written out by hand as transformers' ViTForImageClassification has them. */
    private static Map<String, NDArray> asHf(Map<String, NDArray> timm, int depth, int dim) {
        Map<String, NDArray> hf = new LinkedHashMap<>();
        hf.put("vit.embeddings.cls_token", timm.get("cls_token"));
        hf.put("vit.embeddings.position_embeddings", timm.get("pos_embed"));
        hf.put("vit.embeddings.patch_embeddings.projection.weight", timm.get("patch_embed.proj.weight"));
        hf.put("vit.embeddings.patch_embeddings.projection.bias", timm.get("patch_embed.proj.bias"));
        for (int i = 0; i < depth; i++) {
            String b = "blocks." + i + ".";
            String l = "vit.encoder.layer." + i + ".";
            String[] qkv = {"query", "key", "value"};
            for (int j = 0; j < 3; j++) {
                String range = (j * dim) + ":" + ((j + 1) * dim);
                hf.put(l + "attention.attention." + qkv[j] + ".weight", timm.get(b + "attn.qkv.weight").get(range));
                hf.put(l + "attention.attention." + qkv[j] + ".bias", timm.get(b + "attn.qkv.bias").get(range));
            }
            for (String k : new String[] {"weight", "bias"}) {
                hf.put(l + "layernorm_before." + k, timm.get(b + "norm1." + k));
                hf.put(l + "attention.output.dense." + k, timm.get(b + "attn.proj." + k));
                hf.put(l + "intermediate.dense." + k, timm.get(b + "mlp.fc1." + k));
                hf.put(l + "output.dense." + k, timm.get(b + "mlp.fc2." + k));
                hf.put(l + "layernorm_after." + k, timm.get(b + "norm2." + k));
            }
        }
        hf.put("vit.layernorm.weight", timm.get("norm.weight"));
        hf.put("vit.layernorm.bias", timm.get("norm.bias"));
        hf.put("classifier.weight", timm.get("head.weight"));
        hf.put("classifier.bias", timm.get("head.bias"));
        return hf;
    }

    @Test
    void hfCheckpoint_loadsStrictlyIntoTheTimmModel_withTheSameOutput() {
        try (NDManager m = EngineSetup.newManager()) {
            VitConfig config = VitConfig.fixture(5);
            VisionTransformer a = new VisionTransformer(m, config);
            ClosedFormWeights.fill(a);
            a.eval();
            Map<String, NDArray> hf = asHf(a.stateDict(), config.depth(), config.embedDim());
            assertTrue(HfVitNames.matches(hf.keySet()));
            assertFalse(HfVitNames.matches(a.stateDict().keySet()));
            hf.put("vit.pooler.dense.weight", m.zeros(new Shape(64, 64)));

            Map<String, NDArray> timm = HfVitNames.toTimm(hf);
            assertEquals(new TreeSet<>(a.stateDict().keySet()), new TreeSet<>(timm.keySet()), "pooler left out");
            VisionTransformer b = new VisionTransformer(m, config);
            b.loadStateDict(timm, true);
            b.eval();
            NDArray x = ClosedFormWeights.sinusoid(m, new Shape(1, 3, 64, 64), 0.0123);
            Tensors.assertClose(a.forward(x), b.forward(x), 0, "output of the HF-named weights");
        }
    }
}
