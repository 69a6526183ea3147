package ai.peft4j.train.classify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The weighted k-nearest-neighbour classifier that DINO's {@code eval_knn.py} scores features with, and peft-vit
 * measures forgetting with: features are L2-normalised, a query's k most cosine-similar training features vote for
 * their classes with weight {@code exp(similarity / T)}, and the classes are ranked by their summed votes.
 *
 * <p>Ties (equal similarities at the k-th place, equal votes) go to the lower training index and the lower class
 * id; the published code leaves them to {@code topk} and {@code sort}.
 */
public final class WeightedKnn {
    /** peft-vit's (and DINO's) neighbour counts. */
    public static final List<Integer> PUBLISHED_K = List.of(10, 20, 100, 200);
    /** peft-vit's (and DINO's) temperature. */
    public static final double PUBLISHED_TEMPERATURE = 0.07;

    /** Accuracy at one k: top-1 and top-5 (top-min(5, classes)) over {@code images} queries. */
    public record Result(int k, double top1, double top5, int images) {}

    private final float[][] train;
    private final int[] labels;
    private final int classes;
    private final double temperature;

    /**
     * @param features training features {@code [n][D]}, normalised here (a copy)
     * @param labels their class ids in {@code [0, classes)}
     * @param classes the class count
     * @param temperature T of the vote weights, above 0
     */
    public WeightedKnn(float[][] features, int[] labels, int classes, double temperature) {
        if (features.length != labels.length) {
            throw new IllegalArgumentException(features.length + " training features but " + labels.length
                    + " labels");
        }
        if (features.length == 0) {
            throw new IllegalArgumentException("no training features to vote");
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("the temperature must be above 0, got " + temperature);
        }
        for (int l : labels) {
            if (l < 0 || l >= classes) {
                throw new IllegalArgumentException("label " + l + " is outside [0, " + classes + ")");
            }
        }
        this.train = new float[features.length][];
        for (int i = 0; i < features.length; i++) {
            train[i] = normalised(features[i]);
            if (train[i].length != train[0].length) {
                throw new IllegalArgumentException("training feature " + i + " has " + train[i].length
                        + " values, feature 0 has " + train[0].length);
            }
        }
        this.labels = labels.clone();
        this.classes = classes;
        this.temperature = temperature;
    }

    public int trainingSize() {
        return train.length;
    }

    /** Fails, naming the training set's size, when some k is below 1 or above it. */
    public void requireK(List<Integer> ks, String what) {
        for (int k : ks) {
            if (k < 1 || k > train.length) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "k %d: the weighted k-NN needs 1 <= k "
                        + "<= the %d training images of %s; choose smaller k values", k, train.length, what));
            }
        }
    }

    /** The summed vote of each class for {@code query} from its {@code k} nearest training features. */
    public double[] votes(float[] query, int k) {
        requireK(List.of(k), "the training set");
        float[] q = normalised(query);
        if (q.length != train[0].length) {
            throw new IllegalArgumentException("the query has " + q.length + " values, the training features "
                    + train[0].length);
        }
        double[] sim = new double[train.length];
        for (int i = 0; i < train.length; i++) {
            double s = 0;
            for (int d = 0; d < q.length; d++) {
                s += (double) q[d] * train[i][d];
            }
            sim[i] = s;
        }
        Integer[] order = new Integer[train.length];
        Arrays.setAll(order, i -> i);
        // Stable: equal similarities keep the lower index first.
        Arrays.sort(order, (a, b) -> Double.compare(sim[b], sim[a]));
        double[] votes = new double[classes];
        for (int j = 0; j < k; j++) {
            int i = order[j];
            votes[labels[i]] += Math.exp(sim[i] / temperature);
        }
        return votes;
    }

    /** Class ids ranked by their vote for {@code query}, the winner first. */
    public int[] ranked(float[] query, int k) {
        double[] v = votes(query, k);
        Integer[] order = new Integer[classes];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Double.compare(v[b], v[a]));
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }

    /** Top-1 and top-5 accuracy of the queries {@code [n][D]} with true classes {@code truth} at each k. */
    public List<Result> score(float[][] queries, int[] truth, List<Integer> ks) {
        if (queries.length != truth.length) {
            throw new IllegalArgumentException(queries.length + " queries but " + truth.length + " labels");
        }
        requireK(ks, "the training set");
        int top = Math.min(5, classes);
        List<Result> out = new ArrayList<>();
        for (int k : ks) {
            int hit1 = 0;
            int hit5 = 0;
            for (int i = 0; i < queries.length; i++) {
                int[] r = ranked(queries[i], k);
                hit1 += r[0] == truth[i] ? 1 : 0;
                for (int j = 0; j < top; j++) {
                    if (r[j] == truth[i]) {
                        hit5++;
                        break;
                    }
                }
            }
            int n = queries.length;
            out.add(new Result(k, n == 0 ? Double.NaN : (double) hit1 / n, n == 0 ? Double.NaN : (double) hit5 / n,
                    n));
        }
        return out;
    }

    /** {@code v / max(||v||, 1e-12)}, as {@code torch.nn.functional.normalize}. */
    static float[] normalised(float[] v) {
        double sq = 0;
        for (float x : v) {
            sq += (double) x * x;
        }
        double n = Math.max(Math.sqrt(sq), 1e-12);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / n);
        }
        return out;
    }
}
