package ai.peft4j.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.models.vit.VisionTransformer;
import ai.peft4j.models.vit.VitConfig;
import ai.peft4j.peft.adalora.AdaLoraConfig;
import ai.peft4j.peft.adaptformer.AdaptFormerConfig;
import ai.peft4j.peft.bitfit.BitFitConfig;
import ai.peft4j.peft.convpass.ConvpassConfig;
import ai.peft4j.peft.expansion.BlockExpansionConfig;
import ai.peft4j.peft.full.ClassifyConfig;
import ai.peft4j.peft.full.FullConfig;
import ai.peft4j.peft.houlsby.HoulsbyConfig;
import ai.peft4j.peft.lora.Lora;
import ai.peft4j.peft.lora.LoraConfig;
import ai.peft4j.peft.lora.LoraInit;
import ai.peft4j.peft.qvlora.QueryValueLoraConfig;
import ai.peft4j.peft.segmenter.SegmenterMethod;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.peft.tplora.TpLoraConfig;
import ai.peft4j.peft.vpt.VptConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import ai.peft4j.peft.expansion.AddedBlocksConfig;
import ai.peft4j.peft.transfer.FusedQkvLoraConfig;
import ai.peft4j.peft.transfer.TopBlocksConfig;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every registered method, with settings other than its defaults, saved and loaded into a fresh base: same outputs
 * bit for bit, same config record; the base's identity, BatchNorm statistics and the attach template's roll-back.
 */
class AdapterRoundTripTest {
    @TempDir
    Path tmp;

    private NDManager m;
    private NDArray x;
    private Map<String, NDArray> unetState;
    private Map<String, NDArray> vitState;

    /** A method under test: its settings and the model it runs on. */
    private record Case(String name, Record config, boolean vit, int classes) {}

    private static List<Case> cases() {
        return List.of(
                new Case("full", new FullConfig(), false, 0),
                new Case("classify", new ClassifyConfig(), false, 3),
                new Case("bitfit", new BitFitConfig(), false, 0),
                new Case("vpt", new VptConfig(5, 0.2f, 64), false, 0),
                new Case("adapter", new HoulsbyConfig(0.5f), false, 0),
                new Case("adaptformer", new AdaptFormerConfig(16, 0.2f), false, 4),
                new Case("lora", new QueryValueLoraConfig(16), false, 0),
                new Case("convpass", new ConvpassConfig(4, 0.5f), false, 0),
                new Case("tplora", new TpLoraConfig(0.5f, 4, TpLoraConfig.Act.GELU, TpLoraConfig.In.MLP,
                        TpLoraConfig.Out.ALL), false, 0),
                new Case(Lora.NAME, LoraConfig.of(16, 32, "proj", "fc1").withRslora(true).withDora(true)
                        .withRankPattern(Map.of("fc1", 4)).withModulesToSave("final_conv")
                        .withInit(LoraInit.GAUSSIAN), false, 0),
                new Case("adalora", AdaLoraConfig.of(6, 4, 100, "qkv").withAlpha(16), false, 0),
                new Case("block-expansion", new BlockExpansionConfig("blocks", 2, List.of("attn.proj.*",
                        "mlp.fc2.*"), List.of("head.*")), true, 0),
                new Case("full", new FullConfig(), true, 0),
                new Case("classify", new ClassifyConfig(), true, 0),
                new Case("vit-lora", new FusedQkvLoraConfig(4, 16, 0.1), true, 0),
                new Case("vit-top-k", new TopBlocksConfig(2), true, 0),
                new Case("vit-block", new AddedBlocksConfig(2), true, 0),
                new Case("all-weights", new ai.peft4j.peft.full.AllWeightsConfig(), true, 0));
    }

    @BeforeEach
    void setUp() {
        m = EngineSetup.newManager();
        x = ClosedFormWeights.sinusoid(m, new Shape(1, 3, 64, 64), 0.0123);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    /** A small base model with the fixtures' closed-form weights (filled once per kind, then copied). */
    private Module base(boolean vit) {
        Module net = vit ? new VisionTransformer(m, VitConfig.fixture(5).withDepth(4))
                : new SwinAttUNet(m, SwinAttUNetConfig.fixture(6));
        net.eval();
        Map<String, NDArray> state = vit ? vitState : unetState;
        if (state == null) {
            ClosedFormWeights.fill(net);
            state = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : net.stateDict().entrySet()) {
                state.put(e.getKey(), e.getValue().duplicate());
            }
            if (vit) {
                vitState = state;
            } else {
                unetState = state;
            }
        } else {
            net.loadStateDict(state, true);
        }
        return net;
    }

    private static NDArray forward(Module net, NDArray x) {
        return net instanceof VisionTransformer v ? v.forward(x) : ((SwinAttUNet) net).forward(x);
    }

    private MethodInputs inputs(Module net) {
        MethodInputs in = MethodInputs.prompt(prompt());
        return net instanceof VisionTransformer v ? in.withFreshBlock(b -> v.newBlock()) : in;
    }

    private static TextPrompt prompt() {
        float[] v = new float[12 * 768];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(0.0071 * i);
        }
        return new TextPrompt(v, 12, 768);
    }

    private PeftMethod method(Case c, Module net) {
        PeftMethod method = MethodRegistry.create(c.name(), c.config(), inputs(net));
        if (method instanceof SegmenterMethod sm) {
            sm.withClasses(c.classes());
        }
        return method;
    }

    /** Gives the adapter values of its own: every trained tensor moved by a sinusoid, frozen ones untouched. */
    private void train(Module net) {
        for (Parameter p : net.namedParameters().values()) {
            if (p.isTrainable()) {
                p.data().addi(ClosedFormWeights.sinusoid(m, p.shape(), 0.37).mul(0.01f));
            }
        }
    }

    @Test
    void everyRegisteredMethod_hasACase() {
        // The SAM methods run on a SAM base: SamAdapterFilesTest round-trips them.
        List<String> covered = new java.util.ArrayList<>(cases().stream().map(Case::name).toList());
        covered.addAll(ai.peft4j.peft.sam.SamAdapterFilesTest.METHODS);
        assertEquals(new java.util.TreeSet<>(MethodRegistry.names()), new java.util.TreeSet<>(covered));
    }

    @Test
    void everyMethod_savedAndLoadedIntoAFreshBase_givesTheSameOutputBitForBit() throws Exception {
        for (Case c : cases()) {
            Module a = base(c.vit());
            Attachment att = method(c, a).attach(a);
            train(a);
            NDArray expected = forward(a, x);
            Path dir = tmp.resolve(c.name() + (c.vit() ? "-on-vit" : ""));
            AdapterFiles.save(att, dir);

            Module b = base(c.vit());
            Attachment loaded = AdapterFiles.load(dir, b, m, new AdapterFiles.LoadOptions(false, inputs(b)));
            assertEquals(c.name(), loaded.method().name(), c.name());
            assertEquals(c.config(), loaded.method().config(), c.name());
            assertEquals(0.0, Tensors.maxAbsDiff(expected, forward(b, x)), 0.0, c.name() + " output");
            assertEquals(a.trainableParameterNames(), b.trainableParameterNames(), c.name());
            if (loaded.method() instanceof SegmenterMethod sm) {
                assertEquals(c.classes(), sm.classes(), c.name());
            }
        }
    }

    @Test
    void adaptersWrittenUnderTheOldVitNames_loadAsFullAndClassify_withTheSameOutput() throws Exception {
        Map<String, String> old = Map.of("vit-full", "full", "vit-linear", "classify");
        assertEquals(old, MethodRegistry.ALIASES);
        for (Map.Entry<String, String> e : old.entrySet()) {
            assertFalse(MethodRegistry.names().contains(e.getKey()), e.getKey() + " is no registration of its own");
            assertEquals(e.getValue(), MethodRegistry.methodOf(e.getKey()));
            Module a = base(true);
            Attachment att = MethodRegistry.create(e.getValue(), MethodInputs.none()).attach(a);
            train(a);
            NDArray expected = forward(a, x);
            Path dir = tmp.resolve(e.getKey());
            AdapterFiles.save(att, dir);
            // What the old modes wrote: their name, no settings, the base's statistics kept (a ViT has none).
            Path file = dir.resolve(AdapterFiles.CONFIG);
            com.fasterxml.jackson.databind.node.ObjectNode json =
                    (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(file.toFile());
            json.put("method", e.getKey()).put("bn_stats", "frozen");
            Files.writeString(file, json.toPrettyString());

            Module b = base(true);
            Attachment loaded = AdapterFiles.load(dir, b, m);
            assertEquals(e.getValue(), loaded.method().name());
            assertEquals(a.trainableParameterNames(), b.trainableParameterNames(), e.getKey());
            assertEquals(0.0, Tensors.maxAbsDiff(expected, forward(b, x)), 0.0, e.getKey() + " output");
        }
        assertEquals(List.of("head.weight", "head.bias"), MethodRegistry.create("vit-linear", MethodInputs.none())
                .attach(base(true)).model().trainableParameterNames());
    }

    @Test
    void everyConfig_roundTripsThroughJsonIntoTheSameRecord() throws Exception {
        for (Case c : cases()) {
            JsonNode json = MethodRegistry.toJson(c.config());
            assertEquals(c.config(), MethodRegistry.fromJson(c.name(), json), c.name() + ": " + json);
            assertEquals(MethodRegistry.entry(c.name()).configClass(), c.config().getClass(), c.name());
        }
        JsonNode lora = MethodRegistry.toJson(cases().get(9).config());
        assertEquals("[\"proj\",\"fc1\"]", lora.get("target_modules").toString());
        assertEquals(32.0, lora.get("lora_alpha").asDouble());
        assertTrue(lora.get("use_dora").asBoolean());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MethodRegistry.fromJson(
                "lora", new ObjectMapper().readTree("{\"rank\": 4, \"alpha\": 2}")));
        assertEquals("settings of lora: unknown field 'alpha'", e.getMessage());
    }

    @Test
    void adapterConfigFile_recordsTheMethodItsWholeConfigAndTheBase() throws Exception {
        Module a = base(false);
        PeftMethod method = MethodRegistry.create("lora", new QueryValueLoraConfig(16), MethodInputs.none());
        Attachment att = method.attach(a);
        AdapterFiles.save(att, tmp.resolve("lora"));
        JsonNode json = new ObjectMapper().readTree(tmp.resolve("lora").resolve(AdapterFiles.CONFIG).toFile());
        assertEquals("lora", json.get("method").asText());
        assertEquals("{\"rank\":16}", json.get("config").toString());
        assertEquals("frozen", json.get("bn_stats").asText());
        assertEquals(2, json.get("version").asInt());
        att.deactivate();
        assertEquals(BaseFingerprint.of(a), json.get("base_fingerprint").asText());
    }

    @Test
    void loadOntoABaseWithOtherWeights_isRefusedNamingBothFingerprints_andWorksWhenForced() throws Exception {
        Module a = base(false);
        Attachment att = MethodRegistry.create("bitfit", MethodInputs.none()).attach(a);
        train(a);
        NDArray expected = forward(a, x);
        Path dir = tmp.resolve("bitfit");
        AdapterFiles.save(att, dir);
        String trainedOn = BaseFingerprint.shorten(new ObjectMapper().readTree(dir.resolve(AdapterFiles.CONFIG)
                .toFile()).get("base_fingerprint").asText());

        Module other = base(false);
        other.namedParameters().get("swin_backbone.patch_embed.proj.weight").data().muli(1.01f);
        String otherPrint = BaseFingerprint.of(other);
        Map<String, Module> modules = new LinkedHashMap<>(other.namedModules());
        Map<String, Boolean> trainable = trainableFlags(other);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AdapterFiles.load(dir, other, m));
        assertEquals(dir + ": adapter trained on another base model (base " + trainedOn + " in adapter_config.json, "
                + "this model " + BaseFingerprint.shorten(otherPrint) + "); load it onto the checkpoint it was "
                + "trained on, or force it (--force-base) knowing its outputs will not be those it was validated "
                + "with", e.getMessage());
        assertEquals(modules, other.namedModules());
        assertEquals(trainable, trainableFlags(other));
        assertEquals(otherPrint, BaseFingerprint.of(other), "the refused load left the base as it was");

        Attachment forced = AdapterFiles.load(dir, other, m, AdapterFiles.LoadOptions.forced(true));
        assertTrue(forced.isActive());
        assertTrue(Tensors.maxAbsDiff(expected, forward(other, x)) > 0, "the other base gives other outputs");
        forced.deactivate();
        assertEquals(otherPrint, BaseFingerprint.of(other));

        Module same = base(false);
        AdapterFiles.load(dir, same, m);
        assertEquals(0.0, Tensors.maxAbsDiff(expected, forward(same, x)), 0.0);
    }

    @Test
    void methodsThatTrainBaseParameters_fingerprintTheBaseWithoutTheirChanges() {
        Module net = base(false);
        String before = BaseFingerprint.of(net);
        for (String name : List.of("full", "bitfit", "vpt")) {
            Attachment a = MethodRegistry.create(name, MethodInputs.none()).attach(net);
            train(net);
            assertNotEquals(before, BaseFingerprint.of(net), name + " changed live base values");
            assertEquals(before, a.baseFingerprint(), name);
            a.deactivate();
            assertEquals(before, BaseFingerprint.of(net), name + " restored the base");
        }
    }

    @Test
    void failingAttach_leavesParametersModulesHooksAndFlagsAsBefore() {
        SwinAttUNet net = (SwinAttUNet) base(false);
        new Lora(LoraConfig.of(4, 4, "fc2")).attach(net);
        Snapshot before = new Snapshot(net, x);
        // qkv of every block attaches before fc2 of the first block, which the first adapter holds.
        Lora overlapping = new Lora(LoraConfig.of(4, 4, "qkv", "fc2"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> overlapping.attach(net));
        assertTrue(e.getMessage().endsWith("mlp.fc2.lora_A' already exists: detach the adapter that added it first"),
                e.getMessage());
        before.assertUnchanged(new Snapshot(net, x));
    }

    @Test
    void failureInsideAMethodsAddStep_isRolledBackByTheTemplate() {
        SwinAttUNet net = (SwinAttUNet) base(false);
        Snapshot before = new Snapshot(net, x);
        PeftMethod broken = new PeftMethod() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public Record config() {
                return new FullConfig();
            }

            @Override
            protected List<String> findTargets(Module model) {
                return List.of("final_conv", "Att1", "no_such_module");
            }

            @Override
            protected void addTo(Attachment a, List<String> targets) {
                a.addModule("", "extra", new Linear(m, 2, 2, true));
                a.addParameter("Att1", "prompt", m.ones(new Shape(2)));
                a.addHook("Att1", (mod, in, out) -> out);
                a.addPreHook("conv1", (mod, in) -> in);
                a.swapModule("final_conv", new ai.peft4j.core.nn.Conv2d(m, 16, 6, 1, 1, 0, 1, true));
                a.trainBase(n -> n.contains("bias"));
                a.addHook(targets.get(2), (mod, in, out) -> out);
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> broken.attach(net));
        assertTrue(e.getMessage().contains("no_such_module"), e.getMessage());
        before.assertUnchanged(new Snapshot(net, x));
    }

    @Test
    void bnStatsFrozen_keepsTheBaseStatisticsWhileTheAdapterTrains() {
        SwinAttUNet net = (SwinAttUNet) base(false);
        Map<String, NDArray> stats = bnStats(net);
        assertFalse(stats.isEmpty());
        Attachment a = MethodRegistry.create("lora", MethodInputs.none()).attach(net);
        net.train(true);
        net.forward(x);
        net.forward(x.mul(2));
        assertTrue(net.module("swin_backbone").isTraining(), "the rest of the model trains");
        assertFalse(net.module(firstBn(net)).isTraining(), "base BatchNorm stays in eval mode");
        for (Map.Entry<String, NDArray> e : stats.entrySet()) {
            Tensors.assertClose(e.getValue(), net.namedBuffers().get(e.getKey()).data(), 0, e.getKey());
        }
        assertTrue(a.stateDict().keySet().stream().noneMatch(k -> k.contains("running_")));
        a.deactivate();
        net.train(true);
        assertTrue(net.module(firstBn(net)).isTraining(), "released with the adapter");
    }

    @Test
    void bnStatsUpdate_savesTheMovedStatisticsWithTheAdapterAndRestoresTheBaseOnes() throws Exception {
        SwinAttUNet net = (SwinAttUNet) base(false);
        Map<String, NDArray> baseStats = bnStats(net);
        Attachment a = loraUpdatingStatistics(net);
        net.eval();
        Map<String, NDArray> moved = bnStats(net);
        String bn = firstBn(net) + ".running_mean";
        assertTrue(Tensors.maxAbsDiff(baseStats.get(bn), moved.get(bn)) > 1e-4, "statistics moved in training");
        NDArray expected = net.forward(x);
        Attachment loaded = assertStatisticsTravel(a, "update", moved, expected, baseStats);
        assertEquals(BnStats.UPDATE, loaded.method().bnStats());
    }

    @Test
    void bnStatsUpdate_recalibratedStatisticsAreTheBatchAveragesAndTravelWithTheAdapter() throws Exception {
        SwinAttUNet net = (SwinAttUNet) base(false);
        Map<String, NDArray> baseStats = bnStats(net);
        Attachment a = loraUpdatingStatistics(net);
        String bn = firstBn(net);
        BatchNorm2d layer = (BatchNorm2d) net.module(bn);
        // The first BatchNorm's inputs while the batches are fed: its statistics must become their averages.
        List<NDArray> inputs = new ArrayList<>();
        layer.addForwardPreHook((mod, in) -> {
            inputs.add(in.duplicate());
            return in;
        });
        List<NDArray> batches = List.of(ClosedFormWeights.sinusoid(m, new Shape(2, 3, 64, 64), 0.031),
                ClosedFormWeights.sinusoid(m, new Shape(2, 3, 64, 64), 0.17).mul(2).sub(0.5f));
        int[] next = {0};
        int fed = ai.peft4j.core.nn.BatchNormRecalibration.recalibrate(net, 5, () -> {
            if (next[0] == batches.size()) {
                return false;
            }
            net.forward(batches.get(next[0]++));
            return true;
        });
        assertEquals(2, fed);
        assertEquals(2, inputs.size(), "the hook saw both batches");
        NDArray meanOfMeans = channelMean(inputs.get(0)).add(channelMean(inputs.get(1))).div(2);
        NDArray meanOfVars = unbiasedVariance(inputs.get(0)).add(unbiasedVariance(inputs.get(1))).div(2);
        assertTrue(Tensors.maxAbsDiff(meanOfMeans, layer.buffer("running_mean").data()) < 1e-5);
        assertTrue(Tensors.maxAbsDiff(meanOfVars, layer.buffer("running_var").data()) < 1e-4);
        assertTrue(Tensors.maxAbsDiff(baseStats.get(bn + ".running_mean"), layer.buffer("running_mean").data())
                > 1e-3, "the statistics are not the base's");
        net.eval();
        Map<String, NDArray> recalibrated = bnStats(net);
        NDArray expected = net.forward(x);
        assertStatisticsTravel(a, "recalibrated", recalibrated, expected, baseStats);

        // Frozen statistics: every base BatchNorm is held in eval mode, so there is nothing to recalibrate.
        SwinAttUNet frozen = (SwinAttUNet) base(false);
        MethodRegistry.create("lora", MethodInputs.none()).withBnStats(BnStats.FROZEN).attach(frozen);
        assertThrows(IllegalArgumentException.class, () -> ai.peft4j.core.nn.BatchNormRecalibration.recalibrate(
                frozen, 2, () -> true));
    }

    /** LoRA that takes over the base's BatchNorm statistics, trained a little, then one training-mode forward. */
    private Attachment loraUpdatingStatistics(SwinAttUNet net) {
        Attachment a = MethodRegistry.create("lora", MethodInputs.none()).withBnStats(BnStats.UPDATE).attach(net);
        train(net);
        net.train(true);
        net.forward(x);
        return a;
    }

    /**
     * Saves {@code a} to {@code dir} and loads it onto a fresh base: exactly {@code stats} and the output
     * {@code expected} come back, and switching the loaded adapter off restores {@code baseStats}. Returns the
     * loaded adapter, switched off.
     */
    private Attachment assertStatisticsTravel(Attachment a, String dir, Map<String, NDArray> stats, NDArray expected,
            Map<String, NDArray> baseStats) throws Exception {
        AdapterFiles.save(a, tmp.resolve(dir));
        SwinAttUNet fresh = (SwinAttUNet) base(false);
        Attachment loaded = AdapterFiles.load(tmp.resolve(dir), fresh, m);
        for (Map.Entry<String, NDArray> e : stats.entrySet()) {
            Tensors.assertClose(e.getValue(), fresh.namedBuffers().get(e.getKey()).data(), 0, e.getKey());
        }
        assertEquals(0.0, Tensors.maxAbsDiff(expected, fresh.forward(x)), 0.0);
        loaded.deactivate();
        for (Map.Entry<String, NDArray> e : baseStats.entrySet()) {
            Tensors.assertClose(e.getValue(), fresh.namedBuffers().get(e.getKey()).data(), 0, e.getKey());
        }
        return loaded;
    }

    /** Per-channel variance of an NCHW tensor with Bessel's correction, as BatchNorm's running variance takes it. */
    private static NDArray unbiasedVariance(NDArray t) {
        NDArray rows = channelRows(t);
        NDArray centred = rows.sub(rows.mean(new int[] {1}, true));
        return centred.mul(centred).sum(new int[] {1}).div(rows.getShape().get(1) - 1);
    }

    private static NDArray channelMean(NDArray t) {
        return channelRows(t).mean(new int[] {1});
    }

    /** An NCHW tensor as one row per channel. */
    private static NDArray channelRows(NDArray t) {
        return t.transpose(1, 0, 2, 3).reshape(t.getShape().get(1), -1);
    }

    private static String firstBn(Module net) {
        return net.namedModules().entrySet().stream().filter(e -> e.getValue() instanceof BatchNorm2d)
                .map(Map.Entry::getKey).findFirst().orElseThrow();
    }

    private static Map<String, NDArray> bnStats(Module net) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        net.namedBuffers().forEach((k, b) -> {
            if (k.endsWith("running_mean") || k.endsWith("running_var")) {
                out.put(k, b.data().duplicate());
            }
        });
        return out;
    }

    private static Map<String, Boolean> trainableFlags(Module net) {
        Map<String, Boolean> out = new LinkedHashMap<>();
        net.namedParameters().forEach((k, p) -> out.put(k, p.isTrainable()));
        return out;
    }

    /** Everything an attach may touch: parameters (objects and values), modules, hooks, flags and the output. */
    private static final class Snapshot {
        final Map<String, Parameter> params;
        final Map<String, NDArray> values = new LinkedHashMap<>();
        final Map<String, Module> modules;
        final List<String> hooked = new ArrayList<>();
        final Map<String, Boolean> trainable;
        final NDArray output;

        Snapshot(SwinAttUNet net, NDArray x) {
            params = net.namedParameters();
            params.forEach((k, p) -> values.put(k, p.data().duplicate()));
            modules = net.namedModules();
            modules.forEach((k, mod) -> {
                if (mod.hasForwardHooks() || mod.hasForwardPreHooks()) {
                    hooked.add(k + (mod.hasForwardHooks() ? " hooks" : "") + (mod.hasForwardPreHooks() ? " pre" : ""));
                }
            });
            trainable = trainableFlags(net);
            output = net.forward(x);
        }

        void assertUnchanged(Snapshot after) {
            assertEquals(params.keySet(), after.params.keySet());
            params.forEach((k, p) -> assertSame(p, after.params.get(k), k));
            values.forEach((k, v) -> Tensors.assertClose(v, after.values.get(k), 0, k));
            assertEquals(modules.keySet(), after.modules.keySet());
            modules.forEach((k, mod) -> assertSame(mod, after.modules.get(k), k));
            assertEquals(hooked, after.hooked);
            assertEquals(trainable, after.trainable);
            assertEquals(0.0, Tensors.maxAbsDiff(output, after.output), 0.0);
        }
    }

    @Test
    void emptyDirectoryOrUnknownFormat_namesTheFile() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("odd"));
        Files.writeString(dir.resolve(AdapterFiles.CONFIG), "{\"peft_type\": \"PREFIX_TUNING\"}");
        Files.write(dir.resolve(AdapterFiles.WEIGHTS), new byte[0]);
        java.io.IOException e = assertThrows(java.io.IOException.class,
                () -> AdapterFiles.load(dir, base(false), m));
        assertEquals(dir.resolve(AdapterFiles.CONFIG) + ": neither a peft4j adapter nor an HF PEFT LORA or ADALORA "
                + "adapter (format '', peft_type 'PREFIX_TUNING')", e.getMessage());
    }
}
