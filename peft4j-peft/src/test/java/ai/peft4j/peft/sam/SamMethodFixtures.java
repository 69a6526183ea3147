package ai.peft4j.peft.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.tensor.Scalars;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.core.testing.Tensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The SAM reference fixtures ({@code fixtures/sam}, Medical-SAM-Adapter at 4dcdc63) as the method parity tests read
 * them: stored tensors, the JSON per {@code <family>/<mod>}, and the README's tolerances (outputs 1e-4 absolute,
 * gradients 1e-4 of their largest magnitude, losses 1e-5 relative).
 */
final class SamMethodFixtures {
    static final double TOLERANCE = 1e-4;
    private static final String DIR = "fixtures/sam/";
    private static JsonNode json;

    private SamMethodFixtures() {}

    static Map<String, NDArray> tensors(NDManager manager, String file) throws Exception {
        return SafetensorsFile.read(SharedFiles.require(DIR + file), manager).tensors();
    }

    static synchronized JsonNode config(String tag) throws Exception {
        if (json == null) {
            json = new ObjectMapper().readTree(SharedFiles.require(DIR + "sam_small.json").toFile());
        }
        return json.path("configs").path(tag);
    }

    static JsonNode fullCounts(String tag) throws Exception {
        return new ObjectMapper().readTree(SharedFiles.require(DIR + "param_counts_full.json").toFile())
                .path("counts").path(tag);
    }

    static void check(NDArray expected, NDArray actual, String what) {
        assertNotNull(expected, "the fixture has no " + what);
        System.out.printf(Locale.ROOT, "%s: max |difference| %.3g%n", what, Tensors.maxAbsDiff(expected, actual));
        Tensors.assertClose(expected, actual, TOLERANCE, what);
    }

    /** {@code BCEWithLogitsLoss(pos_weight=2)}, mean reduction, in torch's stable form. */
    static NDArray bceLoss(NDArray logits, NDArray labels) {
        NDArray target = labels.toType(logits.getDataType(), false);
        NDArray softplusNeg = Scalars.add(logits.abs().neg().exp(), 1f).log().add(logits.neg().maximum(0f));
        NDArray weight = Scalars.add(target, 1f);
        return Scalars.sub(target, 1f).neg().mul(logits).add(weight.mul(softplusNeg)).mean();
    }

    /**
     * The published trainable names ({@code requires_grad_names}) without the prompt encoder, which the published
     * training runs under {@code no_grad} so it never trains, and without the never-run {@code Depth_Adapter}
     * unless the adapter keeps it.
     */
    static Set<String> publishedTrainable(JsonNode config, boolean depthAdapter) {
        Set<String> out = new TreeSet<>();
        for (JsonNode n : config.path("requires_grad_names")) {
            String name = n.asText();
            if (!name.startsWith("prompt_encoder.") && (depthAdapter || !name.contains("Depth_Adapter"))) {
                out.add(name);
            }
        }
        return out;
    }

    /**
     * Every gradient the fixture lists ({@code grad/} in full, {@code gradsub/} strided) within {@code tolerance}
     * of that tensor's largest magnitude, floored at 1e-3 of the model's largest (tensors whose gradient is float32
     * noise, as in the models' parity tests).
     */
    static void checkGradients(Module model, Map<String, NDArray> ref, JsonNode config, String prefix,
            double encoderTolerance, java.util.function.Predicate<String> unchecked) {
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
        System.out.printf(Locale.ROOT, "%s: %d gradients, worst %.3g of its scale (%s)%n", prefix, checked, worst,
                worstName);
    }

    /**
     * Where the fixture stores no gradient tensors (an unsupported published configuration), the receiving
     * parameters and each gradient's largest magnitude and L2 norm from {@code grad_stats}.
     */
    static void checkGradientStats(Module model, JsonNode config, String tag) {
        Map<String, Parameter> params = model.namedParameters();
        Set<String> receiving = new TreeSet<>();
        params.forEach((name, p) -> {
            if (p.gradient() != null && p.gradient().abs().max().getFloat() > 0) {
                receiving.add(name);
            }
        });
        JsonNode stats = config.path("grad_stats");
        double largest = 0;
        for (JsonNode n : config.path("receives_grad_names")) {
            largest = Math.max(largest, stats.path(n.asText()).path("max_abs").asDouble());
        }
        double floor = 1e-3 * largest; // float32 noise, as in checkGradients
        for (JsonNode n : config.path("receives_grad_names")) {
            String name = n.asText();
            NDArray g = params.get(name).gradient();
            assertNotNull(g, tag + ": no gradient for " + name);
            double max = stats.path(name).path("max_abs").asDouble();
            double l2 = stats.path(name).path("l2").asDouble();
            assertEquals(max, g.abs().max().getFloat(), 1e-4 * Math.max(max, floor), tag + " largest gradient of "
                    + name);
            assertEquals(l2, Math.sqrt(g.square().sum().getFloat()), 1e-4 * Math.max(l2, floor), tag + " L2 of "
                    + name);
            receiving.remove(name);
        }
        assertEquals(Set.of(), receiving, tag + ": parameters with a non-zero gradient the fixture does not list");
    }

    /** A point prompt tensor pair: click (45, 77), label 1. */
    static NDArray[] click(NDManager m) {
        return new NDArray[] {m.create(new float[] {45, 77}, new Shape(1, 1, 2)), m.create(new float[] {1},
                new Shape(1, 1))};
    }
}
