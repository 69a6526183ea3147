package ai.peft4j.peft.adalora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.peft.FixtureVit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AdaLoRA on the fixture ViT: the budget schedule, importance averages, real pruning, pruned adapters, penalty. */
class AdaLoraTest {
    // 6 modules (qkv, fc1, fc2 of 2 blocks) of rank 4: budget 24 falling to 12 between steps 2 and 17 of 20.
    private static final AdaLoraConfig CONFIG = AdaLoraConfig.of(4, 2, 20, "qkv", "fc1", "fc2").withSchedule(2, 3, 2);

    @Test
    void budgetSchedule_isTheCubicFormulaOfAdaLora() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            try (AdaLoraAdapter adapter = new AdaLora(CONFIG).apply(vit.model)) {
                RankAllocator r = adapter.rankAllocator();
                assertEquals(24, r.initialBudget());
                assertEquals(12, r.targetBudget());
                assertEquals(new RankAllocator.Budget(24, false), r.budgetAt(2));
                assertEquals(new RankAllocator.Budget(21, false), r.budgetAt(3)); // 12 + 12 (14/15)^3 = 21.76
                assertEquals(new RankAllocator.Budget(19, true), r.budgetAt(4)); // 12 + 12 (13/15)^3 = 19.81
                assertEquals(new RankAllocator.Budget(13, true), r.budgetAt(10)); // 12 + 12 (7/15)^3 = 13.22
                assertEquals(new RankAllocator.Budget(12, false), r.budgetAt(17));
                assertEquals(new RankAllocator.Budget(12, true), r.budgetAt(18));
                for (int t = 3; t <= 17; t++) {
                    double left = 1 - (t - 2) / 15.0;
                    assertEquals((int) (12 + 12 * Math.pow(left, 3)), r.budgetAt(t).budget(), "step " + t);
                    assertEquals(t % 2 == 0, r.budgetAt(t).mask(), "step " + t);
                }
            }
        }
    }

    @Test
    void importance_isSmoothedAcrossSteps() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            try (AdaLoraAdapter adapter = new AdaLora(CONFIG).apply(vit.model)) {
                String a = "blocks.0.attn.qkv.lora_A.weight";
                NDArray w = vit.model.namedParameters().get(a).data();
                adapter.rankAllocator().updateAndAllocate(1, name -> parameterOf(vit, name).data().onesLike());
                adapter.rankAllocator().updateAndAllocate(2, name -> parameterOf(vit, name).data().onesLike());
                // ipt = |w|; s1 = .15 ipt, u1 = .15 |ipt - s1| = .1275 ipt; s2 = .85 s1 + .15 ipt = .2775 ipt;
                // u2 = .85 u1 + .15 |ipt - s2| = .21675 ipt
                Tensors.assertClose(w.abs().mul(0.2775f), adapter.rankAllocator().sensitivity(a), 1e-8, "s2");
                Tensors.assertClose(w.abs().mul(0.21675f), adapter.rankAllocator().uncertainty(a), 1e-8, "u2");
            }
        }
    }

    @Test
    void pruning_keepsExactlyTheBudget_andFixesThePatternAtTheEnd() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            EngineSetup.seed(11);
            FixtureVit vit = FixtureVit.load(manager);
            try (AdaLoraAdapter adapter = new AdaLora(CONFIG).apply(vit.model)) {
                pretendTrained(adapter, manager);
                assertEquals(24, nonZeroSingularValues(adapter));
                Map<String, List<Boolean>> patternAt17 = null;
                for (int step = 1; step <= 20; step++) {
                    RankAllocator.Budget b;
                    try (NDManager grads = manager.newSubManager()) {
                        b = adapter.rankAllocator().updateAndAllocate(step, name -> grads.randomNormal(0f, 1f,
                                parameterOf(vit, name).shape(), DataType.FLOAT32));
                    }
                    if (b.mask() || step == 17) {
                        int expected = step >= 17 ? 12 : b.budget();
                        assertEquals(expected, nonZeroSingularValues(adapter), "non-zero E after step " + step);
                        assertEquals(expected, adapter.rankAllocator().keptRanks(), "kept after step " + step);
                    }
                    if (step == 17) {
                        patternAt17 = adapter.rankPattern();
                    }
                }
                assertEquals(patternAt17, adapter.rankPattern());
                assertEquals(12, nonZeroSingularValues(adapter));
            }
        }
    }

    @Test
    void maskedModel_equalsItsMergedFormAndAModelWithThoseRanksRemoved() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            EngineSetup.seed(5);
            FixtureVit vit = FixtureVit.load(manager);
            try (AdaLoraAdapter adapter = new AdaLora(CONFIG).apply(vit.model)) {
                pretendTrained(adapter, manager);
                for (int step = 1; step <= 10; step++) {
                    try (NDManager grads = manager.newSubManager()) {
                        adapter.rankAllocator().updateAndAllocate(step, name -> grads.randomNormal(0f, 1f,
                                parameterOf(vit, name).shape(), DataType.FLOAT32));
                    }
                }
                assertEquals(13, adapter.rankAllocator().keptRanks());
                NDArray masked = vit.forward();
                assertTrue(Tensors.maxAbsDiff(masked, vit.expected("base/output")) > 1e-3, "the update is not zero");

                adapter.merge();
                Tensors.assertClose(masked, vit.forward(), 1e-5, "merged output");
                adapter.unmerge();
                Tensors.assertClose(masked, vit.forward(), 1e-6, "unmerged output");

                FixtureVit fresh = FixtureVit.load(manager);
                Map<String, List<Boolean>> pattern = adapter.rankPattern();
                AdaLoraAdapter pruned = new AdaLora(CONFIG.withRankPattern(pattern)).apply(fresh.model);
                Map<String, NDArray> tensors = adapter.prunedStateDict(manager);
                assertEquals(pruned.stateDict().keySet(), tensors.keySet());
                tensors.forEach((k, v) -> fresh.model.namedParameters().get(k).replace(v));
                Tensors.assertClose(masked, fresh.forward(), 1e-6, "output with the pruned triplets removed");

                long expected = 0;
                for (Map.Entry<String, List<Boolean>> e : pattern.entrySet()) {
                    long kept = e.getValue().stream().filter(x -> x).count();
                    // qkv: 64 in, 192 out; fc1: 64 in, 256 out; fc2: 256 in, 64 out; one singular value each
                    long inOut = e.getKey().endsWith("qkv") ? 64 + 192 : 64 + 256;
                    expected += kept * (inOut + 1);
                }
                assertEquals(expected, fresh.model.trainableParameterCount());
                assertEquals(4 * 2 * (256 + 1 + 320 + 1 + 320 + 1), vit.model.trainableParameterCount());
                pruned.close();
            }
        }
    }

    @Test
    void trainingWithRealGradients_lowersTheLossEveryStep_andEndsAtTheTargetBudget() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            EngineSetup.seed(3);
            FixtureVit vit = FixtureVit.load(manager);
            NDArray target = manager.create(new float[] {1, -1, 0.5f, 0, 2, -0.5f, 1, 0, -1, 0.25f},
                    new ai.djl.ndarray.types.Shape(2, 5));
            float previous = Float.MAX_VALUE;
            try (AdaLoraAdapter adapter = new AdaLora(CONFIG).apply(vit.model)) {
                vit.model.train(true);
                Map<String, Parameter> trainable = new java.util.LinkedHashMap<>();
                vit.model.namedParameters().forEach((k, v) -> {
                    if (v.isTrainable()) {
                        trainable.put(k, v);
                    }
                });
                for (int step = 1; step <= 20; step++) {
                    try (NDManager s = manager.newSubManager()) {
                        trainable.values().forEach(Parameter::attachGradient);
                        NDArray x = vit.input().duplicate();
                        x.attach(s);
                        float loss;
                        try (ai.djl.training.GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                            NDArray fit = vit.model.forward(x).sub(target).square().mean();
                            NDArray total = fit.add(adapter.orthogonalPenalty(s));
                            gc.backward(total);
                            loss = fit.getFloat();
                        }
                        assertTrue(loss < previous, "loss " + loss + " at step " + step + " after " + previous);
                        previous = loss;
                        // Plain SGD; the allocator scores the updated weights with this step's gradients, as HF does.
                        Map<String, NDArray> grads = new java.util.LinkedHashMap<>();
                        for (Map.Entry<String, Parameter> e : trainable.entrySet()) {
                            NDArray g = e.getValue().gradient().duplicate();
                            g.attach(s);
                            grads.put(e.getKey(), g);
                            // E starts at zero with gradients of the order of A and B (0.02), so it gets a larger rate.
                            float lr = e.getKey().endsWith("lora_E.weight") ? 2f : 0.05f;
                            e.getValue().replace(e.getValue().data().sub(g.mul(lr)));
                        }
                        adapter.updateAndAllocate(step, grads::get);
                    }
                }
                assertEquals(12, adapter.rankAllocator().keptRanks());
                assertEquals(12, nonZeroSingularValues(adapter));
            }
        }
    }

    @Test
    void prunedAdapter_roundTripsThroughHfLayout(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            EngineSetup.seed(5);
            FixtureVit vit = FixtureVit.load(manager);
            NDArray masked;
            Map<String, List<Boolean>> pattern;
            try (AdaLoraAdapter adapter = new AdaLora(CONFIG).apply(vit.model)) {
                pretendTrained(adapter, manager);
                for (int step = 1; step <= 17; step++) {
                    try (NDManager grads = manager.newSubManager()) {
                        adapter.rankAllocator().updateAndAllocate(step, name -> grads.randomNormal(0f, 1f,
                                parameterOf(vit, name).shape(), DataType.FLOAT32));
                    }
                }
                masked = vit.forward();
                pattern = adapter.rankPattern();
                ai.peft4j.peft.hf.HfAdaLoraDirectory.save(adapter, tmp);
            }
            Map<String, ai.djl.ndarray.types.Shape> shapes = ai.peft4j.core.state.SafetensorsFile.readShapes(
                    tmp.resolve("adapter_model.safetensors"));
            long kept = pattern.get("blocks.0.attn.qkv").stream().filter(x -> x).count();
            assertEquals(new ai.djl.ndarray.types.Shape(kept, 64), shapes.get("base_model.model.blocks.0.attn.qkv.lora_A"));
            assertEquals(new ai.djl.ndarray.types.Shape(192, kept),
                    shapes.get("base_model.model.blocks.0.attn.qkv.lora_B"));
            assertEquals(12L, shapes.entrySet().stream().filter(e -> e.getKey().endsWith("lora_E"))
                    .mapToLong(e -> e.getValue().get(0)).sum());
            com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(tmp.resolve("adapter_config.json").toFile());
            assertEquals("ADALORA", json.get("peft_type").asText());
            assertEquals(4, json.get("init_r").asInt());
            assertEquals(4, json.get("rank_pattern").get("blocks.1.mlp.fc2.lora_E").size());

            FixtureVit fresh = FixtureVit.load(manager);
            try (AdaLoraAdapter loaded = ai.peft4j.peft.hf.HfAdaLoraDirectory.load(tmp, fresh.model)) {
                assertEquals(CONFIG.withRankPattern(pattern), loaded.config());
                assertEquals(4f, loaded.layers().get("blocks.0.attn.qkv").ranknum());
                Tensors.assertClose(masked, fresh.forward(), 1e-6, "output of the reloaded pruned adapter");
            }
            // The one entry point tells an HF AdaLoRA directory by its peft_type.
            FixtureVit other = FixtureVit.load(manager);
            ai.peft4j.peft.Attachment viaLoad = ai.peft4j.peft.AdapterFiles.load(tmp, other.model, manager);
            assertEquals("adalora", viaLoad.method().name());
            Tensors.assertClose(masked, other.forward(), 1e-6, "output through AdapterFiles.load");
        }
    }

    @Test
    void orthogonalPenalty_isWeightedMeanFrobeniusDistanceFromOrthonormal() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            try (AdaLoraAdapter adapter = new AdaLora(CONFIG).apply(vit.model)) {
                for (AdaLoraLayer l : adapter.layers().values()) {
                    l.loraA().weight().replace(l.loraA().weight().data().zerosLike());
                    l.loraB().weight().replace(l.loraB().weight().data().zerosLike());
                }
                // every term is ||0 - I_4||_F = 2; weight 0.5
                assertEquals(1.0f, adapter.orthogonalPenalty(manager).getFloat(), 1e-6);
                for (AdaLoraLayer l : adapter.layers().values()) {
                    long in = l.loraA().weight().shape().get(1);
                    long out = l.loraB().weight().shape().get(0);
                    l.loraA().weight().replace(manager.eye(4, (int) in, 0, DataType.FLOAT32));
                    l.loraB().weight().replace(manager.eye((int) out, 4, 0, DataType.FLOAT32));
                }
                assertEquals(0f, adapter.orthogonalPenalty(manager).getFloat(), 1e-7);
            }
        }
    }

    @Test
    void newAdapter_startsAsBaseModel_withExactTrainableCount() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            FixtureVit vit = FixtureVit.load(manager);
            NDArray base = vit.forward();
            try (AdaLoraAdapter adapter = new AdaLora(CONFIG).apply(vit.model)) {
                Tensors.assertClose(base, vit.forward(), 0, "output with E = 0");
                // per block: qkv 4*64 + 4 + 192*4, fc1 4*64 + 4 + 256*4, fc2 4*256 + 4 + 64*4
                assertEquals(2 * (1028 + 1284 + 1284), vit.model.trainableParameterCount());
                assertEquals(4f, adapter.layers().get("blocks.1.mlp.fc2").ranknum());
                assertEquals(List.of("blocks.0.attn.qkv.lora_A.weight", "blocks.0.attn.qkv.lora_E.weight",
                        "blocks.0.attn.qkv.lora_B.weight"), vit.model.trainableParameterNames().subList(0, 3));
            }
        }
    }

    @Test
    void mistakes_areExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AdaLoraConfig.of(4, 8, 3000, "qkv"));
        assertTrue(e.getMessage().contains("target_r 8 must be between 0 and init_r 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AdaLoraConfig.of(4, 2, 0, "qkv"));
        assertTrue(e.getMessage().contains("total_step > 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AdaLoraConfig.of(4, 2, 100, "qkv").withSchedule(60, 40, 1));
        assertTrue(e.getMessage().contains("leave no steps of 100 for pruning"), e.getMessage());
        assertEquals(59, AdaLoraConfig.of(4, 2, 100, "qkv").withSchedule(59, 40, 1).tinit());
    }

    private static Parameter parameterOf(FixtureVit vit, String name) {
        return vit.model.namedParameters().get(name);
    }

    // Singular values as after some training: all non-zero.
    private static void pretendTrained(AdaLoraAdapter adapter, NDManager manager) {
        for (AdaLoraLayer l : adapter.layers().values()) {
            Parameter e = l.loraE().weight();
            try (NDArray v = manager.randomUniform(0.5f, 1.5f, e.shape())) {
                e.replace(v);
            }
        }
    }

    private static int nonZeroSingularValues(AdaLoraAdapter adapter) {
        int n = 0;
        for (AdaLoraLayer l : adapter.layers().values()) {
            for (float v : l.loraE().weight().data().toFloatArray()) {
                n += v != 0f ? 1 : 0;
            }
        }
        return n;
    }
}
