package ai.peft4j.peft.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.models.sam.SamFixtures;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What only the method parity tests read of the SAM reference fixtures ({@code fixtures/sam}, Medical-SAM-Adapter at
 * 4dcdc63): the published trainable names, gradient statistics and the click prompt. The tensors, the JSON, the
 * tolerances, the loss and the gradient check are {@link SamFixtures}', from peft4j-models' test-jar.
 */
final class SamMethodFixtures {
    private SamMethodFixtures() {}

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
        double floor = 1e-3 * largest; // float32 noise, as in SamFixtures.checkGradients
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
