package ai.peft4j.models.sam;

import static ai.peft4j.models.sam.SamFixtures.assertStateDict;
import static ai.peft4j.models.sam.SamFixtures.check;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * EfficientSAM ({@code -net efficient_sam}) against {@code fixtures/sam/efficientsam_small.safetensors}, with the
 * prompts as Medical-SAM-Adapter's {@code transform_prompt} prepares them (coordinates times 1024 / 128, padded to 6
 * points); the full-size ViT-T and ViT-S against {@code param_counts_full.json}.
 */
class EfficientSamParityTest {

    @Test
    void efficientsamNone_trunkAndImageEmbeddingsMatchPublished() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SamFixtures.tensors(manager, "efficientsam_small.safetensors");
            EfficientSam sam = fixtureModel(manager, ref);
            List<NDArray> trunk = ((ImageEncoderVit) sam.module("image_encoder")).trunk(ref.get("input"));
            check(ref.get("efficientsam/none/trunk/image_encoder.patch_embed"), trunk.get(0), "patch_embed");
            for (int i = 0; i < 2; i++) {
                check(ref.get("efficientsam/none/trunk/image_encoder.blocks." + i), trunk.get(1 + i), "blocks." + i);
            }
            check(ref.get("efficientsam/none/image_embeddings"), sam.encodeImage(ref.get("input")),
                    "image_embeddings");
            check(ref.get("efficientsam/dense_pe"), sam.promptEncoder().densePositionalEncoding(), "dense_pe");
        }
    }

    @Test
    void efficientsamNone_pointPromptMatchesPublishedMasksAndIou() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SamFixtures.tensors(manager, "efficientsam_small.safetensors");
            EfficientSam sam = fixtureModel(manager, ref);
            checkPrompt(sam, ref, "point", manager.create(new float[] {45, 77}, new Shape(1, 1, 2)),
                    manager.create(new float[] {1}, new Shape(1, 1)));
        }
    }

    @Test
    void efficientsamNone_boxPromptMatchesPublishedMasksAndIou() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SamFixtures.tensors(manager, "efficientsam_small.safetensors");
            EfficientSam sam = fixtureModel(manager, ref);
            checkPrompt(sam, ref, "box", manager.create(new float[] {20, 30, 100, 90}, new Shape(1, 2, 2)),
                    manager.create(new float[] {2, 3}, new Shape(1, 2)));
        }
    }

    /** One backward pass of the published objective on the point prompt: the loss and every gradient. */
    @Test
    void efficientsamNone_objectiveAndGradientsMatchPublished() throws Exception {
        JsonNode config = SamFixtures.config("efficientsam/none");
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SamFixtures.tensors(manager, "efficientsam_small.safetensors");
            EfficientSam sam = fixtureModel(manager, ref);
            sam.train(true);
            NDList prompt = EfficientSamPromptEncoder.publishedTrainingPrompt(
                    manager.create(new float[] {45, 77}, new Shape(1, 1, 2)),
                    manager.create(new float[] {1}, new Shape(1, 1)), 128, 128, 6);
            sam.namedParameters().values().forEach(Parameter::attachGradient);
            try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                NDArray logits = sam.predict(sam.encodeImage(ref.get("input")), prompt.get(0), prompt.get(1), false)
                        .masks();
                check(ref.get("efficientsam/none/train/point/low_res_logits"), logits, "train/point/low_res_logits");
                NDArray loss = SamFixtures.bceLoss(logits, ref.get("target"));
                double want = config.path("loss_bce").asDouble();
                assertEquals(want, loss.getFloat(), 1e-5 * want, "loss");
                gc.backward(loss);
            }
            SamFixtures.checkGradients(sam, ref, config, "efficientsam/none/", 1e-4);
        }
    }

    @Test
    void efficientsamNone_stateDictKeysShapesAndTotalMatchPublished() throws Exception {
        JsonNode config = SamFixtures.config("efficientsam/none");
        try (NDManager manager = EngineSetup.newManager()) {
            EfficientSam sam = new EfficientSam(manager, EfficientSamConfig.fixture());
            assertStateDict(config, sam, "");
            assertEquals(config.path("counts").path("total").asLong(), sam.parameterCount(), "parameter total");
        }
    }

    @Test
    void efficientsamVitTAndVitS_parameterTotalsMatchPublished() throws Exception {
        try (NDManager manager = EngineSetup.newManager()) {
            assertEquals(SamFixtures.fullCounts("efficient_sam/vit_t/1024/none").path("total").asLong(),
                    new EfficientSam(manager, EfficientSamConfig.vitT(1024)).parameterCount(), "ViT-T at 1024");
            assertEquals(SamFixtures.fullCounts("efficient_sam/vit_t/256/none").path("total").asLong(),
                    new EfficientSam(manager, EfficientSamConfig.vitT(256)).parameterCount(), "ViT-T at 256");
        }
        try (NDManager manager = EngineSetup.newManager()) {
            EfficientSam s = new EfficientSam(manager, EfficientSamConfig.vitS(1024));
            JsonNode counts = SamFixtures.fullCounts("efficient_sam/vit_s/1024/none");
            assertEquals(counts.path("total").asLong(), s.parameterCount(), "ViT-S at 1024");
            assertEquals(counts.path("requires_grad_image_encoder").asLong(),
                    s.module("image_encoder").parameterCount(), "ViT-S encoder");
        }
    }

    private static void checkPrompt(EfficientSam sam, Map<String, NDArray> ref, String name, NDArray points,
            NDArray labels) {
        String p = "efficientsam/none/" + name + "/";
        NDList prompt = EfficientSamPromptEncoder.publishedTrainingPrompt(points, labels, 128, 128, 6);
        NDArray sparse = sam.promptEncoder().forward(prompt.get(0), prompt.get(1));
        check(ref.get(p + "sparse_embeddings"), sparse.expandDims(1), p + "sparse_embeddings");
        NDArray embeddings = sam.encodeImage(ref.get("input"));
        MaskPrediction all = sam.maskDecoder().predictMasks(embeddings,
                sam.promptEncoder().densePositionalEncoding(), sparse);
        check(ref.get(p + "masks_all_tokens"), all.masks(), p + "masks_all_tokens");
        check(ref.get(p + "iou_all_tokens"), all.iou(), p + "iou_all_tokens");
        MaskPrediction out = sam.predict(embeddings, prompt.get(0), prompt.get(1), false);
        check(ref.get(p + "low_res_logits"), out.masks(), p + "low_res_logits");
        check(ref.get(p + "iou_predictions"), out.iou(), p + "iou_predictions");
    }

    private static EfficientSam fixtureModel(NDManager manager, Map<String, NDArray> ref) {
        EfficientSam sam = new EfficientSam(manager, EfficientSamConfig.fixture());
        sam.eval();
        ClosedFormWeights.fill(sam);
        sam.namedBuffers().get("prompt_encoder.pe_layer.positional_encoding_gaussian_matrix")
                .replace(ref.get("efficientsam/pe_gaussian"));
        return sam;
    }
}
