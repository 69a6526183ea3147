package ai.peft4j.models.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.core.testing.Tensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The SAM reference fixtures ({@code fixtures/sam}, Medical-SAM-Adapter at 4dcdc63) for the parity tests: the
 * stored tensors, the JSON description, the prompts (click (45, 77) with label 1, box (20, 30, 100, 90)) and the
 * README's tolerance of 1e-4 absolute on outputs.
 */
final class SamFixtures {
    static final double TOLERANCE = 1e-4;
    private static final String DIR = "fixtures/sam/";

    private SamFixtures() {}

    static Map<String, NDArray> tensors(NDManager manager, String file) throws Exception {
        return SafetensorsFile.read(SharedFiles.require(DIR + file), manager).tensors();
    }

    static JsonNode config(String tag) throws Exception {
        return new ObjectMapper().readTree(SharedFiles.require(DIR + "sam_small.json").toFile()).path("configs")
                .path(tag);
    }

    static JsonNode fullCounts(String tag) throws Exception {
        return new ObjectMapper().readTree(SharedFiles.require(DIR + "param_counts_full.json").toFile())
                .path("counts").path(tag);
    }

    /** Asserts closeness and prints the difference, so a run shows how much room the tolerance leaves. */
    static void check(NDArray expected, NDArray actual, String what) {
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
