package ai.peft4j.peft.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.peft.FixtureVit;
import ai.peft4j.peft.TargetModules;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** LoRA on the fixture ViT: what it adds, what trains, per-module ranks, merging, errors. */
class LoraTest {
    private static final LoraConfig HF_FIXTURE = LoraConfig.of(4, 8, "qkv", "proj", "fc1", "fc2")
            .withModulesToSave("head");

    @Test
    void newAdapter_startsAsBaseModel_andTrainsOnlyAdapterAndHead() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            NDArray base = vit.forward();
            LoraAdapter adapter = new Lora(HF_FIXTURE).apply(vit.model);
            Tensors.assertClose(base, vit.forward(), 0, "output with B = 0");
            // Per block: qkv 4*64 + 192*4, attn.proj 4*64 + 64*4, fc1 4*64 + 256*4, fc2 4*256 + 64*4 = 4,096;
            // patch_embed.proj (also "proj"): 4*3*16*16 + 64*4 = 3,328; the head copy 5*64 + 5 = 325.
            assertEquals(2 * 4096 + 3328 + 325, vit.model.trainableParameterCount());
            List<String> names = vit.model.trainableParameterNames();
            assertEquals(List.of("patch_embed.proj.lora_A.weight", "patch_embed.proj.lora_B.weight",
                    "blocks.0.attn.qkv.lora_A.weight", "blocks.0.attn.qkv.lora_B.weight"), names.subList(0, 4));
            assertEquals(List.of("head.weight", "head.bias"), names.subList(names.size() - 2, names.size()));
            assertEquals(Map.copyOf(adapter.stateDict()).keySet(), Map.copyOf(
                    toMap(names, vit.model)).keySet());
        }
    }

    @Test
    void dora_addsOneMagnitudePerOutputRow_andStartsAsBaseModel() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            new Lora(HF_FIXTURE.withDora(true)).apply(vit.model);
            // magnitudes: per block 192 + 64 + 256 + 64 rows, and 64 channels of patch_embed.proj
            assertEquals(2 * 4096 + 3328 + 325 + 2 * 576 + 64, vit.model.trainableParameterCount());
            Map<String, Parameter> p = vit.model.namedParameters();
            assertEquals(new Shape(1, 64, 1, 1), p.get("patch_embed.proj.lora_magnitude_vector.weight").shape());
            assertEquals(new Shape(192), p.get("blocks.1.attn.qkv.lora_magnitude_vector.weight").shape());
            Tensors.assertClose(vit.expected("base/output"), vit.forward(), 1e-5, "DoRA output at init");
        }
    }

    @Test
    void targetModules_matchAtDotBoundaryOrAsWholeRegex() {
        TargetModules names = TargetModules.named("qkv", "mlp.fc1");
        assertTrue(names.test("blocks.0.attn.qkv"));
        assertTrue(names.test("qkv"));
        assertFalse(names.test("blocks.0.attn.to_qkv"));
        assertTrue(names.test("blocks.3.mlp.fc1"));
        assertFalse(names.test("blocks.3.mlp.fc1.lora_A"));
        TargetModules regex = TargetModules.matching("blocks\\.1\\..*fc\\d");
        assertTrue(regex.test("blocks.1.mlp.fc2"));
        assertFalse(regex.test("blocks.11.mlp.fc2"));
        assertFalse(TargetModules.matching("fc1").test("blocks.0.mlp.fc1"));
    }

    @Test
    void allLinear_targetsEveryLinearByItsLastName() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            LoraAdapter a = new Lora(LoraConfig.of(2, 4, "x").withTargets(TargetModules.matching("all-linear")))
                    .apply(vit.model);
            // "proj" also names the patch embedding's convolution, as in HF
            assertEquals(List.of("patch_embed.proj", "blocks.0.attn.qkv", "blocks.0.attn.proj", "blocks.0.mlp.fc1",
                    "blocks.0.mlp.fc2", "blocks.1.attn.qkv", "blocks.1.attn.proj", "blocks.1.mlp.fc1",
                    "blocks.1.mlp.fc2", "head"), List.copyOf(a.layers().keySet()));
        }
    }

    @Test
    void secondAdapterOnTheSameModules_failsAndLeavesNothingBehind() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            new Lora(LoraConfig.of(4, 8, "fc2")).apply(vit.model);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new Lora(LoraConfig.of(4, 8, "qkv", "fc2")).apply(vit.model));
            assertTrue(e.getMessage().contains("'blocks.0.mlp.fc2.lora_A' already exists"), e.getMessage());
            assertFalse(vit.model.module("blocks.0.attn.qkv").hasChild("lora_A"));
            assertTrue(vit.model.module("blocks.0.mlp.fc2").hasChild("lora_A"));
        }
    }

    @Test
    void rankAndAlphaPatterns_setRankAndScalingPerModule() throws Exception {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        ranks.put("blocks\\.1\\.mlp\\.fc1", 2);
        ranks.put("qkv", 8);
        LoraConfig c = LoraConfig.of(4, 8, "qkv", "fc1", "fc2").withRankPattern(ranks)
                .withAlphaPattern(Map.of("fc2", 4.0));
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            Map<String, LoraLayer> layers = new Lora(c).apply(vit.model).layers();
            assertEquals(8, layers.get("blocks.0.attn.qkv").rank());
            assertEquals(1.0, layers.get("blocks.0.attn.qkv").scaling());
            assertEquals(2, layers.get("blocks.1.mlp.fc1").rank());
            assertEquals(4.0, layers.get("blocks.1.mlp.fc1").scaling());
            assertEquals(4, layers.get("blocks.0.mlp.fc1").rank());
            assertEquals(2.0, layers.get("blocks.0.mlp.fc1").scaling());
            assertEquals(1.0, layers.get("blocks.0.mlp.fc2").scaling());
            assertEquals(new Shape(8, 64),
                    vit.model.namedParameters().get("blocks.0.attn.qkv.lora_A.weight").shape());
        }
        assertEquals(4.0, LoraConfig.of(4, 8, "qkv").withRslora(true).scalingFor("qkv"));
    }

    @Test
    void merge_givesUnmergedOutput_andUnmergeRestoresBaseWeights() throws Exception {
        for (boolean dora : new boolean[] {false, true}) {
            try (NDManager manager = EngineSetup.newManager()) {
                EngineSetup.seed(7);
                FixtureVit vit = FixtureVit.load(manager);
                NDArray qkv = vit.model.namedParameters().get("blocks.0.attn.qkv.weight").data().duplicate();
                LoraAdapter adapter = new Lora(HF_FIXTURE.withInit(LoraInit.RANDOM).withDora(dora).withRslora(true))
                        .apply(vit.model);
                NDArray adapted = vit.forward();
                assertTrue(Tensors.maxAbsDiff(adapted, vit.expected("base/output")) > 1e-2, "update is not zero");
                adapter.merge();
                assertTrue(adapter.isMerged());
                Tensors.assertClose(adapted, vit.forward(), 1e-5, (dora ? "DoRA" : "LoRA") + " merged output");
                adapter.unmerge();
                Tensors.assertClose(qkv, vit.model.namedParameters().get("blocks.0.attn.qkv.weight").data(), 1e-6,
                        "qkv weight after unmerge");
                Tensors.assertClose(adapted, vit.forward(), 1e-5, "output after unmerge");
            }
        }
    }

    @Test
    void gradients_reachBOnlyWhileBIsZero_andNeverTheBase() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            new Lora(LoraConfig.of(4, 8, "qkv")).apply(vit.model);
            vit.model.namedParameters().values().forEach(Parameter::attachGradient);
            try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                gc.backward(vit.forward().square().sum());
            }
            Map<String, Parameter> p = vit.model.namedParameters();
            // d/dA of B A x is B^T (...), zero while B = 0; d/dB is not.
            assertEquals(0.0, Tensors.maxAbs(p.get("blocks.0.attn.qkv.lora_A.weight").gradient()));
            assertTrue(Tensors.maxAbs(p.get("blocks.0.attn.qkv.lora_B.weight").gradient()) > 0);
            assertNull(p.get("blocks.0.attn.qkv.weight").gradient());
        }
    }

    @Test
    void dora_trainsTheMagnitude_throughADetachedNorm() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            new Lora(LoraConfig.of(4, 8, "fc2").withDora(true).withInit(LoraInit.RANDOM)).apply(vit.model);
            vit.model.namedParameters().values().forEach(Parameter::attachGradient);
            try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                gc.backward(vit.forward().square().sum());
            }
            Map<String, Parameter> p = vit.model.namedParameters();
            for (String n : List.of("lora_magnitude_vector.weight", "lora_A.weight", "lora_B.weight")) {
                assertTrue(Tensors.maxAbs(p.get("blocks.1.mlp.fc2." + n).gradient()) > 0, n);
            }
            assertEquals(2 * (4 * 256 + 64 * 4 + 64), vit.model.trainableParameterCount());
        }
    }

    @Test
    void gradients_equalExactDifferences_forLoraBAndDoraMagnitude() {
        // y = W x + b + s B A x is linear in B, and DoRA's output is linear in the magnitude (its norm does not
        // depend on it), so a finite difference of sum(y * c) is exact there and must equal the gradient.
        for (boolean dora : new boolean[] {false, true}) {
            try (NDManager manager = EngineSetup.newManager()) {
                EngineSetup.seed(21);
                ai.peft4j.core.nn.Sequential net = new ai.peft4j.core.nn.Sequential(
                        new ai.peft4j.core.nn.Linear(manager, 6, 5, true));
                new Lora(LoraConfig.of(3, 6, "0").withInit(LoraInit.RANDOM).withDora(dora)).apply(net);
                String name = dora ? "0.lora_magnitude_vector.weight" : "0.lora_B.weight";
                Parameter p = net.namedParameters().get(name);
                NDArray x = manager.randomNormal(new Shape(4, 6));
                NDArray c = manager.randomNormal(new Shape(4, 5));
                p.attachGradient();
                try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                    gc.backward(net.forward(x).mul(c).sum());
                }
                float[] grad = p.gradient().toFloatArray();
                float base = net.forward(x).mul(c).sum().getFloat();
                float[] w = p.data().toFloatArray();
                for (int i : new int[] {0, w.length / 2, w.length - 1}) {
                    float[] moved = w.clone();
                    moved[i] += 0.5f;
                    p.replace(manager.create(moved, p.shape()));
                    float diff = (net.forward(x).mul(c).sum().getFloat() - base) / 0.5f;
                    assertEquals(grad[i], diff, 1e-4 * (1 + Math.abs(grad[i])), name + "[" + i + "]");
                    p.replace(manager.create(w, p.shape()));
                }
            }
        }
    }

    @Test
    void dropout_actsOnTheUpdateInTrainingOnly() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            LoraAdapter adapter = new Lora(LoraConfig.of(4, 8, "qkv").withInit(LoraInit.RANDOM).withDropout(0.5))
                    .apply(vit.model);
            NDArray eval = vit.forward();
            adapter.attachment().setEnabled(false);
            NDArray base = vit.forward();
            adapter.attachment().setEnabled(true);
            vit.model.train(true);
            NDArray train = vit.forward();
            vit.model.eval();
            Tensors.assertClose(eval, vit.forward(), 0, "eval output is deterministic");
            assertTrue(Tensors.maxAbsDiff(train, eval) > 1e-4, "dropout changes the training output");
            assertTrue(Tensors.maxAbsDiff(base, eval) > 1e-3, "the update is not zero");
        }
    }

    @Test
    void twoAdapters_takeTurnsOnOneBase() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            NDArray base = vit.forward();
            LoraAdapter first = ai.peft4j.peft.hf.HfAdapterDirectory.load(FixtureVit.adapterDir("peft_lora"), vit.model);
            NDArray lora = vit.forward();
            first.attachment().deactivate();
            Tensors.assertClose(base, vit.forward(), 0, "base after deactivating LoRA");
            LoraAdapter second = ai.peft4j.peft.hf.HfAdapterDirectory.load(FixtureVit.adapterDir("peft_dora"), vit.model);
            Tensors.assertClose(vit.expected("dora/output"), vit.forward(), 1e-5, "DoRA on the same base");
            second.attachment().deactivate();
            first.attachment().activate();
            Tensors.assertClose(lora, vit.forward(), 0, "LoRA again");
            Tensors.assertClose(vit.expected("lora/output"), lora, 1e-5, "LoRA output");
        }
    }

    @Test
    void mistakes_areExplained() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraConfig.of(0, 8, "qkv"));
        assertTrue(e.getMessage().contains("rank r must be a positive integer, got 0"), e.getMessage());
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            e = assertThrows(IllegalArgumentException.class,
                    () -> new Lora(LoraConfig.of(4, 8, "to_q", "to_v")).apply(vit.model));
            assertTrue(e.getMessage().contains("target_modules [to_q, to_v] match no module"), e.getMessage());
            assertTrue(e.getMessage().contains("patch_embed.proj, blocks.0.attn.qkv"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> new Lora(LoraConfig.of(4, 8, "norm1")).apply(vit.model));
            assertTrue(e.getMessage().contains("'blocks.0.norm1' is a LayerNorm"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> new Lora(LoraConfig.of(4, 8, "qkv").withModulesToSave("classifier")).apply(vit.model));
            assertTrue(e.getMessage().contains("'classifier' matches no module"), e.getMessage());
            assertEquals(vit.model.parameterCount(), vit.model.trainableParameterCount(), "model left untouched");
        }
    }

    private static Map<String, Parameter> toMap(List<String> names, ai.peft4j.core.nn.Module m) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        names.forEach(n -> out.put(n, m.namedParameters().get(n)));
        return out;
    }
}
