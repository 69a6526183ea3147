package ai.peft4j.models.sam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.LoadReport;
import ai.peft4j.models.ModelSpec;
import org.junit.jupiter.api.Test;

/** The promptable interface of the three families at a non-published input size (64): shapes and consistency. */
class PromptableSegmenterTest {
    @Test
    void everyFixtureFamily_decodesOneMaskPerPrompt_andThePromptFreeForwardIsTheEmptyPromptUpscaled() {
        for (String name : new String[] {"sam-fixture", "mobile-sam-fixture", "efficient-sam-fixture"}) {
            try (NDManager m = EngineSetup.newManager()) {
                EngineSetup.seed(0);
                PromptableSegmenter net = ModelSpec.of(name, null, 2).buildPromptable(m, 64);
                assertEquals(64, net.imageSize());
                NDArray x = m.randomUniform(0, 1, new Shape(2, 3, 64, 64));
                NDArray emb = net.encodeImage(x);
                assertEquals(4, emb.getShape().get(2), name);
                NDArray boxes = m.create(new float[] {4, 4, 30, 20, 10, 12, 60, 63}, new Shape(2, 4));
                NDArray byBox = net.maskLogits(emb, Prompts.boxes(boxes));
                assertEquals(new Shape(2, 1, 16, 16), byBox.getShape(), name);
                NDArray clicks = net.maskLogits(emb, Prompts.points(m.create(new float[] {5, 6, 40, 41},
                        new Shape(2, 1, 2)), m.create(new float[] {1, 0}, new Shape(2, 1))));
                assertEquals(new Shape(2, 1, 16, 16), clicks.getShape(), name);
                NDArray none = net.maskLogits(emb, new Prompts(null, null, null, null));
                assertEquals(new Shape(2, 1, 16, 16), none.getShape(), name);
                // Each image's mask depends on its own prompt only: image 1 alone with its box gives the same.
                NDArray alone = net.maskLogits(emb.get("1:2"), Prompts.boxes(boxes.get("1:2")));
                assertArrayEquals(alone.toFloatArray(), byBox.get("1:2").toFloatArray(), 1e-5f, name);
                // A box and a click ask different things.
                assertTrue(byBox.sub(clicks).abs().max().getFloat() > 0, name);
                assertArrayEquals(net.toInputSize(none).toFloatArray(), net.forward(x).toFloatArray(), 1e-5f,
                        name);
                assertEquals(new Shape(2, 1, 64, 64), net.forward(x).getShape(), name);
            }
        }
    }

    @Test
    void promptFreeClasses_oneTokenPerClass_sharesTheSegmentersWeights_andLoadsAPublishedDecoderButItsTokens() {
        for (String name : new String[] {"sam-fixture", "mobile-sam-fixture", "efficient-sam-fixture"}) {
            try (NDManager m = EngineSetup.newManager()) {
                EngineSetup.seed(0);
                PromptableSegmenter published = ModelSpec.of(name, null, 2).buildPromptable(m, 64);
                PromptableSegmenter six = ModelSpec.of(name, null, 2).buildPromptable(m, 64, 6);
                assertEquals(4, published.maskTokens(), name);
                assertEquals(6, six.maskTokens(), name);
                PromptFreeClasses view = new PromptFreeClasses(six);
                assertEquals(6, view.classes());
                // The view's names and tensors are the segmenter's own.
                assertEquals(((Module) six).stateDict().keySet(), view.stateDict().keySet(), name);
                assertTrue(view.namedParameters().get("mask_decoder.mask_tokens.weight")
                        == ((Module) six).namedParameters().get("mask_decoder.mask_tokens.weight"), name);
                // A published (4-token) decoder loads into the 6-token one except the per-token tensors, as SAMed
                // loads SAM's checkpoint: mask tokens, the IoU head's last layer (missing for tokens 4 and 5) and the
                // hypernetworks of the two new tokens.
                LoadReport r = view.loadStateDict(((Module) published).stateDict(), false);
                assertTrue(r.unexpected().isEmpty(), name + " " + r.describe());
                for (String k : r.mismatched().stream().map(LoadReport.Mismatch::key).toList()) {
                    assertTrue(k.startsWith("mask_decoder.mask_tokens.") || k.startsWith("mask_decoder.iou_prediction"
                            + "_head."), name + " " + k);
                }
                for (String k : r.missing()) {
                    assertTrue(k.startsWith("mask_decoder.output_hypernetworks_mlps.4.")
                            || k.startsWith("mask_decoder.output_hypernetworks_mlps.5."), name + " " + k);
                }
                assertTrue(r.mismatched().stream().anyMatch(x -> x.key().equals("mask_decoder.mask_tokens.weight")),
                        name);
                NDArray x = m.randomUniform(0, 1, new Shape(2, 3, 64, 64));
                NDArray classes = view.forward(x);
                assertEquals(new Shape(2, 6, 64, 64), classes.getShape(), name);
                // Token 0 with no prompt is the prompt-free mask.
                assertArrayEquals(six.forward(x).toFloatArray(), classes.get(":, 0:1").toFloatArray(), 1e-5f, name);
                NDArray low = six.promptFreeMasks(six.encodeImage(x));
                assertEquals(new Shape(2, 6, 16, 16), low.getShape(), name);
                assertTrue(low.get(":, 1").sub(low.get(":, 2")).abs().max().getFloat() > 0, name);
            }
        }
    }

    @Test
    void modelSpec_namesThePromptableModels_andRefusesABackboneOrAnInputOffThePatchGrid() {
        assertTrue(ModelSpec.of("mobile-sam", "", 2).promptable());
        assertEquals("efficient-sam-vit-t", ModelSpec.of("efficient-sam-vit-t", null, 2).backbone());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ModelSpec("sam-vit-b", "swin-t", 2));
        assertEquals("sam-vit-b has no backbone to choose, got 'swin-t' (leave the backbone out)", e.getMessage());
        try (NDManager m = EngineSetup.newManager()) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> ModelSpec.of("sam-fixture", null, 2).buildPromptable(m, 100));
            assertTrue(e.getMessage().contains("multiple of the 16-pixel patch"), e.getMessage());
        }
    }
}
