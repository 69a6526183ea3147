package ai.peft4j.models.florence2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generation against transformers 4.40.2 on the tiny model ({@code fixtures/florence2}), 12 new tokens: the
 * 64-token twin's ids for greedy search without processors, greedy search with the checkpoint's rules and beam
 * search with 3 beams, plus its top-5 processed scores per greedy step; and, for the full 51,289-token vocabulary
 * whose top logits tie to 5e-7 (so its ids are no target), the top-5 processed scores of every step along the
 * published sequence, within 1e-4.
 */
class Florence2GeneratorTest {
    private static NDManager manager;
    private static JsonNode fixture;
    private static Map<String, NDArray> ref;

    @BeforeAll
    static void load() throws Exception {
        manager = EngineSetup.newManager();
        fixture = Florence2Fixtures.description();
        ref = Florence2Fixtures.tensors(manager);
    }

    @AfterAll
    static void close() {
        if (manager != null) {
            manager.close();
        }
    }

    private static GenerationConfig mode(String name) {
        GenerationConfig published = GenerationConfig.florence2().withMaxNewTokens(12);
        switch (name) {
            case "greedy_plain":
                return published.plainGreedy();
            case "greedy_config":
                return published.withNumBeams(1);
            default:
                return published;
        }
    }

    @Test
    void smallVocabTwin_generatesPublishedIdsInAllThreeModes() {
        try (NDManager m = manager.newSubManager()) {
            Florence2 model = Florence2Fixtures.tinyModel(m, 64);
            JsonNode gen = fixture.path("small_vocab").path("generation");
            for (String name : new String[] {"greedy_plain", "greedy_config", "beam3_config"}) {
                long[] ids = new Florence2Generator(model, mode(name)).generate(ref.get("pixel_values"),
                        ref.get("small_vocab/input_ids"));
                assertArrayEquals(Florence2Fixtures.longs(gen.path(name).path("sequence")), ids, name);
            }
        }
    }

    @Test
    void smallVocabTwin_greedyStepsHavePublishedTop5() {
        try (NDManager m = manager.newSubManager()) {
            Florence2 model = Florence2Fixtures.tinyModel(m, 64);
            JsonNode gen = fixture.path("small_vocab").path("generation");
            for (String name : new String[] {"greedy_plain", "greedy_config"}) {
                checkTop5(model, mode(name), ref.get("small_vocab/input_ids"),
                        Florence2Fixtures.longs(gen.path(name).path("sequence")), "small_vocab/" + name, true);
            }
        }
    }

    @Test
    void fullVocab_greedyStepsHavePublishedTop5Scores() {
        try (NDManager m = manager.newSubManager()) {
            Florence2 model = Florence2Fixtures.tinyModel(m, 51289);
            JsonNode gen = fixture.path("generation");
            for (String name : new String[] {"greedy_plain", "greedy_config"}) {
                checkTop5(model, mode(name), ref.get("input_ids"),
                        Florence2Fixtures.longs(gen.path(name).path("sequence")), "gen/" + name, false);
            }
        }
    }

    /**
     * Steps along the published sequence; at each the five highest processed scores must match (and, where the
     * gaps are wide enough to be a target, their token ids).
     */
    private static void checkTop5(Florence2 model, GenerationConfig config, NDArray inputIds, long[] sequence,
            String prefix, boolean ids) {
        Florence2Generator g = new Florence2Generator(model, config);
        float[] wantValues = ref.get(prefix + "/top5_values").toFloatArray();
        long[] wantIds = ref.get(prefix + "/top5_indices").toLongArray();
        try (NDManager scope = manager.newSubManager()) {
            NDArray encoder = g.encode(ref.get("pixel_values"), inputIds, scope);
            double worst = 0;
            for (int step = 0; step < sequence.length - 1; step++) {
                float[] scores = g.nextScores(encoder, Arrays.copyOf(sequence, step + 1), false);
                Integer[] order = new Integer[scores.length];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
                for (int r = 0; r < 5; r++) {
                    float want = wantValues[step * 5 + r];
                    float got = scores[order[r]];
                    String what = prefix + " step " + step + " rank " + r;
                    if (Float.isInfinite(want)) {
                        assertEquals(want, got, what);
                        continue;
                    }
                    worst = Math.max(worst, Math.abs(want - got));
                    assertEquals(want, got, Florence2Fixtures.TOLERANCE, what);
                    if (ids) {
                        assertEquals(wantIds[step * 5 + r], (long) order[r], what);
                    }
                }
                // The published choice scores within tolerance of our best (full-vocabulary ties are 5e-7 apart).
                assertTrue(scores[(int) sequence[step + 1]] >= scores[order[0]] - Florence2Fixtures.TOLERANCE,
                        prefix + " step " + step + ": the published token is not among the highest scores");
            }
            System.out.printf(Locale.ROOT, "%s top-5 scores: max |difference| %.3g%n", prefix, worst);
            assertTrue(worst <= Florence2Fixtures.TOLERANCE);
        }
    }
}
