package ai.peft4j.train.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The weighted k-NN vote on five training points on the unit circle, worked out by hand:
 * a (1, 0) class 0, b (0.8, 0.6) class 1, c (0.6, 0.8) class 1, d (0, 1) class 2, e (-1, 0) class 2.
 */
class WeightedKnnTest {
    private static final float[][] TRAIN = {{1, 0}, {0.8f, 0.6f}, {0.6f, 0.8f}, {0, 1}, {-1, 0}};
    private static final int[] LABELS = {0, 1, 1, 2, 2};

    /**
     * Queries given unnormalised (the classifier normalises them). Cosine similarities to a..e:
     * q1 (2, 0): 1, .8, .6, 0, -1 (truth 0); q2 (0, 5): 0, .6, .8, 1, 0 (truth 2);
     * q3 (-1, 0): -1, -.8, -.6, 0, 1 (truth 2); q4 (6, 8): .6, .96, 1, .8, -.6 (truth 0).
     */
    private static final float[][] QUERIES = {{2, 0}, {0, 5}, {-1, 0}, {6, 8}};
    private static final int[] TRUTH = {0, 2, 2, 0};

    @Test
    void votes_areSumsOfExpSimilarityOverTemperature() {
        WeightedKnn knn = new WeightedKnn(TRAIN, LABELS, 3, 1.0);
        // q1's three nearest: a (1, class 0), b (0.8, class 1), c (0.6, class 1).
        double[] v = knn.votes(QUERIES[0], 3);
        assertArrayEquals(new double[] {Math.exp(1), Math.exp(0.8) + Math.exp(0.6), 0}, v, 1e-6);
        // Unweighted, class 1 has two votes to one; at T = 1 it still wins (4.05 against 2.72) ...
        assertArrayEquals(new int[] {1, 0, 2}, knn.ranked(QUERIES[0], 3));
        // ... at the published T = 0.07 the single nearest neighbour outweighs both: e^14.3 against e^11.4 + e^8.6.
        WeightedKnn sharp = new WeightedKnn(TRAIN, LABELS, 3, WeightedKnn.PUBLISHED_TEMPERATURE);
        assertEquals(0, sharp.ranked(QUERIES[0], 3)[0]);
    }

    @Test
    void accuracy_matchesTheHandCount() {
        // T = 0.07, k = 3: q1 -> 0 (right), q2: d (1, class 2) outweighs c, b (class 1) -> 2 (right),
        // q3: e, d (class 2), c (class 1) -> 2 (right), q4: c, b (class 1), d (class 2) -> 1 (wrong): 3 of 4.
        // k = 1: the nearest one's class: a, d, e, c -> 0, 2, 2, 1: 3 of 4.
        // k = 5 at T = 0.07: q4 sums e^(1/.07) + e^(.96/.07) for class 1 against e^(.6/.07) for class 0: wrong;
        // q1, q2 and q3 as at k = 3 (the two far points add almost nothing): 3 of 4.
        WeightedKnn sharp = new WeightedKnn(TRAIN, LABELS, 3, 0.07);
        List<WeightedKnn.Result> r = sharp.score(QUERIES, TRUTH, List.of(1, 3, 5));
        assertEquals(List.of(1, 3, 5), r.stream().map(WeightedKnn.Result::k).toList());
        assertEquals(0.75, r.get(0).top1(), 0);
        assertEquals(0.75, r.get(1).top1(), 0);
        assertEquals(0.75, r.get(2).top1(), 0);
        assertEquals(4, r.get(1).images());
        // T = 1, k = 3: q1 -> 1 (wrong, see above); q2: class 2 e^1 = 2.72 against class 1 e^.8 + e^.6 = 4.05 -> 1
        // (wrong); q3: class 2 e^1 + e^0 = 3.72 against class 1 e^-.6 = 0.55 -> 2 (right); q4 -> 1 (wrong): 1 of 4.
        WeightedKnn soft = new WeightedKnn(TRAIN, LABELS, 3, 1.0);
        WeightedKnn.Result r3 = soft.score(QUERIES, TRUTH, List.of(3)).get(0);
        assertEquals(0.25, r3.top1(), 0);
        // Three classes: the top-5 list holds all three, so every query is in it.
        assertEquals(1.0, r3.top5(), 0);
    }

    @Test
    void topFive_countsTheTrueClassAmongTheFiveBestVoted() {
        // Seven classes on seven directions; the query sits nearest class 5.
        float[][] train = new float[7][];
        int[] labels = new int[7];
        for (int i = 0; i < 7; i++) {
            double a = Math.toRadians(10 * i);
            train[i] = new float[] {(float) Math.cos(a), (float) Math.sin(a)};
            labels[i] = i;
        }
        float[] query = {(float) Math.cos(Math.toRadians(53)), (float) Math.sin(Math.toRadians(53))};
        WeightedKnn knn = new WeightedKnn(train, labels, 7, 0.07);
        // Similarity falls with the angle from 53 degrees: class 5 (3 degrees), 6 (7), 4 (13), 3 (23), 2 (33),
        // 1 (43), 0 (53).
        assertArrayEquals(new int[] {5, 6, 4, 3, 2, 1, 0}, knn.ranked(query, 7));
        WeightedKnn.Result truthSix = knn.score(new float[][] {query}, new int[] {1}, List.of(7)).get(0);
        assertEquals(0.0, truthSix.top1(), 0);
        assertEquals(0.0, truthSix.top5(), 0);
        WeightedKnn.Result truthFive = knn.score(new float[][] {query}, new int[] {2}, List.of(7)).get(0);
        assertEquals(1.0, truthFive.top5(), 0);
    }

    @Test
    void kAboveTheTrainingSet_isRefusedNamingItsSize() {
        WeightedKnn knn = new WeightedKnn(TRAIN, LABELS, 3, 0.07);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> knn.score(QUERIES, TRUTH, List.of(3, 6)));
        assertTrue(e.getMessage().contains("k 6") && e.getMessage().contains("5 training images"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WeightedKnn(TRAIN, new int[] {0, 1, 1, 2, 3}, 3, 0.07));
        assertThrows(IllegalArgumentException.class, () -> new WeightedKnn(TRAIN, LABELS, 3, 0));
    }
}
