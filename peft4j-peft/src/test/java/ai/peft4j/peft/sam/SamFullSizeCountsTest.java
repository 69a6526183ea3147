package ai.peft4j.peft.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.models.sam.Sam;
import ai.peft4j.models.sam.SamConfig;
import ai.peft4j.models.sam.SamFixtures;
import ai.peft4j.models.sam.SamVariant;
import ai.peft4j.models.tinyvit.TinyVitConfig;
import ai.peft4j.peft.PeftMethod;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The published trainable counts at full size and 1024 input ({@code param_counts_full.json}: the training rule,
 * prompt encoder excluded since it runs under {@code no_grad}) for SAM ViT-B and MobileSAM under each method with
 * its published settings.
 */
class SamFullSizeCountsTest {
    private static final Map<String, PeftMethod> SAM_VIT = Map.of(
            "sam_adpt", new SamAdapter(SamAdapterConfig.published().withDepthAdapter(true)),
            "sam_lora", new SamLora(SamLoraConfig.published()),
            "sam_adalora", new SamAdaLora(SamAdaLoraConfig.published().withAdaptEncoder(false)));

    @Test
    void samVitB1024_trainableCountsPerMethodMatchPublished() throws Exception {
        check("sam/vit_b/1024/", m -> new Sam(m, SamConfig.vitB(1024, SamVariant.MSA)), SAM_VIT);
    }

    @Test
    void mobileSam1024_trainableCountsPerMethodMatchPublished() throws Exception {
        check("mobile_sam/tiny_vit/1024/", m -> Sam.mobileSam(m, TinyVitConfig.mobileSam(1024),
                SamConfig.Decoder.published()), Map.of(
                        "sam_adpt", new SamAdapter(SamAdapterConfig.published().withDepthAdapter(true)),
                        "sam_lora", new SamLora(SamLoraConfig.published()),
                        "sam_adalora", new SamAdaLora(SamAdaLoraConfig.published())));
    }

    private static void check(String prefix, Function<NDManager, Sam> build, Map<String, PeftMethod> methods)
            throws Exception {
        for (Map.Entry<String, PeftMethod> e : methods.entrySet()) {
            JsonNode counts = SamFixtures.fullCounts(prefix + e.getKey());
            try (NDManager m = EngineSetup.newManager()) {
                Sam sam = build.apply(m);
                e.getValue().attach(sam);
                long encoder = sam.module("image_encoder").trainableParameterCount();
                assertEquals(counts.path("requires_grad_image_encoder").asLong(), encoder, prefix + e.getKey()
                        + " encoder");
                assertEquals(counts.path("requires_grad_without_prompt_encoder").asLong(),
                        sam.trainableParameterCount(), prefix + e.getKey() + " trainable");
            }
        }
    }
}
