package ai.peft4j.peft.expansion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.models.vit.VisionTransformer;
import ai.peft4j.models.vit.VitConfig;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.FixtureVit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Block expansion of the fixture ViT: identity at start, exact counts and names, and undo. */
class BlockExpansionTest {
    // One timm ViT block of dim 64, mlp 256: norms 4*64, qkv 64*192+192, proj 64*64+64, fc1 64*256+256, fc2 256*64+64.
    private static final long BLOCK = 4 * 64 + 64 * 192 + 192 + 64 * 64 + 64 + 64 * 256 + 256 + 256 * 64 + 64;
    private static final long BASE = 17 * 64 + 64 + (3 * 16 * 16 * 64 + 64) + 2 * BLOCK + 2 * 64 + (5 * 64 + 5);

    @Test
    void expandedModel_computesTheOriginalOutput_andTrainsOnlyNewBlocksAndHead() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            NDArray before = vit.forward();
            assertEquals(150_789L, BASE);
            assertEquals(BASE, vit.model.parameterCount());

            Attachment a = new BlockExpansion(BlockExpansionConfig.timmVit(1), b -> vit.model.newBlock())
                    .attach(vit.model);
            Tensors.assertClose(before, vit.forward(), 0, "output of the expanded model");
            assertEquals(BASE + 2 * BLOCK, vit.model.parameterCount());
            assertEquals(2 * BLOCK + 325, vit.model.trainableParameterCount());
            List<String> trainable = vit.model.trainableParameterNames();
            List<String> expected = new ArrayList<>();
            for (String block : List.of("blocks.1.", "blocks.3.")) {
                for (String p : List.of("norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias",
                        "attn.proj.weight", "attn.proj.bias", "norm2.weight", "norm2.bias", "mlp.fc1.weight",
                        "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias")) {
                    expected.add(block + p);
                }
            }
            expected.add("head.weight");
            expected.add("head.bias");
            assertEquals(expected, trainable);
            assertEquals(expected, List.copyOf(a.stateDict().keySet()));
            // The copy of block 0 holds block 0's weights except the zeroed projections.
            Tensors.assertClose(vit.model.namedParameters().get("blocks.0.attn.qkv.weight").data(),
                    vit.model.namedParameters().get("blocks.1.attn.qkv.weight").data(), 0, "copied qkv");
            assertEquals(0.0, Tensors.maxAbs(vit.model.namedParameters().get("blocks.1.mlp.fc2.weight").data()));

            a.deactivate();
            assertEquals(BASE, vit.model.parameterCount());
            Tensors.assertClose(before, vit.forward(), 0, "output after deactivation");
        }
    }

    @Test
    void splitTwo_addsOneBlockAfterTheSecond() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            VisionTransformer vit = new VisionTransformer(manager, VitConfig.fixture(5).withDepth(4));
            vit.eval();
            NDArray x = manager.randomUniform(0, 1, new ai.djl.ndarray.types.Shape(1, 3, 64, 64));
            NDArray before = vit.forward(x);
            new BlockExpansion(BlockExpansionConfig.timmVit(2), b -> vit.newBlock()).attach(vit);
            assertEquals(6, ((ai.peft4j.core.nn.ModuleList<?>) vit.module("blocks")).size());
            assertTrue(vit.trainableParameterNames().get(0).startsWith("blocks.2."));
            assertTrue(vit.trainableParameterNames().contains("blocks.5.mlp.fc2.bias"));
            assertEquals(2 * BLOCK + 325, vit.trainableParameterCount());
            Tensors.assertClose(before, vit.forward(x), 0, "output with blocks 2 and 5 inserted");
        }
    }

    @Test
    void mistakes_areExplained() {
        try (NDManager manager = EngineSetup.newManager()) {
            VisionTransformer vit = new VisionTransformer(manager, VitConfig.fixture(5));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BlockExpansion(
                    new BlockExpansionConfig("layers", 1, List.of("attn.proj.*"), List.of()), b -> vit.newBlock())
                    .attach(vit));
            assertTrue(e.getMessage().contains("module lists of this VisionTransformer: [blocks]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new BlockExpansion(
                    new BlockExpansionConfig("blocks", 1, List.of("attention.output.dense.*"), List.of()),
                    b -> vit.newBlock()).attach(vit));
            assertTrue(e.getMessage().contains("'attention.output.dense.*' matches no parameter of block 0"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> new BlockExpansion(BlockExpansionConfig.timmVit(3), b -> vit.newBlock()).attach(vit));
            assertTrue(e.getMessage().contains("split 3 exceeds the 2 blocks"), e.getMessage());
        }
    }
}
