package ai.peft4j.models.sam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.models.tinyvit.TinyVitConfig;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Behaviour of the SAM modules the fixtures do not reach: prompt combinations, mask inputs, token selection. */
class SamTest {
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = EngineSetup.newManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void promptEncoder_padsClicksOnlyWithoutABoxAndThePaddingIsNotAPointEmbedAlone() {
        PromptEncoder pe = new PromptEncoder(manager, 32, 8, 128, 16);
        NDArray points = manager.create(new float[] {45, 77}, new Shape(1, 1, 2));
        NDArray labels = manager.create(new float[] {1}, new Shape(1, 1));
        NDArray alone = pe.forward(Prompts.points(points, labels)).sparse();
        assertEquals(new Shape(1, 2, 32), alone.getShape());
        // The padding click's Fourier features are zeroed, so only the learned embedding is left.
        assertArrayEquals(((Embedding) pe.module("not_a_point_embed")).weight().data().toFloatArray(),
                alone.get("0, 1, :").toFloatArray(), 0f);
        NDArray box = manager.create(new float[] {20, 30, 100, 90}, new Shape(1, 4));
        NDArray both = pe.forward(new Prompts(points, labels, box, null)).sparse();
        assertEquals(new Shape(1, 3, 32), both.getShape());
        assertArrayEquals(alone.get("0, 0, :").toFloatArray(), both.get("0, 0, :").toFloatArray(), 0f);
    }

    @Test
    void promptEncoder_downscalesMaskInputsFourTimesAndUsesNoMaskEmbedOtherwise() {
        PromptEncoder pe = new PromptEncoder(manager, 32, 8, 128, 16);
        NDArray box = manager.create(new float[] {20, 30, 100, 90, 0, 0, 50, 50}, new Shape(2, 4));
        NDArray masks = manager.randomNormal(new Shape(2, 1, 32, 32));
        assertEquals(new Shape(2, 32, 8, 8), pe.forward(new Prompts(null, null, box, masks)).dense().getShape());
        NDArray dense = pe.forward(Prompts.boxes(box)).dense();
        assertEquals(new Shape(2, 32, 8, 8), dense.getShape());
        float[] noMask = ((Embedding) pe.module("no_mask_embed")).weight().data().toFloatArray();
        assertArrayEquals(noMask, dense.get("1, :, 5, 3").toFloatArray(), 0f);
    }

    @Test
    void maskDecoder_segmentAnythingPicksTokenZeroOrTheMultimaskTokens() {
        Sam sam = new Sam(manager, SamConfig.fixture().withVariant(SamVariant.ORIGINAL));
        NDArray embeddings = manager.randomNormal(new Shape(1, 32, 8, 8));
        Prompts click = Prompts.points(manager.create(new float[] {45, 77}, new Shape(1, 1, 2)),
                manager.create(new float[] {1}, new Shape(1, 1)));
        MaskPrediction all = sam.maskDecoder().predictMasks(embeddings, sam.promptEncoder().densePositionalEncoding(),
                sam.promptEncoder().forward(click));
        MaskPrediction single = sam.predict(embeddings, click, false);
        MaskPrediction multi = sam.predict(embeddings, click, true);
        assertEquals(new Shape(1, 1, 32, 32), single.masks().getShape());
        assertEquals(new Shape(1, 3, 32, 32), multi.masks().getShape());
        assertEquals(0.0, Tensors.maxAbsDiff(all.tokens(1, 4).masks(), multi.masks()));
        assertEquals(0.0, Tensors.maxAbsDiff(all.tokens(0, 1).iou(), single.iou()));
    }

    @Test
    void maskDecoder_medicalSamAdapterReturnsTheFirstMultimaskOutputTokensWhateverTheFlag() {
        SamConfig base = SamConfig.fixture();
        SamConfig.Decoder d = base.decoder();
        SamConfig refuge = new SamConfig(base.imageSize(), SamVariant.MSA, base.encoder(), base.promptEmbedDim(),
                base.maskInChans(), new SamConfig.Decoder(d.depth(), d.heads(), d.mlpDim(), d.iouHeadDepth(),
                        d.iouHeadHiddenDim(), d.numMaskTokens(), d.attentionDownsampleRate(), 2));
        Sam sam = new Sam(manager, refuge);
        NDArray embeddings = manager.randomNormal(new Shape(1, 32, 8, 8));
        Prompts box = Prompts.boxes(manager.create(new float[] {20, 30, 100, 90}, new Shape(1, 4)));
        MaskPrediction off = sam.predict(embeddings, box, false);
        MaskPrediction on = sam.predict(embeddings, box, true);
        assertEquals(new Shape(1, 2), off.iou().getShape());
        assertEquals(0.0, Tensors.maxAbsDiff(off.masks(), on.masks()));
    }

    @Test
    void relativeRows_resizeATableMadeForAnotherSizeLinearlyThenPickRowQMinusK() {
        // Five rows (made for size 3) resized to 3 rows (size 2): sources 1/3, 2, 11/3 give 1/3, 2, 11/3.
        NDArray table = manager.create(new float[] {0, 1, 2, 3, 4}, new Shape(5, 1));
        NDArray rows = RelPosAttention.relativeRows(table, 2, table);
        assertEquals(new Shape(2, 2, 1), rows.getShape());
        // (q, k) reads row q - k + 1: (0, 0) -> 2, (0, 1) -> 1/3, (1, 0) -> 11/3, (1, 1) -> 2.
        assertArrayEquals(new float[] {2f, 1 / 3f, 11 / 3f, 2f}, rows.toFloatArray(), 1e-6f);
    }

    /**
     * A forward pass whose inputs live in a sub-manager (as a predictor's per-image manager) leaves every weight in
     * the model's manager: closing the sub-manager frees the activations only, and the next pass gives the same
     * masks.
     */
    @Test
    void forwardInASubManager_leavesTheWeightsWhereTheyAre() {
        Sam sam = new Sam(manager, SamConfig.fixture());
        Sam mobile = Sam.mobileSam(manager, TinyVitConfig.fixture(), new SamConfig.Decoder(2, 8, 64, 3, 32, 4, 2, 1));
        EfficientSam efficient = new EfficientSam(manager, EfficientSamConfig.fixture());
        for (ai.peft4j.core.nn.Module model : List.of(sam, mobile, efficient)) {
            model.eval();
            float[] first = masks(model);
            model.stateDict().forEach((k, v) -> assertTrue(!v.isReleased() && v.getManager() == manager, k));
            assertArrayEquals(first, masks(model), 0f);
        }
    }

    private float[] masks(ai.peft4j.core.nn.Module model) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray points = sub.create(new float[] {45, 77}, new Shape(1, 1, 2));
            NDArray labels = sub.create(new float[] {1}, new Shape(1, 1));
            NDArray image = sub.full(new Shape(1, 3, 128, 128), 0.25f);
            if (model instanceof EfficientSam e) {
                return e.predict(e.encodeImage(image), points, labels, false).masks().toFloatArray();
            }
            Sam s = (Sam) model;
            return s.predict(s.encodeImage(image), Prompts.points(points, labels), false).masks().toFloatArray();
        }
    }

    @Test
    void prompts_pointsWithoutLabelsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Prompts(manager.zeros(new Shape(1, 1, 2)), null, null, null));
        assertEquals("points and labels go together: got points without labels", e.getMessage());
    }

    @Test
    void tinyVitConfig_refusesALastWidthThePublishedMergingWouldHalve() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TinyVitConfig(128, List.of(16, 32, 48, 256), List.of(1, 1, 1, 1), List.of(1, 1, 2, 4),
                        List.of(5, 5, 3, 8), 2f, 4f, 3, 10, 256));
        assertTrue(e.getMessage().contains("must be 320, 448 or 576"), e.getMessage());
    }
}
