package ai.peft4j.models.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.core.tensor.Scalars;
import ai.peft4j.core.testing.Tensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The SAM reference fixtures ({@code fixtures/sam}, Medical-SAM-Adapter at 4dcdc63) for the parity tests: the
 * stored tensors, the JSON description, the prompts (click (45, 77) with label 1, box (20, 30, 100, 90)) and the
 * README's tolerance of 1e-4 absolute on outputs. Shared with peft4j-peft's method parity tests through this module's
 * test-jar.
 */
public final class SamFixtures {
    public static final double TOLERANCE = 1e-4;
    private static final String DIR = "fixtures/sam/";
    private static JsonNode json;

    private SamFixtures() {}

    public static Map<String, NDArray> tensors(NDManager manager, String file) throws Exception {
        return SafetensorsFile.read(SharedFiles.require(DIR + file), manager).tensors();
    }

    /** The description of one fixture, {@code <family>/<mod>} (the JSON is read once). */
    public static synchronized JsonNode config(String tag) throws Exception {
        if (json == null) {
            json = new ObjectMapper().readTree(SharedFiles.require(DIR + "sam_small.json").toFile());
        }
        return json.path("configs").path(tag);
    }

    public static JsonNode fullCounts(String tag) throws Exception {
        return new ObjectMapper().readTree(SharedFiles.require(DIR + "param_counts_full.json").toFile())
                .path("counts").path(tag);
    }

    /** Asserts closeness and prints the difference, so a run shows how much room the tolerance leaves. */
    public static void check(NDArray expected, NDArray actual, String what) {
        assertNotNull(expected, "the fixture has no " + what);
        System.out.printf(Locale.ROOT, "%s: max |difference| %.3g%n", what, Tensors.maxAbsDiff(expected, actual));
        Tensors.assertClose(expected, actual, TOLERANCE, what);
    }

    /** The random Fourier matrix is a buffer the closed-form fill leaves alone; the fixture stores it. */
    static void loadFourierMatrix(Sam sam, NDArray matrix) {
        sam.namedBuffers().get("prompt_encoder.pe_layer.positional_encoding_gaussian_matrix").replace(matrix);
    }

    static Prompts pointPrompt(NDManager manager) {
        return Prompts.points(manager.create(new float[] {45, 77}, new Shape(1, 1, 2)),
                manager.create(new float[] {1}, new Shape(1, 1)));
    }

    static Prompts boxPrompt(NDManager manager) {
        return Prompts.boxes(manager.create(new float[] {20, 30, 100, 90}, new Shape(1, 4)));
    }

    /**
     * Sparse embeddings, every token's masks and IoUs, and the decoder's output as training slices it, for one
     * prompt ({@code <prefix><name>/...}) on the given image embeddings.
     */
    static void checkPrompt(Sam sam, Map<String, NDArray> ref, String prefix, String name, Prompts prompts,
            NDArray embeddings) {
        String p = prefix + name + "/";
        PromptEmbeddings pe = sam.promptEncoder().forward(prompts);
        check(ref.get(p + "sparse_embeddings"), pe.sparse(), p + "sparse_embeddings");
        MaskPrediction all = sam.maskDecoder().predictMasks(embeddings,
                sam.promptEncoder().densePositionalEncoding(), pe);
        check(ref.get(p + "masks_all_tokens"), all.masks(), p + "masks_all_tokens");
        check(ref.get(p + "iou_all_tokens"), all.iou(), p + "iou_all_tokens");
        MaskPrediction out = sam.predict(embeddings, prompts, false);
        check(ref.get(p + "low_res_logits"), out.masks(), p + "low_res_logits");
        check(ref.get(p + "iou_predictions"), out.iou(), p + "iou_predictions");
    }

    /**
     * {@code BCEWithLogitsLoss(pos_weight=2)} with mean reduction (Medical-SAM-Adapter's {@code criterion_G}), in
     * torch's stable form {@code (1 - y) x + (1 + (w - 1) y) (log(1 + exp(-|x|)) + max(-x, 0))}.
     */
    public static NDArray bceLoss(NDArray logits, NDArray labels) {
        NDArray target = labels.toType(logits.getDataType(), false);
        NDArray softplusNeg = Scalars.add(logits.abs().neg().exp(), 1f).log().add(logits.neg().maximum(0f));
        NDArray weight = Scalars.add(target, 1f);
        return Scalars.sub(target, 1f).neg().mul(logits).add(weight.mul(softplusNeg)).mean();
    }

    /**
     * The published objective's gradients: every parameter the fixture lists as receiving one, in full
     * ({@code grad/<name>}) or strided ({@code gradsub/<name>}), within 1e-4 of that tensor's largest gradient,
     * where "largest" is at least 1e-3 of the model's largest. The floor is for tensors whose gradient is rounding
     * noise in float32: key-projection biases (mathematically zero, since softmax ignores a shift shared by a
     * query's logits; the fixture holds about 1e-10, a float64 run here gives 0) and the encoder's relative
     * position tables (about 1e-7, where a float64 run differs from the fixture by 9e-5 of their size).
     *
     * @param encoderTolerance the bound for the image encoder's gradients (1e-4 but where float32 rounding is
     *     measured to be larger)
     */
    public static void checkGradients(Module model, Map<String, NDArray> ref, JsonNode config, String prefix,
            double encoderTolerance) {
        checkGradients(model, ref, config, prefix, encoderTolerance, name -> false);
    }

    /**
     * As {@link #checkGradients(Module, Map, JsonNode, String, double)}, printing rather than asserting the
     * difference of the parameters {@code unchecked} names (counted as checked).
     */
    public static void checkGradients(Module model, Map<String, NDArray> ref, JsonNode config, String prefix,
            double encoderTolerance, Predicate<String> unchecked) {
        Map<String, Parameter> params = model.namedParameters();
        JsonNode strides = config.path("grad_subsampled_stride");
        JsonNode stats = config.path("grad_stats");
        double largest = 0;
        for (JsonNode n : config.path("receives_grad_names")) {
            largest = Math.max(largest, stats.path(n.asText()).path("max_abs").asDouble());
        }
        double worst = 0;
        String worstName = "";
        int checked = 0;
        for (JsonNode n : config.path("receives_grad_names")) {
            String name = n.asText();
            Parameter p = params.get(name);
            assertNotNull(p, "the fixture has a gradient for " + name + ", which the model lacks");
            NDArray g = p.gradient();
            assertNotNull(g, "no gradient for " + name);
            NDArray want;
            NDArray got;
            if (strides.has(name)) {
                want = ref.get(prefix + "gradsub/" + name);
                got = g.flatten().get("::" + strides.get(name).asInt());
            } else {
                want = ref.get(prefix + "grad/" + name);
                got = g;
            }
            assertNotNull(want, "fixture tensor for the gradient of " + name);
            double scale = Math.max(stats.path(name).path("max_abs").asDouble(), 1e-3 * largest);
            double relative = Tensors.maxAbsDiff(want, got) / scale;
            double tolerance = name.startsWith("image_encoder.") ? encoderTolerance : TOLERANCE;
            if (unchecked.test(name)) {
                System.out.printf(Locale.ROOT, "  not asserted: %s differs by %.3g of its scale%n", name, relative);
                checked++;
                continue;
            }
            if (!(relative <= tolerance)) {
                throw new AssertionError(prefix + " gradient of " + name + ": difference " + relative
                        + " of its scale " + scale + ", more than " + tolerance);
            }
            if (relative > worst) {
                worst = relative;
                worstName = name;
            }
            checked++;
        }
        assertEquals(config.path("receives_grad_names").size(), checked);
        System.out.printf(Locale.ROOT, "%s: %d gradients, worst %.3g of its scale (%s); largest gradient %.3g%n",
                prefix, checked, worst, worstName, largest);
    }

    /** The model's state dict equals the fixture's, keys in order and shapes, leaving out keys under {@code skip}. */
    static void assertStateDict(JsonNode config, Module model, String skip) {
        Map<String, Shape> expected = new LinkedHashMap<>();
        for (JsonNode entry : config.path("state_dict")) {
            String key = entry.get(0).asText();
            if (!skip.isEmpty() && key.startsWith(skip)) {
                continue;
            }
            long[] dims = new long[entry.get(1).size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = entry.get(1).get(i).asLong();
            }
            expected.put(key, new Shape(dims));
        }
        Map<String, Shape> actual = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> actual.put(k, v.getShape()));
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()), "state-dict keys in order");
        assertEquals(expected, actual, "state-dict shapes");
    }
}
