package ai.peft4j.peft.sam;

import static ai.peft4j.models.sam.SamFixtures.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.models.sam.EfficientSam;
import ai.peft4j.models.sam.EfficientSamConfig;
import ai.peft4j.models.sam.EfficientSamPromptEncoder;
import ai.peft4j.models.sam.ImageEncoderVit;
import ai.peft4j.models.sam.MaskPrediction;
import ai.peft4j.models.sam.PromptEmbeddings;
import ai.peft4j.models.sam.Prompts;
import ai.peft4j.models.sam.Sam;
import ai.peft4j.models.sam.SamConfig;
import ai.peft4j.models.sam.SamFixtures;
import ai.peft4j.models.tinyvit.TinyVit;
import ai.peft4j.models.tinyvit.TinyVitConfig;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.PeftMethod;
import ai.peft4j.peft.adalora.RankAllocator;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@code sam-adapter}, {@code sam-lora} and {@code sam-adalora} with their published settings against
 * {@code fixtures/sam} (Medical-SAM-Adapter at 4dcdc63), one test per family and method tag: encoder block outputs,
 * image embeddings, point and box prompt outputs in eval mode; the objective and every gradient after one backward
 * pass in train mode; the trainable names; for AdaLoRA the orthogonality regulariser, its gradient and the rank
 * allocator's masking step. Base weights and adapter factors are the fixtures' closed-form values.
 */
class SamMethodsParityTest {
    private static final String[] TINYVIT_TRUNK = {"patch_embed", "layers.0", "layers.1.blocks.0", "layers.1",
        "layers.2.blocks.0", "layers.2", "layers.3.blocks.0"};

    @Test
    void samVitSamAdpt_matchesPublished() throws Exception {
        run(Family.SAM_VIT, "sam_adpt", new SamAdapter(SamAdapterConfig.published().withDepthAdapter(true)), 1e-4);
    }

    @Test
    void samVitSamLora_matchesPublished() throws Exception {
        run(Family.SAM_VIT, "sam_lora", new SamLora(SamLoraConfig.published()), 1e-4);
    }

    /** The published {@code -net sam} has no AdaLoRA block: nothing in the encoder, the decoder trains alone. */
    @Test
    void samVitSamAdalora_publishedAdaptsNothingAndTrainsTheDecoder() throws Exception {
        run(Family.SAM_VIT, "sam_adalora", new SamAdaLora(SamAdaLoraConfig.published().withAdaptEncoder(false)),
                1e-4);
    }

    /**
     * The fixture's stage 1-2 adapter gradients are not the true ones: PyTorch 1.13's CPU BatchNorm backward reads the
     * token-major gradient reaching each adapter block's {@code local_conv} BatchNorm as NCHW (the published code run
     * under torch 1.13 reproduces the fixture in float32 and float64; with that gradient made contiguous it gives
     * ours). {@code torch113BnGrad} reproduces it; the stage-3 adapters sit after that BatchNorm and match either way.
     */
    @Test
    void mobilesamSamAdpt_matchesPublishedWithTorch113BnGrad() throws Exception {
        run(Family.MOBILE_SAM, "sam_adpt", new SamAdapter(SamAdapterConfig.published().withDepthAdapter(true)
                .withTorch113BnGrad(true)), 5e-3);
    }

    /** The published TinyViT LoRA adapts contiguous thirds of the per-head qkv rows: {@link QvRows#THIRDS}. */
    @Test
    void mobilesamSamLora_matchesPublishedWithContiguousThirds() throws Exception {
        run(Family.MOBILE_SAM, "sam_lora", new SamLora(SamLoraConfig.published()), 5e-3);
    }

    @Test
    void mobilesamSamAdalora_matchesPublished() throws Exception {
        run(Family.MOBILE_SAM, "sam_adalora", new SamAdaLora(SamAdaLoraConfig.published()), 5e-3);
    }

    @Test
    void efficientsamSamAdpt_matchesPublished() throws Exception {
        run(Family.EFFICIENT_SAM, "sam_adpt", new SamAdapter(SamAdapterConfig.published().withDepthAdapter(true)),
                1e-4);
    }

    @Test
    void efficientsamSamLora_matchesPublished() throws Exception {
        run(Family.EFFICIENT_SAM, "sam_lora", new SamLora(SamLoraConfig.published()), 1e-4);
    }

    @Test
    void efficientsamSamAdalora_matchesPublished() throws Exception {
        run(Family.EFFICIENT_SAM, "sam_adalora", new SamAdaLora(SamAdaLoraConfig.published()), 1e-4);
    }

    private enum Family {
        SAM_VIT("sam-vit", "sam_vit_small.safetensors"),
        MOBILE_SAM("mobilesam", "mobilesam_small.safetensors"),
        EFFICIENT_SAM("efficientsam", "efficientsam_small.safetensors");

        final String tag;
        final String file;

        Family(String tag, String file) {
            this.tag = tag;
            this.file = file;
        }
    }

    private void run(Family family, String mod, PeftMethod method, double encoderTolerance) throws Exception {
        run(family, mod, method, encoderTolerance, name -> false);
    }

    private void run(Family family, String mod, PeftMethod method, double encoderTolerance,
            java.util.function.Predicate<String> unchecked) throws Exception {
        String tag = family.tag + "/" + mod;
        JsonNode config = SamFixtures.config(tag);
        boolean adalora = method instanceof SamAdaLora;
        try (NDManager manager = EngineSetup.newManager()) {
            Map<String, NDArray> ref = SamFixtures.tensors(manager, family.file);
            Module model = build(manager, family, !mod.equals("sam_adpt") && !mod.equals("sam_adalora")
                    || adalora && ((SamAdaLora) method).config().adaptEncoder());
            model.eval();
            ClosedFormWeights.fill(model);
            SamAdaLoraAdapter ada = adalora ? ((SamAdaLora) method).apply(model) : null;
            Attachment attachment = adalora ? ada.attachment() : method.attach(model);
            ClosedFormWeights.fill(model); // the adapter factors too, as the fixture fills them
            model.namedBuffers().get("prompt_encoder.pe_layer.positional_encoding_gaussian_matrix")
                    .replace(ref.get(family.tag + "/pe_gaussian"));
            String prefix = tag + "/";
            String evalPrefix = config.has("not_supported") ? family.tag + "/none/" : prefix;

            // Eval mode: encoder blocks, image embeddings, both prompts.
            NDArray input = ref.get("input");
            Map<String, NDArray> trunk = trunk(family, model, input);
            for (Map.Entry<String, NDArray> e : trunk.entrySet()) {
                check(ref.get(evalPrefix + "trunk/image_encoder." + e.getKey()), e.getValue(), tag + " " + e.getKey());
            }
            NDArray embeddings = encode(model, input);
            check(ref.get(evalPrefix + "image_embeddings"), embeddings, tag + " image_embeddings");
            checkPrompts(family, model, ref, evalPrefix, embeddings, manager);

            // The published trainable set.
            assertEquals(SamMethodFixtures.publishedTrainable(config, true),
                    new TreeSet<>(model.trainableParameterNames()), tag + " trainable names");

            // Train mode: one backward pass of the published objective.
            model.train(true);
            for (Parameter p : model.namedParameters().values()) {
                if (p.isTrainable()) {
                    p.attachGradient();
                }
            }
            try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                NDArray logits = trainLogits(family, model, input, manager);
                if (!config.has("not_supported")) {
                    check(ref.get(prefix + "train/point/low_res_logits"), logits, tag + " train low_res_logits");
                }
                NDArray loss = SamFixtures.bceLoss(logits, ref.get("target"));
                double bce = config.path("loss_bce").asDouble();
                assertEquals(bce, loss.getFloat(), 1e-5 * bce, tag + " loss");
                if (adalora && config.has("orth_regu")) {
                    NDArray orth = ada.orthogonalPenalty(manager);
                    double want = config.path("orth_regu").asDouble();
                    assertEquals(want, orth.getFloat(), 1e-5 * want, tag + " orthogonality regulariser");
                    loss = loss.add(orth);
                }
                double objective = config.path("objective").asDouble();
                assertEquals(objective, loss.getFloat(), 1e-5 * objective, tag + " objective");
                gc.backward(loss);
            }
            if (config.has("not_supported")) {
                SamMethodFixtures.checkGradientStats(model, config, tag);
            } else {
                SamFixtures.checkGradients(model, ref, config, prefix, encoderTolerance, unchecked);
            }
            if (adalora && config.has("rank_allocator")) {
                checkRankAllocatorDemo(ada, ref, config, prefix);
                checkOrthogonalGradients(ada, ref, prefix, manager);
            }
            attachment.deactivate();
        }
    }

    /**
     * The fixture's demo allocator ({@code lora_r} 4, {@code target_rank} 2, no warmups, mask every step, 10 steps)
     * called at step 5 right after the backward pass: the same triplet scores and the same zeroed singular values.
     */
    private static void checkRankAllocatorDemo(SamAdaLoraAdapter ada, Map<String, NDArray> ref, JsonNode config,
            String prefix) {
        JsonNode demo = config.path("rank_allocator").path("demo");
        JsonNode p = demo.path("params");
        SamAdaLoraConfig c = SamAdaLoraConfig.defaults().withSchedule(p.path("target_rank").asInt(),
                p.path("init_warmup").asInt(), p.path("final_warmup").asInt(), p.path("mask_interval").asInt(),
                p.path("total_step").asInt());
        try (SamAdaLoraAdapter demoAdapter = new SamAdaLoraAdapter(c, ada.attachment(), ada.triplets())) {
            RankAllocator allocator = demoAdapter.rankAllocator();
            assertEquals(demo.path("total_rank").asInt(), allocator.initialBudget(), "initial budget");
            assertEquals(demo.path("target_total_rank").asInt(), allocator.targetBudget(), "target budget");
            RankAllocator.Budget b = demoAdapter.updateAndMask(demo.path("step").asInt());
            assertEquals(demo.path("curr_rank").asInt(), b.budget(), "budget at the demo step");
            assertTrue(b.mask(), "the demo step masks");
            Map<String, float[]> scores = allocator.tripletScores();
            int zeroed = 0;
            for (Map.Entry<String, RankAllocator.Triplets> t : ada.triplets().entrySet()) {
                String e = t.getValue().eName();
                NDArray want = ref.get(prefix + "rank_alloc/score/" + e);
                float[] got = scores.get(t.getKey());
                float[] w = want.toFloatArray();
                for (int i = 0; i < w.length; i++) {
                    assertEquals(w[i], got[i], 1e-3 * Math.abs(w[i]), e + " score " + i);
                }
                List<Integer> zeros = new ArrayList<>();
                float[] after = t.getValue().e().data().toFloatArray();
                for (int i = 0; i < after.length; i++) {
                    if (after[i] == 0f) {
                        zeros.add(i);
                    }
                }
                List<Integer> expected = new ArrayList<>();
                demo.path("zeroed_indices").path(e).forEach(n -> expected.add(n.asInt()));
                assertEquals(expected, zeros, e + " zeroed singular values");
                check(ref.get(prefix + "rank_alloc/E_after/" + e), t.getValue().e().data(), e + " after masking");
                zeroed += zeros.size();
            }
            assertEquals(demo.path("n_zeroed").asInt(), zeroed, "zeroed in all");
        }
    }

    /**
     * The regulariser's own gradient on every A and B ({@code grad_orth/}): what a second backward pass of the
     * regulariser alone adds to the gradients (the engine accumulates them).
     */
    private static void checkOrthogonalGradients(SamAdaLoraAdapter ada, Map<String, NDArray> ref, String prefix,
            NDManager manager) {
        Map<String, NDArray> before = new LinkedHashMap<>();
        for (RankAllocator.Triplets t : ada.triplets().values()) {
            before.put(t.aName(), t.a().gradient().duplicate());
            before.put(t.bName(), t.b().gradient().duplicate());
        }
        try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
            gc.backward(ada.orthogonalPenalty(manager));
        }
        for (RankAllocator.Triplets t : ada.triplets().values()) {
            checkRelative(ref.get(prefix + "grad_orth/" + t.aName()), t.a().gradient().sub(before.get(t.aName())),
                    t.aName());
            checkRelative(ref.get(prefix + "grad_orth/" + t.bName()), t.b().gradient().sub(before.get(t.bName())),
                    t.bName());
        }
    }

    private static void checkRelative(NDArray want, NDArray got, String what) {
        double scale = want.abs().max().getFloat();
        double diff = ai.peft4j.core.testing.Tensors.maxAbsDiff(want, got);
        assertTrue(diff <= 1e-4 * scale, what + " orthogonality gradient differs by " + diff + " of " + scale);
    }

    /**
     * The fixture's small model of the family. Published LoRA and AdaLoRA blocks build their global attention's
     * relative position tables for a 64x64 grid (127 rows) whatever the input size; {@code loraTables} rebuilds the
     * base that way before the closed-form fill (SAM ViT: the global block; EfficientSAM: every block).
     */
    private static Module build(NDManager manager, Family family, boolean loraTables) {
        Module model;
        switch (family) {
            case SAM_VIT:
                model = new Sam(manager, SamConfig.fixture());
                if (loraTables) {
                    widenRelTables(model, manager, List.of(1));
                }
                return model;
            case MOBILE_SAM:
                return Sam.mobileSam(manager, TinyVitConfig.fixture(), new SamConfig.Decoder(2, 8, 64, 3, 32, 4, 2,
                        1));
            default:
                model = new EfficientSam(manager, EfficientSamConfig.fixture());
                if (loraTables) {
                    widenRelTables(model, manager, List.of(0, 1));
                }
                return model;
        }
    }

    private static void widenRelTables(Module model, NDManager manager, List<Integer> blocks) {
        for (int i : blocks) {
            Module attn = model.module("image_encoder.blocks." + i + ".attn");
            for (String name : List.of("rel_h", "rel_w")) {
                long dim = attn.parameter(name).shape().get(1);
                attn.removeParameter(name);
                attn.addParameter(name, new Parameter(manager.zeros(new Shape(127, dim))));
            }
        }
    }

    private static Map<String, NDArray> trunk(Family family, Module model, NDArray input) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (family == Family.MOBILE_SAM) {
            List<NDArray> t = ((TinyVit) model.module("image_encoder")).trunk(input);
            for (int i = 0; i < TINYVIT_TRUNK.length; i++) {
                out.put(TINYVIT_TRUNK[i], t.get(i));
            }
        } else {
            List<NDArray> t = ((ImageEncoderVit) model.module("image_encoder")).trunk(input);
            out.put("patch_embed", t.get(0));
            for (int i = 1; i < t.size(); i++) {
                out.put("blocks." + (i - 1), t.get(i));
            }
        }
        return out;
    }

    private static NDArray encode(Module model, NDArray input) {
        return model instanceof Sam s ? s.encodeImage(input) : ((EfficientSam) model).encodeImage(input);
    }

    private static void checkPrompts(Family family, Module model, Map<String, NDArray> ref, String prefix,
            NDArray embeddings, NDManager m) {
        Map<String, NDArray[]> prompts = new LinkedHashMap<>();
        prompts.put("point", SamMethodFixtures.click(m));
        prompts.put("box", new NDArray[] {m.create(new float[] {20, 30, 100, 90}, new Shape(1, 4))});
        for (Map.Entry<String, NDArray[]> e : prompts.entrySet()) {
            String p = prefix + e.getKey() + "/";
            MaskPrediction out;
            if (model instanceof Sam sam) {
                Prompts prompt = e.getValue().length == 2 ? Prompts.points(e.getValue()[0], e.getValue()[1])
                        : Prompts.boxes(e.getValue()[0]);
                PromptEmbeddings pe = sam.promptEncoder().forward(prompt);
                check(ref.get(p + "sparse_embeddings"), pe.sparse(), p + "sparse_embeddings");
                out = sam.predict(embeddings, prompt, false);
            } else {
                EfficientSam sam = (EfficientSam) model;
                NDList prompt = e.getValue().length == 2
                        ? EfficientSamPromptEncoder.publishedTrainingPrompt(e.getValue()[0], e.getValue()[1], 128,
                                128, 6)
                        : EfficientSamPromptEncoder.publishedTrainingPrompt(e.getValue()[0].reshape(1, 2, 2),
                                m.create(new float[] {2, 3}, new Shape(1, 2)), 128, 128, 6);
                NDArray sparse = sam.promptEncoder().forward(prompt.get(0), prompt.get(1));
                check(ref.get(p + "sparse_embeddings"), sparse.expandDims(1), p + "sparse_embeddings");
                out = sam.predict(embeddings, prompt.get(0), prompt.get(1), false);
            }
            check(ref.get(p + "low_res_logits"), out.masks(), p + "low_res_logits");
            check(ref.get(p + "iou_predictions"), out.iou(), p + "iou_predictions");
        }
    }

    private static NDArray trainLogits(Family family, Module model, NDArray input, NDManager m) {
        NDArray[] click = SamMethodFixtures.click(m);
        if (model instanceof Sam sam) {
            return sam.predict(sam.encodeImage(input), Prompts.points(click[0], click[1]), false).masks();
        }
        EfficientSam sam = (EfficientSam) model;
        NDList prompt = EfficientSamPromptEncoder.publishedTrainingPrompt(click[0], click[1], 128, 128, 6);
        return sam.predict(sam.encodeImage(input), prompt.get(0), prompt.get(1), false).masks();
    }
}
