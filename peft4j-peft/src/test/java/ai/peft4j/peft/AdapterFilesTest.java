package ai.peft4j.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.models.swin.SwinConfig;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.bitfit.BitFit;
import ai.peft4j.peft.qvlora.QueryValueLora;
import ai.peft4j.peft.tplora.TextPrompt;
import ai.peft4j.peft.tplora.TpLora;
import ai.peft4j.peft.tplora.TpLoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterFilesTest {
    @TempDir
    Path tmp;

    private NDManager m;
    private NDArray x;

    @BeforeEach
    void setUp() {
        m = EngineSetup.newManager();
        x = ClosedFormWeights.sinusoid(m, new Shape(1, 3, 64, 64), 0.0123);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    /** A small base model with the fixtures' closed-form weights. */
    private SwinAttUNet base() {
        SwinAttUNet net = new SwinAttUNet(m, SwinAttUNetConfig.fixture(6));
        net.eval();
        ClosedFormWeights.fill(net);
        return net;
    }

    private static TextPrompt prompt() {
        float[] v = new float[12 * 768];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(0.0071 * i);
        }
        return new TextPrompt(v, 12, 768);
    }

    @Test
    void lora_savedAndLoaded_reproducesOutputExactlyAndHoldsOnlyAdapterTensors() throws Exception {
        SwinAttUNet a = base();
        Attachment att = QueryValueLora.published().attach(a);
        // Refilling gives the adapter non-zero weights; base weights get their same closed-form values again.
        ClosedFormWeights.fill(a);
        NDArray expected = a.forward(x);
        Path dir = tmp.resolve("lora");
        AdapterFiles.save(att, dir);

        Set<String> stored = SafetensorsFile.readShapes(dir.resolve(AdapterFiles.WEIGHTS)).keySet();
        assertEquals(Set.copyOf(a.trainableParameterNames()), stored);
        long bytes = Files.size(dir.resolve(AdapterFiles.WEIGHTS));
        assertTrue(bytes < 4 * a.trainableParameterCount() + 20_000, "adapter file is " + bytes + " bytes");

        SwinAttUNet b = base();
        Attachment loaded = AdapterFiles.load(dir, b, m);
        assertEquals(0.0, Tensors.maxAbsDiff(expected, b.forward(x)), 0.0);
        assertEquals(a.trainableParameterCount(), b.trainableParameterCount());
        assertTrue(loaded.isActive());
    }

    @Test
    void tplora_withOwnHead_roundTripsPromptSettingsAndClasses() throws Exception {
        SwinAttUNet a = base();
        TpLora method = TpLora.published(TpLoraConfig.readme(), prompt());
        method.withClasses(3);
        Attachment att = method.attach(a);
        ClosedFormWeights.fill(a);
        NDArray expected = a.forward(x);
        assertEquals(new Shape(1, 3, 64, 64), expected.getShape());
        AdapterFiles.save(att, tmp.resolve("tp"));

        SwinAttUNet b = base();
        AdapterFiles.load(tmp.resolve("tp"), b, m);
        assertEquals(0.0, Tensors.maxAbsDiff(expected, b.forward(x)), 0.0);
    }

    @Test
    void load_ontoAnotherBase_failsNamingTheDirectoryAndTheDifference() throws Exception {
        SwinAttUNet a = base();
        AdapterFiles.save(QueryValueLora.published().attach(a), tmp.resolve("lora"));
        SwinAttUNet other = new SwinAttUNet(m, new SwinAttUNetConfig(
                SwinConfig.of(32, new int[] {2, 2, 4, 2}, new int[] {1, 2, 4, 8}), 6, 16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AdapterFiles.load(tmp.resolve("lora"), other, m));
        assertTrue(e.getMessage().contains(tmp.resolve("lora").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("made for a base model with 3529400 parameters"), e.getMessage());
        assertTrue(other.namedModules().keySet().stream().noneMatch(k -> k.contains("lora")),
                "nothing stays attached after a failed load");
    }

    @Test
    void adapterSet_switchesWithoutReloadingAndRestoresTheBase() {
        SwinAttUNet net = base();
        NDArray baseOut = net.forward(x);
        NDArray baseBias = net.namedParameters().get("conv1.conv.0.bias").data().duplicate();
        AdapterSet set = new AdapterSet(net);

        set.add("lemon", QueryValueLora.published().withClasses(3));
        ClosedFormWeights.fill(net);
        NDArray lemon = net.forward(x);
        set.add("grapefruit", BitFit.published().withClasses(4));
        ClosedFormWeights.fill(net);
        // BitFit trains base biases: give this adapter its own values.
        net.namedParameters().get("conv1.conv.0.bias").data().addi(0.5f);
        NDArray grapefruit = net.forward(x);
        assertEquals(new Shape(1, 3, 64, 64), lemon.getShape());
        assertEquals(new Shape(1, 4, 64, 64), grapefruit.getShape());

        set.activate("lemon");
        assertEquals(0.0, Tensors.maxAbsDiff(lemon, net.forward(x)), 0.0);
        assertEquals(0.0, Tensors.maxAbsDiff(baseBias, net.namedParameters().get("conv1.conv.0.bias").data()), 0.0);
        set.activate("grapefruit");
        assertEquals(0.0, Tensors.maxAbsDiff(grapefruit, net.forward(x)), 0.0);
        set.get("grapefruit").setEnabled(false);
        set.get("grapefruit").setEnabled(true);
        set.deactivateAll();
        assertNull(set.active());
        assertEquals(0.0, Tensors.maxAbsDiff(baseOut, net.forward(x)), 0.0);
        assertEquals(3_529_400L, net.parameterCount());
    }

    @Test
    void adapterSet_removedAdapter_isGoneAndTheOthersStillSwitch() {
        SwinAttUNet net = base();
        NDArray baseOut = net.forward(x);
        AdapterSet set = new AdapterSet(net);
        set.add("lemon", QueryValueLora.published().withClasses(3));
        ClosedFormWeights.fill(net);
        NDArray lemon = net.forward(x);
        set.add("grapefruit", BitFit.published().withClasses(4));
        ClosedFormWeights.fill(net);
        net.namedParameters().get("conv1.conv.0.bias").data().addi(0.5f);

        set.remove("grapefruit");
        assertNull(set.active());
        assertEquals(java.util.Set.of("lemon"), set.names());
        assertEquals(0.0, Tensors.maxAbsDiff(baseOut, net.forward(x)), 0.0);
        set.activate("lemon");
        assertEquals(0.0, Tensors.maxAbsDiff(lemon, net.forward(x)), 0.0);
        set.remove("lemon");
        assertEquals(0.0, Tensors.maxAbsDiff(baseOut, net.forward(x)), 0.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> set.remove("lemon"));
        assertEquals("no adapter named 'lemon' (have: [])", e.getMessage());
        // The name is free again.
        set.add("lemon", QueryValueLora.published().withClasses(3));
        assertEquals("lemon", set.active());
    }

    @Test
    void disabledAdapter_givesTheBaseOutputWithItsOwnHead() {
        SwinAttUNet net = base();
        NDArray baseOut = net.forward(x);
        Attachment a = QueryValueLora.published().attach(net);
        ClosedFormWeights.fill(net);
        assertTrue(Tensors.maxAbsDiff(baseOut, net.forward(x)) > 1e-3);
        a.setEnabled(false);
        // The head is a copy of the base head with the same closed-form values, so hooks off = base model.
        assertEquals(0.0, Tensors.maxAbsDiff(baseOut, net.forward(x)), 1e-7);
    }

    @Test
    void badSettings_giveClearErrors() {
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                () -> new QueryValueLora(ai.peft4j.peft.segmenter.SegmenterLayout.swinAttUNet(), 0));
        assertTrue(rank.getMessage().contains("rank must be at least 1, got 0"), rank.getMessage());
        IllegalArgumentException tp = assertThrows(IllegalArgumentException.class,
                () -> new TpLoraConfig(0.1f, 8, TpLoraConfig.Act.RELU, TpLoraConfig.In.ATT, TpLoraConfig.Out.ALL));
        assertTrue(tp.getMessage().contains("0 hidden units"), tp.getMessage());
        IllegalArgumentException where = assertThrows(IllegalArgumentException.class,
                () -> QueryValueLora.published().attach(new ai.peft4j.models.swin.SwinTransformer(m,
                        SwinConfig.fixture())));
        assertTrue(where.getMessage().contains("has no module 'Att1'"), where.getMessage());
    }

    @Test
    void textPrompt_ofWrongWidth_namesFileAndWidths() throws Exception {
        Path f = tmp.resolve("prompt.safetensors");
        SafetensorsFile.write(f, Map.of("text_vector", m.zeros(new Shape(1, 20, 512))), Map.of());
        java.io.IOException e = assertThrows(java.io.IOException.class,
                () -> TextPrompt.read(f, TextPrompt.BERT_BASE_WIDTH, "LARGE", "Orange-Navel", m));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("512 wide")
                && e.getMessage().contains("768"), e.getMessage());
        TextPrompt ok = TextPrompt.read(writePrompt(768), TextPrompt.BERT_BASE_WIDTH, "LARGE", "x", m);
        assertEquals(20, ok.seq());
    }

    private Path writePrompt(int width) throws Exception {
        Path f = tmp.resolve("ok.safetensors");
        SafetensorsFile.write(f, Map.of("prompt", m.ones(new Shape(20, width))), Map.of());
        return f;
    }
}
