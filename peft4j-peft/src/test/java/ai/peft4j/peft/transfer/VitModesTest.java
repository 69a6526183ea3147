package ai.peft4j.peft.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.models.vit.VisionTransformer;
import ai.peft4j.models.vit.VitConfig;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.expansion.AddedBlocksConfig;
import ai.peft4j.peft.full.ClassifyConfig;
import ai.peft4j.peft.full.FullConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** peft-vit's modes on timm ViTs: the published trainable counts of ViT-B/16, what trains, and start as the base. */
class VitModesTest {
    private static Attachment attach(VisionTransformer vit, String name, Record config) {
        return MethodRegistry.create(name, config, MethodInputs.none().withFreshBlock(b -> vit.newBlock()))
                .attach(vit);
    }

    @Test
    void vitB16_trainableCounts_matchThePublishedReadme() {
        try (NDManager m = EngineSetup.newManager()) {
            // CIFAR-100: the published table's target task.
            VisionTransformer vit = new VisionTransformer(m, VitConfig.base16(100));
            long head = vit.module("head").parameterCount();
            assertEquals(76_900, head);
            // README: 301 K, 448 K, 743 K, written truncated to thousands. PEFT 0.3.0's modules_to_save sets the
            // original classifier trainable before wrapping it beside its trained copy, so the published count
            // holds the head twice; peft4j trains the one head in place.
            int[] ranks = {4, 8, 16};
            long[] loraK = {301, 448, 743};
            for (int i = 0; i < ranks.length; i++) {
                Attachment a = attach(vit, FusedQkvLora.NAME, new FusedQkvLoraConfig(ranks[i], ranks[i], 0));
                assertEquals(loraK[i], (vit.trainableParameterCount() + head) / 1000, "LoRA r " + ranks[i]);
                a.deactivate();
            }
            // README: 7.2, 14.3, 21.3, 28.4 M for p = 1..4 (one fresh head, no copy).
            double[] blockM = {7.2, 14.3, 21.3, 28.4};
            for (int p = 1; p <= 4; p++) {
                Attachment a = attach(vit, "vit-block", new AddedBlocksConfig(p));
                assertEquals(blockM[p - 1], Math.round(vit.trainableParameterCount() / 1e5) / 10.0, "block p " + p);
                assertEquals(12 + p, vit.module("blocks").children().size());
                a.deactivate();
            }
            assertEquals(12, vit.module("blocks").children().size());
        }
    }

    @Test
    void linearTopKAndFull_trainTheHeadTheLastBlocksOrEverything() {
        try (NDManager m = EngineSetup.newManager()) {
            VisionTransformer vit = new VisionTransformer(m, VitConfig.fixture(5).withDepth(4));
            long all = vit.parameterCount();
            long block = vit.module("blocks.0").parameterCount();
            Attachment a = attach(vit, "classify", new ClassifyConfig());
            assertEquals(List.of("head.weight", "head.bias"), vit.trainableParameterNames());
            a.deactivate();
            a = attach(vit, TopBlocks.NAME, new TopBlocksConfig(2));
            assertEquals(2 * block + 5 * 64 + 5, vit.trainableParameterCount());
            assertTrue(vit.trainableParameterNames().get(0).startsWith("blocks.2."));
            a.deactivate();
            a = attach(vit, "full", new FullConfig());
            assertEquals(all, vit.trainableParameterCount());
            a.deactivate();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> attach(vit, TopBlocks.NAME, new TopBlocksConfig(5)));
            assertEquals("vit-top-k: k 5 exceeds the model's 4 blocks; use full to train them all",
                    e.getMessage());
        }
    }

    @Test
    void queryValueLora_startsAsTheBase_andChangesOnlyQueryAndValueThirdsOfQkv() {
        try (NDManager m = EngineSetup.newManager()) {
            VisionTransformer vit = new VisionTransformer(m, VitConfig.fixture(5));
            ClosedFormWeights.fill(vit);
            vit.eval();
            NDArray x = ClosedFormWeights.sinusoid(m, new Shape(2, 3, 64, 64), 0.0123);
            NDArray before = vit.forward(x);
            Attachment a = attach(vit, FusedQkvLora.NAME, new FusedQkvLoraConfig(4, 8, 0));
            Tensors.assertClose(before, vit.forward(x), 0, "output with B = 0");
            assertEquals(2 * 2 * (64 * 4 + 4 * 64) + 5 * 64 + 5, vit.trainableParameterCount());
            // A hook added after the adapter's sees block 0's qkv output with the update added.
            NDArray[] seen = new NDArray[1];
            vit.module("blocks.0.attn.qkv").addForwardHook((mod, in, out) -> {
                seen[0] = out;
                return out;
            });
            vit.forward(x);
            NDArray qkvBefore = seen[0];
            for (Parameter p : vit.namedParameters().values()) {
                if (p.isTrainable()) {
                    p.data().addi(ClosedFormWeights.sinusoid(m, p.shape(), 0.37).mul(0.1f));
                }
            }
            vit.forward(x);
            NDArray delta = seen[0].sub(qkvBefore);
            assertEquals(0.0, Tensors.maxAbs(delta.get(":, :, 64:128")), "key third");
            assertTrue(Tensors.maxAbs(delta.get(":, :, 0:64")) > 1e-4, "query third moves");
            assertTrue(Tensors.maxAbs(delta.get(":, :, 128:")) > 1e-4, "value third moves");
            a.deactivate();
            Tensors.assertClose(before, vit.forward(x), 0, "output after deactivation");
        }
    }

    @Test
    void blockExpansion_refusesAnAddedCountThatDoesNotDivideTheDepth() {
        try (NDManager m = EngineSetup.newManager()) {
            VisionTransformer vit = new VisionTransformer(m, VitConfig.mini(3));
            long before = vit.parameterCount();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> attach(vit, "vit-block", new AddedBlocksConfig(4)));
            assertEquals("vit-block: added 4 does not divide the model's 6 blocks into equal groups (one new block "
                    + "after each group); use one of 1, 2, 3, 6", e.getMessage());
            assertEquals(before, vit.parameterCount());
            assertNotEquals(0, vit.trainableParameterCount());
        }
    }
}
