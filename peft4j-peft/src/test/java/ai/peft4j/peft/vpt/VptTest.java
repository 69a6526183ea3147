package ai.peft4j.peft.vpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.PrefixTokenHost;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.segmenter.SegmenterLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * VPT as {@code nets/VPT/vpt.py} of TP-LoRA builds it. The published small model does not build (its fixture has
 * counts only), so the full-size model is checked by name and shape against the published tensors, and the small
 * model (prompt maps made for 64x64) by what the method must do: train the right tensors, use every prompt the
 * decoder's output depends on, reject other input sizes and leave the base model as it was when detached.
 */
class VptTest {
    @TempDir
    Path tmp;

    private NDManager m;

    @BeforeEach
    void setUp() {
        m = EngineSetup.newManager();
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    @Test
    void swinT_promptTensorsHavePublishedNamesAndShapes() {
        SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.published("swin-t", 6));
        Set<String> before = model.namedParameters().keySet();
        Set<String> baseNames = new TreeSet<>(before);
        Attachment a = Vpt.published().attach(model);

        Map<String, Shape> expected = new LinkedHashMap<>();
        expected.put("swin_backbone.prompt_embeddings", new Shape(1, 10, 96));
        expected.put("swin_backbone.deep_prompt_embeddings_0", new Shape(1, 10, 96));
        expected.put("swin_backbone.deep_prompt_embeddings_1", new Shape(2, 10, 192));
        expected.put("swin_backbone.deep_prompt_embeddings_2", new Shape(6, 10, 384));
        expected.put("swin_backbone.deep_prompt_embeddings_3", new Shape(2, 10, 768));
        int[] concat = {128, 256, 352, 704};
        int[] gate = {64, 128, 256, 512};
        for (int k = 1; k <= 4; k++) {
            int c = 10 << (k - 1);
            int side = 224 >> (k - 1);
            expected.put("prompt" + k, new Shape(c, side, side));
            expected.put("prompt_cnn" + k + ".weight", new Shape(concat[k - 1], c, 3, 3));
            expected.put("prompt_cnn" + k + ".bias", new Shape(concat[k - 1]));
            expected.put("Att" + k + ".prompt_att", new Shape(c, side, side));
            expected.put("Att" + k + ".prompt_att_conv.weight", new Shape(gate[k - 1], c, 3, 3));
            expected.put("Att" + k + ".prompt_att_conv.bias", new Shape(gate[k - 1]));
        }
        Map<String, Parameter> params = model.namedParameters();
        Map<String, Shape> added = new LinkedHashMap<>();
        params.forEach((k, v) -> {
            if (!baseNames.contains(k)) {
                added.put(k, v.shape());
            }
        });
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(added.keySet()));
        expected.forEach((k, s) -> assertEquals(s, added.get(k), k));

        // Trainable: prompts and their convolutions, backbone names with "prompt" or "bias", and the head;
        // decoder biases stay frozen, as vpt.py's frozen() leaves them.
        Set<String> trainable = new TreeSet<>(model.trainableParameterNames());
        Set<String> want = new TreeSet<>(expected.keySet());
        want.add("final_conv.weight");
        want.add("final_conv.bias");
        for (String n : baseNames) {
            if (n.startsWith("swin_backbone.") && n.contains("bias")) {
                want.add(n);
            }
        }
        assertEquals(want, trainable);
        assertTrue(trainable.contains("swin_backbone.layers.2.blocks.5.attn.relative_position_bias_table"));
        assertTrue(trainable.contains("swin_backbone.patch_embed.proj.bias"));
        assertTrue(!trainable.contains("conv4.conv.0.bias") && !trainable.contains("Att1.W_g.0.bias"));
        // U(-v, v) with v = sqrt(6 / (3 * 4 * 4 + 96)), as the published init.
        double v = Math.sqrt(6.0 / (3 * 16 + 96));
        double max = Tensors.maxAbs(params.get("swin_backbone.deep_prompt_embeddings_2").data());
        assertTrue(max <= v && max > 0.9 * v, "deep prompt range " + max + " against bound " + v);

        a.deactivate();
        assertEquals(before, model.namedParameters().keySet());
    }

    /**
     * The small model with closed-form weights, VPT made for 64x64 inputs and its tensors filled too (refilling
     * gives the base tensors their same values again, so the values VPT keeps for detaching are the base's).
     */
    private SwinAttUNet smallWithVpt(Attachment[] out) {
        SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.fixture(6));
        model.eval();
        ClosedFormWeights.fill(model);
        out[0] = new Vpt(SegmenterLayout.swinAttUNet(), new VptConfig(10, 0.1f, 64)).attach(model);
        ClosedFormWeights.fill(model);
        return model;
    }

    private NDArray image(int side) {
        return ClosedFormWeights.sinusoid(m, new Shape(2, 3, side, side), 0.0123);
    }

    /**
     * The backbone features equal those of the base model whose window attentions are given, by hand, the prompts
     * of KMnP's rule: block 0 of stage 0 the shallow prompt, block j > 0 of stage 0 row j - 1 of
     * {@code deep_prompt_embeddings_0}, block j of stage s > 0 row j of {@code deep_prompt_embeddings_s}; each
     * normalised by the block's norm1.
     */
    @Test
    void backbonePrompts_reachTheBlocksKmnpAssignsThem() {
        Attachment[] a = new Attachment[1];
        SwinAttUNet model = smallWithVpt(a);
        SwinAttUNet byHand = new SwinAttUNet(m, SwinAttUNetConfig.fixture(6));
        byHand.eval();
        ClosedFormWeights.fill(byHand);
        Map<String, Parameter> prompts = model.namedParameters();
        int installed = 0;
        for (int s = 0; s < 4; s++) {
            for (int j = 0; j < 2; j++) {
                String block = "swin_backbone.layers." + s + ".blocks." + j;
                NDArray raw = s == 0 && j == 0 ? prompts.get("swin_backbone.prompt_embeddings").data()
                        : prompts.get("swin_backbone.deep_prompt_embeddings_" + s).data()
                                .get(new NDIndex("{}:{}", s == 0 ? j - 1 : j, s == 0 ? j : j + 1));
                NDArray tokens = ((Layer) byHand.module(block + ".norm1")).forward(raw);
                ((PrefixTokenHost) byHand.module(block + ".attn")).addPrefixTokens(in -> tokens);
                installed++;
            }
        }
        assertEquals(8, installed);
        NDArray x = image(64);
        List<NDArray> expected = byHand.backbone().featureMaps(x, 4);
        List<NDArray> actual = model.backbone().featureMaps(x, 4);
        for (int s = 0; s < 4; s++) {
            Tensors.assertClose(expected.get(s), actual.get(s), 1e-6, "stage " + (s + 1) + " features");
        }
    }

    @Test
    void disablingOrDetaching_givesTheBaseOutputExactly() {
        SwinAttUNet base = new SwinAttUNet(m, SwinAttUNetConfig.fixture(6));
        base.eval();
        ClosedFormWeights.fill(base);
        NDArray x = image(64);
        float[] plain = base.forward(x).toFloatArray();

        Attachment[] a = new Attachment[1];
        SwinAttUNet model = smallWithVpt(a);
        float[] prompted = model.forward(x).toFloatArray();
        assertTrue(Tensors.maxAbsDiff(m.create(plain), m.create(prompted)) > 1e-3, "the prompts change the output");
        a[0].setEnabled(false);
        assertArrayEquals(plain, model.forward(x).toFloatArray(), 0f);
        a[0].setEnabled(true);
        assertArrayEquals(prompted, model.forward(x).toFloatArray(), 0f);
        a[0].deactivate();
        assertArrayEquals(plain, model.forward(x).toFloatArray(), 0f);
        a[0].activate();
        assertArrayEquals(prompted, model.forward(x).toFloatArray(), 0f);
    }

    /**
     * Every prompt tensor of stages 1-3 and of the decoder gets a gradient in every row; stage 4's prompts get
     * none, since the decoder never reads stage 4 (in the published code too).
     */
    @Test
    void gradients_reachEveryPromptTheOutputDependsOn() {
        Attachment[] a = new Attachment[1];
        SwinAttUNet model = smallWithVpt(a);
        Map<String, Parameter> params = model.namedParameters();
        params.values().forEach(Parameter::attachGradient);
        try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
            NDArray out = model.forward(image(64));
            gc.backward(out.mul(out).mean());
        }
        for (String name : a[0].ownParameterNames()) {
            if (!name.contains("prompt")) {
                continue;
            }
            NDArray g = params.get(name).gradient();
            long rows = g.getShape().get(0);
            for (long r = 0; r < rows; r++) {
                double size = Tensors.maxAbs(g.get(r));
                if (name.endsWith("deep_prompt_embeddings_3")) {
                    assertEquals(0.0, size, name + " row " + r);
                } else {
                    assertTrue(size > 0, name + " row " + r + " gets no gradient");
                }
            }
        }
    }

    @Test
    void promptDropout_actsInTrainingOnly() {
        Attachment[] a = new Attachment[1];
        SwinAttUNet model = smallWithVpt(a);
        NDArray x = image(64);
        float[] eval = model.forward(x).toFloatArray();
        assertArrayEquals(eval, model.forward(x).toFloatArray(), 0f);
        model.module("swin_backbone.prompt_dropout").train(true);
        EngineSetup.seed(3);
        float[] first = model.forward(x).toFloatArray();
        float[] second = model.forward(x).toFloatArray();
        assertNotEquals(Tensors.maxAbsDiff(m.create(eval), m.create(first)), 0.0);
        assertNotEquals(Tensors.maxAbsDiff(m.create(first), m.create(second)), 0.0);
    }

    @Test
    void otherInputSize_failsNamingThePromptSize() {
        Attachment[] a = new Attachment[1];
        SwinAttUNet model = smallWithVpt(a);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(image(96)));
        assertTrue(e.getMessage().startsWith("VPT's prompt maps are made for 64x64 inputs (Att4.prompt_att is 8x8), "
                + "but 'Att4' works on 12x12 maps here, an input of about 96x96"), e.getMessage());
    }

    @Test
    void adapterFile_roundTripReproducesOutputExactly() throws Exception {
        Attachment[] a = new Attachment[1];
        SwinAttUNet model = smallWithVpt(a);
        NDArray x = image(64);
        float[] expected = model.forward(x).toFloatArray();
        Path dir = tmp.resolve("vpt");
        AdapterFiles.save(a[0], dir);

        SwinAttUNet other = new SwinAttUNet(m, SwinAttUNetConfig.fixture(6));
        other.eval();
        ClosedFormWeights.fill(other);
        Attachment loaded = AdapterFiles.load(dir, other, m);
        assertEquals(new VptConfig(10, 0.1f, 64), ((Vpt) loaded.method()).config());
        assertArrayEquals(expected, other.forward(x).toFloatArray(), 0f);
    }
}
