package ai.peft4j.app.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.config.RunConfig;
import ai.peft4j.core.engine.NoGradient;
import ai.peft4j.data.Batch;
import ai.peft4j.data.classify.ClassBatches;
import ai.peft4j.data.classify.ClassificationTransform;
import ai.peft4j.data.classify.LabelledImages;
import ai.peft4j.models.vit.VisionTransformer;
import ai.peft4j.train.classify.WeightedKnn;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Forgetting as peft-vit measures it (DINO's {@code eval_knn.py}): the classifier's head removed, the class token
 * after the final norm of every image of the source task's training and test splits, and the test split scored by a
 * weighted k-NN over the training split's features (L2-normalised, votes {@code exp(cos / T)}). The model is taken
 * as it is: with its adapter on, this is what the adaptation left of the source task's features.
 *
 * <p>Images go through the run's test transform (resize to the model's input, the run's mean and std) where the
 * published script resizes to 256 and centre-crops 224 with ImageNet's mean and std for its 224-pixel ViTs.
 */
public final class SourceRetention {
    /**
     * Where the source task's data is and how to score it.
     *
     * @param root the data set's folder
     * @param layout {@code name-class} or {@code image-folder}, or empty to tell from the folder (name-class when it
     *     has {@code ImageSets/Main})
     * @param trainSplit the split whose features vote
     * @param testSplit the split scored
     * @param ks neighbour counts
     * @param temperature the vote's temperature
     * @param classes the source classes to score, by name; empty for all
     */
    public record Source(Path root, String layout, String trainSplit, String testSplit, List<Integer> ks,
            double temperature, List<String> classes) {
        public Source {
            ks = List.copyOf(ks);
            classes = classes == null ? List.of() : List.copyOf(classes);
            if (ks.isEmpty()) {
                throw new IllegalArgumentException("no k for the source k-NN");
            }
            if (!(temperature > 0)) {
                throw new IllegalArgumentException("the k-NN temperature must be above 0, got " + temperature);
            }
        }

        /** peft-vit's settings: train and test splits, k 10, 20, 100, 200, T 0.07. */
        public static Source published(Path root) {
            return new Source(root, "", "train", "test", WeightedKnn.PUBLISHED_K,
                    WeightedKnn.PUBLISHED_TEMPERATURE, List.of());
        }

        public String resolvedLayout() {
            if (!layout.isEmpty()) {
                return layout;
            }
            return Files.isDirectory(root.resolve("ImageSets").resolve("Main")) ? "name-class" : "image-folder";
        }
    }

    /** The source's two splits, opened and checked against the k values before any work. */
    public record SourceData(Source source, LabelledImages train, LabelledImages test) {
        public static SourceData open(Source s) {
            String layout = s.resolvedLayout();
            LabelledImages train = LabelledImages.open(s.root(), layout, s.trainSplit(), null, s.classes());
            LabelledImages test = LabelledImages.open(s.root(), layout, s.testSplit(), train.classNames(),
                    s.classes());
            for (int k : s.ks()) {
                if (k < 1 || k > train.size()) {
                    throw new IllegalArgumentException(s.root() + ": k " + k + " of the source k-NN needs 1 <= k <= "
                            + "the " + train.size() + " images of " + train.name() + "; give smaller --knn-k values");
                }
            }
            return new SourceData(s, train, test);
        }
    }

    /** Accuracy at each k, with what was scored. */
    public record Report(SourceData data, List<WeightedKnn.Result> results) {
        /** The result at {@code k}, or null when it was not scored. */
        public WeightedKnn.Result at(int k) {
            return results.stream().filter(r -> r.k() == k).findFirst().orElse(null);
        }

        public ObjectNode toJson(String adapter) {
            ObjectNode j = new ObjectMapper().createObjectNode();
            j.put("data", data.source().root().toString()).put("train", data.train().name())
                    .put("test", data.test().name()).put("train_images", data.train().size())
                    .put("test_images", data.test().size()).put("classes", data.train().numClasses())
                    .putPOJO("class_names", data.train().classNames())
                    .put("temperature", data.source().temperature()).put("adapter", adapter)
                    .put("features", "class token after the final norm, head removed, L2-normalised");
            ArrayNode rs = j.putArray("knn");
            for (WeightedKnn.Result r : results) {
                rs.addObject().put("k", r.k()).put("top1", r.top1()).put("top5", r.top5());
            }
            return j;
        }
    }

    private SourceRetention() {}

    /** Scores the source's test split by a weighted k-NN on {@code vit}'s features of its training split. */
    public static Report score(VisionTransformer vit, RunConfig c, SourceData d, NDManager manager) {
        ClassificationTransform t = ClassifierTraining.transform(c);
        Features train = features(vit, c, t, d.train(), manager);
        Features test = features(vit, c, t, d.test(), manager);
        WeightedKnn knn = new WeightedKnn(train.values(), train.labels(), d.train().numClasses(),
                d.source().temperature());
        return new Report(d, knn.score(test.values(), test.labels(), d.source().ks()));
    }

    /** Features {@code [n][D]} of every image, in order, with their class ids. */
    public record Features(float[][] values, int[] labels) {}

    /** The class token after the final norm of every image of {@code images}, the head left out. */
    public static Features features(VisionTransformer vit, RunConfig c, ClassificationTransform t,
            LabelledImages images, NDManager manager) {
        float[] mean = floats(c.classification().mean());
        float[] std = floats(c.classification().std());
        float[][] out = new float[images.size()][];
        int[] labels = new int[images.size()];
        int at = 0;
        for (Batch b : ClassBatches.evaluation(images, t, c.training().batch()).epoch(0)) {
            int n = b.size();
            float[] flat;
            try (NDManager tmp = manager.newSubManager()) {
                NDArray x = tmp.create(b.images(), new Shape(n, 3, b.height(), b.width()));
                NDArray mu = tmp.create(mean, new Shape(1, 3, 1, 1));
                NDArray sd = tmp.create(std, new Shape(1, 3, 1, 1));
                flat = NoGradient.run(() -> vit.features(x.sub(mu).div(sd)).get(":, 0, :").toFloatArray());
            }
            int dim = flat.length / n;
            for (int i = 0; i < n; i++) {
                out[at] = java.util.Arrays.copyOfRange(flat, i * dim, (i + 1) * dim);
                labels[at] = b.masks()[i];
                at++;
            }
        }
        return new Features(out, labels);
    }

    private static float[] floats(List<Double> v) {
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i).floatValue();
        }
        return out;
    }
}
