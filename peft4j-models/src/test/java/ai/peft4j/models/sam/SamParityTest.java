package ai.peft4j.models.sam;

import static ai.peft4j.models.sam.SamFixtures.assertStateDict;
import static ai.peft4j.models.sam.SamFixtures.boxPrompt;
import static ai.peft4j.models.sam.SamFixtures.check;
import static ai.peft4j.models.sam.SamFixtures.checkPrompt;
import static ai.peft4j.models.sam.SamFixtures.loadFourierMatrix;
import static ai.peft4j.models.sam.SamFixtures.pointPrompt;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SAM against the published PyTorch code ({@code fixtures/sam}, Medical-SAM-Adapter at 4dcdc63): closed-form
 * weights, the fixture's random Fourier matrix, eval mode, input {@code [1, 3, 128, 128]}; the click (45, 77) and
 * the box (20, 30, 100, 90). Outputs within 1e-4 absolute, as the fixture README asks.
 */
class SamParityTest {

    @Test
    void samVitNone_trunkAndImageEmbeddingsMatchPublished() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SamFixtures.tensors(manager, "sam_vit_small.safetensors");
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
            Map<String, NDArray> ref = SamFixtures.tensors(manager, "sam_vit_small.safetensors");
            Sam sam = fixtureSam(manager, ref);
            check(ref.get("sam-vit/dense_pe"), sam.promptEncoder().densePositionalEncoding(), "dense_pe");
        }
    }

    @Test
    void samVitNone_pointPromptMatchesPublishedMasksAndIou() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SamFixtures.tensors(manager, "sam_vit_small.safetensors");
            Sam sam = fixtureSam(manager, ref);
            checkPrompt(sam, ref, "sam-vit/none/", "point", pointPrompt(manager), sam.encodeImage(ref.get("input")));
        }
    }

    @Test
    void samVitNone_boxPromptMatchesPublishedMasksAndIou() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SamFixtures.tensors(manager, "sam_vit_small.safetensors");
            Sam sam = fixtureSam(manager, ref);
            checkPrompt(sam, ref, "sam-vit/none/", "box", boxPrompt(manager), sam.encodeImage(ref.get("input")));
        }
    }

    @Test
    void samVitNone_postprocessedMasksMatchPublished() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SamFixtures.tensors(manager, "sam_vit_small.safetensors");
            Sam sam = fixtureSam(manager, ref);
            NDArray low = ref.get("sam-vit/none/point/low_res_logits");
            NDArray masks = sam.postprocessMasks(low, 96, 128, 150, 200);
            check(ref.get("sam-vit/none/point/postprocessed_masks"), masks, "postprocessed_masks");
        }
    }

    @Test
    void samVitNone_stateDictKeysShapesAndTotalMatchPublished() throws Exception {
        JsonNode config = SamFixtures.config("sam-vit/none");
        try (NDManager manager = EngineSetup.newManager()) {
            Sam sam = new Sam(manager, SamConfig.fixture());
            assertStateDict(config, sam, "");
            assertEquals(config.path("counts").path("total").asLong(), sam.parameterCount(), "parameter total");
            List<String> names = new ArrayList<>();
            config.path("parameters").forEach(n -> names.add(n.asText()));
            assertEquals(names, List.copyOf(sam.namedParameters().keySet()), "parameters in order");
        }
    }

    /** One backward pass of the published objective on the point prompt: the loss and every gradient. */
    @Test
    void samVitNone_objectiveAndGradientsMatchPublished() throws Exception {
        JsonNode config = SamFixtures.config("sam-vit/none");
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SamFixtures.tensors(manager, "sam_vit_small.safetensors");
            Sam sam = fixtureSam(manager, ref);
            sam.train(true);
            NDArray input = ref.get("input");
            sam.namedParameters().values().forEach(Parameter::attachGradient);
            try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                NDArray logits = sam.predict(sam.encodeImage(input), pointPrompt(manager), false).masks();
                check(ref.get("sam-vit/none/train/point/low_res_logits"), logits, "train/point/low_res_logits");
                NDArray loss = SamFixtures.bceLoss(logits, ref.get("target"));
                assertEquals(config.path("loss_bce").asDouble(), loss.getFloat(), 1e-5 * config.path("loss_bce")
                        .asDouble(), "loss");
                gc.backward(loss);
            }
            SamFixtures.checkGradients(sam, ref, config, "sam-vit/none/", 1e-4);
        }
    }

    /**
     * segment-anything's decoder arithmetic (MobileSAM's decoder: SAM's own two-way transformer, {@code mlp.lin1/lin2})
     * on the fixture's MobileSAM image embeddings, so the encoder does not take part.
     */
    @Test
    void mobilesamNone_originalDecoderMatchesPublishedFromImageEmbeddings() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SamFixtures.tensors(manager, "mobilesam_small.safetensors");
            PromptEncoder prompt = new PromptEncoder(manager, 256, 8, 128, 16);
            MaskDecoder decoder = new MaskDecoder(manager, 256, new SamConfig.Decoder(2, 8, 64, 3, 32, 4, 2, 1),
                    SamVariant.ORIGINAL);
            Sam sam = new Sam(new PassThrough(), prompt, decoder, 128);
            assertStateDict(SamFixtures.config("mobilesam/none"), sam, "image_encoder.");
            sam.eval();
            ClosedFormWeights.fill(sam);
            loadFourierMatrix(sam, ref.get("mobilesam/pe_gaussian"));
            check(ref.get("mobilesam/dense_pe"), prompt.densePositionalEncoding(), "dense_pe");
            NDArray embeddings = ref.get("mobilesam/none/image_embeddings");
            checkPrompt(sam, ref, "mobilesam/none/", "point", pointPrompt(manager), embeddings);
            checkPrompt(sam, ref, "mobilesam/none/", "box", boxPrompt(manager), embeddings);
        }
    }

    /** The fixture's small {@code -net sam} with closed-form weights and the stored Fourier matrix, in eval mode. */
    static Sam fixtureSam(NDManager manager, Map<String, NDArray> ref) {
        Sam sam = new Sam(manager, SamConfig.fixture());
        sam.eval();
        ClosedFormWeights.fill(sam);
        loadFourierMatrix(sam, ref.get("sam-vit/pe_gaussian"));
        return sam;
    }

    /** Stands in for the image encoder where the test starts from stored image embeddings. */
    private static final class PassThrough extends Module implements Layer {
        @Override
        public NDArray forward(NDArray x) {
            return x;
        }
    }
}
