package ai.peft4j.models.florence2;

import static ai.peft4j.models.florence2.Florence2Fixtures.check;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tiny Florence-2 against the published remote code on the fixture's closed-form weights: one test per stored
 * group of the base model (DaViT stages, image features, prompt embeddings, encoder states, decoder state, logits,
 * loss) and the 64-token twin, within 1e-4; and the state dict's names, shapes, ties and total.
 */
class Florence2ParityTest {
    private static NDManager manager;
    private static JsonNode fixture;
    private static Map<String, NDArray> ref;
    private static Florence2 model;
    private static Florence2Output out;

    @BeforeAll
    static void runModel() throws Exception {
        manager = EngineSetup.newManager();
        fixture = Florence2Fixtures.description();
        ref = Florence2Fixtures.tensors(manager);
        model = Florence2Fixtures.tinyModel(manager, 51289);
        out = model.forward(ref.get("pixel_values"), ref.get("input_ids"), ref.get("decoder_input_ids"));
    }

    @AfterAll
    static void close() {
        if (manager != null) {
            manager.close();
        }
    }

    @Test
    void stateDict_hasPublishedNamesShapesTiesAndTotal() {
        Map<String, Shape> expected = new LinkedHashMap<>();
        for (JsonNode e : fixture.path("state_dict")) {
            expected.put(e.get(0).asText(), new Shape(Florence2Fixtures.longs(e.get(1))));
        }
        Map<String, Shape> actual = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> actual.put(k, v.getShape()));
        assertEquals(new ArrayList<>(expected.entrySet()), new ArrayList<>(actual.entrySet()));
        List<String> params = new ArrayList<>();
        fixture.path("parameters").forEach(n -> params.add(n.asText()));
        assertEquals(params, new ArrayList<>(model.namedParameters().keySet()));
        assertEquals(fixture.path("total_parameters").asLong(), model.parameterCount());
        Map<String, NDArray> state = model.stateDict();
        for (JsonNode tied : fixture.path("tied")) {
            NDArray first = state.get(tied.get(0).asText());
            for (JsonNode name : tied) {
                assertSame(first, state.get(name.asText()), name.asText());
            }
        }
    }

    @Test
    void visionStages_matchPublishedConvEmbedAndBlocks() {
        List<NDArray> stages = model.visionTower().forwardStages(ref.get("pixel_values"), true);
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < 2; k++) {
                String name = "base/vision/stage" + i + (k == 0 ? "/conv_embed" : "/blocks");
                NDArray want = ref.get(name);
                check(want, stages.get(2 * i + k).reshape(want.getShape()), name);
            }
        }
    }

    @Test
    void imageFeatures_matchPublished() {
        check(ref.get("base/image_features"), out.imageFeatures(), "base/image_features");
    }

    @Test
    void textEmbeds_matchPublished() {
        assertArrayEquals(Florence2Fixtures.longs(fixture.path("inputs").path("input_ids")),
                ref.get("input_ids").toLongArray());
        check(ref.get("base/text_embeds"), out.textEmbeds(), "base/text_embeds");
    }

    @Test
    void encoderHiddenStates_matchPublished() {
        assertEquals(3, out.encoderHiddenStates().size());
        for (int i = 0; i < 3; i++) {
            check(ref.get("base/encoder_hidden_states/" + i), out.encoderHiddenStates().get(i),
                    "base/encoder_hidden_states/" + i);
        }
    }

    @Test
    void encoderLastHiddenState_matchesPublished() {
        check(ref.get("base/encoder_last_hidden_state"), out.encoderLastHiddenState(),
                "base/encoder_last_hidden_state");
    }

    @Test
    void decoderLastHiddenState_matchesPublished() {
        check(ref.get("base/decoder_last_hidden_state"), out.decoderLastHiddenState(),
                "base/decoder_last_hidden_state");
    }

    @Test
    void logits_matchPublished() {
        check(ref.get("base/logits"), out.logits(), "base/logits");
    }

    @Test
    void loss_matchesPublished() {
        NDArray loss = Florence2.loss(out.logits(), ref.get("labels"));
        check(ref.get("base/loss").reshape(new Shape()), loss, "base/loss");
        assertEquals(fixture.path("base").path("loss").asDouble(), loss.getFloat(), 1e-4);
    }

    @Test
    void decoderInputIds_areLabelsShiftedRightAfterStartToken() {
        NDArray shifted = Florence2.shiftRight(ref.get("labels"), 2, 1);
        assertArrayEquals(ref.get("decoder_input_ids").toLongArray(), shifted.toLongArray());
    }

    @Test
    void smallVocabTwin_logitsAndLoss_matchPublished() {
        try (NDManager m = manager.newSubManager()) {
            Florence2 small = Florence2Fixtures.tinyModel(m, 64);
            NDArray labels = ref.get("small_vocab/labels");
            Florence2Output o = small.forward(ref.get("pixel_values"), ref.get("small_vocab/input_ids"),
                    Florence2.shiftRight(labels, 2, 1));
            check(ref.get("small_vocab/logits"), o.logits(), "small_vocab/logits");
            check(ref.get("small_vocab/loss").reshape(new Shape()), Florence2.loss(o.logits(), labels),
                    "small_vocab/loss");
        }
    }

    @Test
    void tiedHead_isTheSharedTableParameter() {
        Parameter shared = model.namedParameters().get("language_model.model.shared.weight");
        assertSame(shared, ((ai.peft4j.core.nn.Linear) model.module("language_model.lm_head")).weight());
    }

    @Test
    void paddedPrompt_withAttentionMask_givesTheUnpaddedLogits() {
        try (NDManager m = manager.newSubManager()) {
            long[] ids = ref.get("input_ids").toLongArray();
            long[] padded = java.util.Arrays.copyOf(ids, ids.length + 3);
            float[] mask = new float[padded.length];
            for (int i = 0; i < padded.length; i++) {
                padded[i] = i < ids.length ? ids[i] : Florence2Tokenizer.PAD;
                mask[i] = i < ids.length ? 1f : 0f;
            }
            NDArray out = model.forward(ref.get("pixel_values"), m.create(padded, new Shape(1, padded.length)),
                    m.create(mask, new Shape(1, padded.length)), ref.get("decoder_input_ids")).logits();
            check(ref.get("base/logits"), out, "padded prompt base/logits");
            NDArray unmasked = model.forward(ref.get("pixel_values"), m.create(padded, new Shape(1, padded.length)),
                    ref.get("decoder_input_ids")).logits();
            assertTrue(ai.peft4j.core.testing.Tensors.maxAbsDiff(ref.get("base/logits"), unmasked) > 1e-3,
                    "padding without a mask should change the logits");
        }
    }

    /**
     * Florence-2-base has the published size, 0.23 B: 231,414,016 parameters (DaViT 90,368,000; projection and
     * image positions 839,168; language model 140,206,848, counted by hand from the architecture), and the names of
     * the tiny model with the base's depths (stage 3 has 9 block pairs, 6 + 6 text layers).
     */
    @Test
    void basePreset_hasPublishedSizeAndNames() {
        try (NDManager m = manager.newSubManager()) {
            Florence2 base = new Florence2(m, Florence2Config.base());
            assertEquals(231_414_016L, base.parameterCount());
            Map<String, NDArray> state = base.stateDict();
            assertEquals(new Shape(1024, 768), state.get("image_projection").getShape());
            assertEquals(new Shape(1026, 768), state.get("language_model.model.decoder.embed_positions.weight")
                    .getShape());
            assertEquals(new Shape(2048, 512),
                    state.get("vision_tower.blocks.2.8.channel_block.ffn.fn.net.fc1.weight").getShape());
            assertEquals(new Shape(768, 768),
                    state.get("language_model.model.encoder.layers.5.self_attn.q_proj.weight").getShape());
            // The tiny model's keys plus 7 block pairs of 32 keys, 4 encoder layers of 16 and 4 decoder layers of 26.
            assertEquals(fixture.path("state_dict").size() + 7 * 32 + 4 * 16 + 4 * 26, state.size());
        }
    }
}
