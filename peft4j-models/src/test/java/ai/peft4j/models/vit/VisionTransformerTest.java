package ai.peft4j.models.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.models.ModelSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ViT against timm's {@code VisionTransformer} on the fixture weights, and its presets. */
class VisionTransformerTest {

    @Test
    void fixtureWeights_loadStrictlyAndMatchTimmOutput() throws Exception {
        Path file = SharedFiles.require("fixtures/peft/peft_vit.safetensors");
        try (NDManager manager = EngineSetup.newManager()) {
            SafetensorsFile.Contents ref = SafetensorsFile.read(file, manager);
            Map<String, NDArray> base = new LinkedHashMap<>();
            ref.tensors().forEach((k, v) -> {
                if (k.startsWith("base/") && !k.equals("base/output")) {
                    base.put(k.substring(5), v);
                }
            });
            VisionTransformer vit = new VisionTransformer(manager, VitConfig.fixture(5));
            vit.eval();
            assertTrue(vit.loadStateDict(base, true).isClean());
            assertEquals(base.size(), vit.stateDict().size());
            NDArray out = vit.forward(ref.tensors().get("input"));
            assertEquals(new Shape(2, 5), out.getShape());
            Tensors.assertClose(ref.tensors().get("base/output"), out, 1e-5, "base/output");
        }
    }

    @Test
    void stateDict_hasTimmNamesInTimmOrder() {
        try (NDManager manager = EngineSetup.newManager()) {
            VisionTransformer vit = new VisionTransformer(manager, VitConfig.fixture(5).withDepth(1));
            assertEquals(List.of("cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias",
                    "blocks.0.norm1.weight", "blocks.0.norm1.bias", "blocks.0.attn.qkv.weight",
                    "blocks.0.attn.qkv.bias", "blocks.0.attn.proj.weight", "blocks.0.attn.proj.bias",
                    "blocks.0.norm2.weight", "blocks.0.norm2.bias", "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias",
                    "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias", "norm.weight", "norm.bias", "head.weight",
                    "head.bias"), List.copyOf(vit.stateDict().keySet()));
        }
    }

    @Test
    void presets_haveTimmParameterCounts() {
        try (NDManager manager = EngineSetup.newManager()) {
            // timm vit_base_patch16_224 with its 1000-class head has 86,567,656 parameters.
            assertEquals(86_567_656L, new ModelSpec("vit", "vit-b16", 1000).build(manager).parameterCount());
            // fixture: 17x64 pos + 64 cls + 3*16*16*64+64 stem + 2 blocks of 49,984 + 128 norm + 325 head
            assertEquals(17 * 64 + 64 + 49_216 + 2 * 49_984 + 128 + 325,
                    new ModelSpec("vit", "vit-fixture", 5).build(manager).parameterCount());
        }
    }

    @Test
    void wrongImageSize_saysWhichSizeFits() {
        try (NDManager manager = EngineSetup.newManager()) {
            VisionTransformer vit = new VisionTransformer(manager, VitConfig.fixture(5));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> vit.forward(manager.zeros(new Shape(1, 3, 32, 32))));
            assertTrue(e.getMessage().contains("[B, C, 64, 64]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new ModelSpec("vit", "vit-huge", 5));
        }
    }
}
