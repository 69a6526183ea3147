package ai.peft4j.models.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.core.testing.Tensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SAM against the published PyTorch code ({@code fixtures/sam}, Medical-SAM-Adapter at 4dcdc63): closed-form
 * weights, the fixture's random Fourier matrix, eval mode, input {@code [1, 3, 128, 128]}; the click (45, 77) and
 * the box (20, 30, 100, 90). Outputs within 1e-4 absolute, as the fixture README asks.
 */
class SamParityTest {
    private static final String DIR = "fixtures/sam/";
    private static final double TOLERANCE = 1e-4;

    /** Asserts closeness and prints the difference, so a run shows how much room the tolerance leaves. */
    private static void check(NDArray expected, NDArray actual, String what) {
        System.out.printf(java.util.Locale.ROOT, "%s: max |difference| %.3g%n", what,
                Tensors.maxAbsDiff(expected, actual));
        Tensors.assertClose(expected, actual, TOLERANCE, what);
    }

    @Test
    void samVitNone_trunkAndImageEmbeddingsMatchPublished() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = tensors(manager, "sam_vit_small.safetensors");
            Sam sam = fixtureSam(manager, ref);
            ImageEncoderVit encoder = (ImageEncoderVit) sam.module("image_encoder");
            List<NDArray> trunk = encoder.trunk(ref.get("input"));
            check(ref.get("sam-vit/none/trunk/image_encoder.patch_embed"), trunk.get(0), "patch_embed");
            for (int i = 0; i < 2; i++) {
                check(ref.get("sam-vit/none/trunk/image_encoder.blocks." + i), trunk.get(1 + i), "blocks." + i);
            }
            check(ref.get("sam-vit/none/image_embeddings"), sam.encodeImage(ref.get("input")), "image_embeddings");
        }
    }

    @Test
    void samVitNone_densePositionalEncodingMatchesPublished() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = tensors(manager, "sam_vit_small.safetensors");
            Sam sam = fixtureSam(manager, ref);
            check(ref.get("sam-vit/dense_pe"), sam.promptEncoder().densePositionalEncoding(), "dense_pe");
        }
    }

    @Test
    void samVitNone_pointPromptMatchesPublishedMasksAndIou() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = tensors(manager, "sam_vit_small.safetensors");
            Sam sam = fixtureSam(manager, ref);
            checkPrompt(sam, ref, "sam-vit/none/", "point", pointPrompt(manager), sam.encodeImage(ref.get("input")));
        }
    }

    @Test
    void samVitNone_boxPromptMatchesPublishedMasksAndIou() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = tensors(manager, "sam_vit_small.safetensors");
            Sam sam = fixtureSam(manager, ref);
            checkPrompt(sam, ref, "sam-vit/none/", "box", boxPrompt(manager), sam.encodeImage(ref.get("input")));
        }
    }

    @Test
    void samVitNone_postprocessedMasksMatchPublished() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = tensors(manager, "sam_vit_small.safetensors");
            Sam sam = fixtureSam(manager, ref);
            NDArray low = ref.get("sam-vit/none/point/low_res_logits");
            NDArray masks = sam.postprocessMasks(low, 96, 128, 150, 200);
            check(ref.get("sam-vit/none/point/postprocessed_masks"), masks, "postprocessed_masks");
        }
    }

    @Test
    void samVitNone_stateDictKeysShapesAndTotalMatchPublished() throws Exception {
        JsonNode config = fixture().path("configs").path("sam-vit/none");
        try (NDManager manager = EngineSetup.newManager()) {
            Sam sam = new Sam(manager, SamConfig.fixture());
            assertStateDict(config, sam, "");
            assertEquals(config.path("counts").path("total").asLong(), sam.parameterCount(), "parameter total");
            List<String> names = new ArrayList<>();
            config.path("parameters").forEach(n -> names.add(n.asText()));
            assertEquals(names, List.copyOf(sam.namedParameters().keySet()), "parameters in order");
        }
    }

    /**
     * segment-anything's decoder arithmetic (MobileSAM's decoder: SAM's own two-way transformer, {@code mlp.lin1/lin2})
     * on the fixture's MobileSAM image embeddings, so the encoder does not take part.
     */
    @Test
    void mobilesamNone_originalDecoderMatchesPublishedFromImageEmbeddings() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = tensors(manager, "mobilesam_small.safetensors");
            PromptEncoder prompt = new PromptEncoder(manager, 256, 8, 128, 16);
            MaskDecoder decoder = new MaskDecoder(manager, 256, new SamConfig.Decoder(2, 8, 64, 3, 32, 4, 2, 1),
                    SamVariant.ORIGINAL);
            Sam sam = new Sam(new PassThrough(), prompt, decoder, 128);
            assertStateDict(fixture().path("configs").path("mobilesam/none"), sam, "image_encoder.");
            sam.eval();
            ClosedFormWeights.fill(sam);
            loadFourierMatrix(sam, ref.get("mobilesam/pe_gaussian"));
            check(ref.get("mobilesam/dense_pe"), prompt.densePositionalEncoding(), "dense_pe");
            NDArray embeddings = ref.get("mobilesam/none/image_embeddings");
            checkPrompt(sam, ref, "mobilesam/none/", "point", pointPrompt(manager), embeddings);
            checkPrompt(sam, ref, "mobilesam/none/", "box", boxPrompt(manager), embeddings);
        }
    }

    private static void checkPrompt(Sam sam, Map<String, NDArray> ref, String prefix, String name, Prompts prompts,
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

    private static Prompts pointPrompt(NDManager manager) {
        return Prompts.points(manager.create(new float[] {45, 77}, new Shape(1, 1, 2)),
                manager.create(new float[] {1}, new Shape(1, 1)));
    }

    private static Prompts boxPrompt(NDManager manager) {
        return Prompts.boxes(manager.create(new float[] {20, 30, 100, 90}, new Shape(1, 4)));
    }

    /** The fixture's small {@code -net sam} with closed-form weights and the stored Fourier matrix, in eval mode. */
    private static Sam fixtureSam(NDManager manager, Map<String, NDArray> ref) {
        Sam sam = new Sam(manager, SamConfig.fixture());
        sam.eval();
        ClosedFormWeights.fill(sam);
        loadFourierMatrix(sam, ref.get("sam-vit/pe_gaussian"));
        return sam;
    }

    /** The random Fourier matrix is a buffer the closed-form fill leaves alone; the fixture stores it. */
    private static void loadFourierMatrix(Sam sam, NDArray matrix) {
        sam.namedBuffers().get("prompt_encoder.pe_layer.positional_encoding_gaussian_matrix").replace(matrix);
    }

    /** Stands in for the image encoder where the test starts from stored image embeddings. */
    private static final class PassThrough extends Module implements Layer {
        @Override
        public NDArray forward(NDArray x) {
            return x;
        }
    }

    /** The model's state dict equals the fixture's, keys in order and shapes, leaving out keys under {@code skip}. */
    private static void assertStateDict(JsonNode config, Module model, String skip) {
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

    private static Map<String, NDArray> tensors(NDManager manager, String file) throws Exception {
        return SafetensorsFile.read(SharedFiles.require(DIR + file), manager).tensors();
    }

    private static JsonNode fixture() throws Exception {
        Path json = SharedFiles.require(DIR + "sam_small.json");
        return new ObjectMapper().readTree(json.toFile());
    }
}
