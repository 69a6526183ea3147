package ai.peft4j.peft.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.models.sam.Prompts;
import ai.peft4j.models.sam.Sam;
import ai.peft4j.models.sam.SamConfig;
import ai.peft4j.models.tinyvit.TinyVitConfig;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.adalora.RankAllocator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The corrected defaults of the SAM methods and their checks: q/v rows per head, a pruning allocator. */
class SamMethodsTest {

    /**
     * TinyViT's qkv rows are per head {@code [q_h k_h v_h]}: with {@code HEADS} the update reaches q and v of every
     * head and no k row; with the published {@code THIRDS} it reaches the first and last third of the rows, k rows
     * of some heads included.
     */
    @Test
    void samLoraOnTinyVit_headsAdaptsQAndVOfEveryHead_thirdsAdaptsContiguousRows() {
        for (QvRows rows : QvRows.values()) {
            try (NDManager m = EngineSetup.newManager()) {
                Sam sam = Sam.mobileSam(m, TinyVitConfig.fixture(), new SamConfig.Decoder(2, 8, 64, 3, 32, 4, 2, 1));
                sam.eval();
                ClosedFormWeights.fill(sam);
                Attachment a = new SamLora(new SamLoraConfig(4, 1, rows, true)).attach(sam);
                ClosedFormWeights.fill(sam); // lora_B non-zero, so the update shows
                String attn = "image_encoder.layers.3.blocks.0.attn"; // 5 heads of 64
                NDArray[] seen = new NDArray[1];
                sam.module(attn + ".qkv").addForwardHook((mod, in, out) -> {
                    seen[0] = out;
                    return out;
                });
                NDArray x = ClosedFormWeights.sinusoid(m, new Shape(1, 64, 320), 0.0123);
                ((Layer) sam.module(attn)).forward(x);
                NDArray adapted = seen[0];
                a.setEnabled(false);
                ((Layer) sam.module(attn)).forward(x);
                float[] delta = adapted.sub(seen[0]).abs().reshape(-1, 960).max(new int[] {0})
                        .toFloatArray(); // per row
                int heads = 5;
                int d = 64;
                for (int h = 0; h < heads; h++) {
                    for (int part = 0; part < 3; part++) {
                        float most = 0;
                        for (int j = 0; j < d; j++) {
                            most = Math.max(most, delta[(h * 3 + part) * d + j]);
                        }
                        int row = (h * 3 + part) * d;
                        boolean adaptedRow = rows == QvRows.HEADS ? part != 1 : row < 320 || row >= 640;
                        assertEquals(adaptedRow, most > 0, rows + ": head " + h + " part " + "qkv".charAt(part));
                    }
                }
            }
        }
    }

    /** One allocator over the whole schedule prunes to the target budget: 2 ranks per adapted Linear. */
    @Test
    void samAdaLoraPersistentAllocator_reachesTheTargetBudget() {
        try (NDManager m = EngineSetup.newManager()) {
            Sam sam = new Sam(m, SamConfig.fixture());
            sam.eval();
            ClosedFormWeights.fill(sam);
            SamAdaLoraConfig config = SamAdaLoraConfig.defaults().withSchedule(2, 1, 2, 1, 8);
            try (SamAdaLoraAdapter adapter = new SamAdaLora(config).apply(sam)) {
                ClosedFormWeights.fill(sam); // E non-zero, so every factor has an importance
                RankAllocator allocator = adapter.rankAllocator();
                assertEquals(4 * 6, allocator.initialBudget());
                NDArray image = ClosedFormWeights.sinusoid(m, new Shape(1, 3, 128, 128), 0.0123);
                Prompts click = Prompts.points(m.create(new float[] {45, 77}, new Shape(1, 1, 2)),
                        m.create(new float[] {1}, new Shape(1, 1)));
                for (int step = 1; step <= 8; step++) {
                    for (Parameter p : sam.namedParameters().values()) {
                        if (p.isTrainable()) {
                            p.attachGradient();
                        }
                    }
                    try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                        NDArray loss = sam.predict(sam.encodeImage(image), click, false).masks().sum()
                                .add(adapter.orthogonalPenalty(m));
                        gc.backward(loss);
                    }
                    adapter.updateAndMask(step);
                }
                assertEquals(2 * 6, allocator.keptRanks(), "kept singular values at the end");
                int zeros = 0;
                for (RankAllocator.Triplets t : adapter.triplets().values()) {
                    for (float e : t.e().data().toFloatArray()) {
                        zeros += e == 0f ? 1 : 0;
                    }
                }
                assertEquals(12, zeros, "masked singular values");
            }
        }
    }

    @Test
    void samAdaLora_publishedTargetAboveTheRankWithAPersistentAllocator_isRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SamAdaLoraConfig.published().withAllocator(AllocatorLife.PERSISTENT));
        assertEquals("sam-adalora target_rank 8 must be between 0 and r 4, or nothing is ever pruned (the published "
                + "8 over 4 runs only with allocator PER_BATCH)", e.getMessage());
    }

    @Test
    void samMethods_onAModelWithoutASamEncoder_failNamingWhatTheyLookFor_andLeaveItUnchanged() {
        try (NDManager m = EngineSetup.newManager()) {
            Module other = new ai.peft4j.models.vit.VisionTransformer(m, ai.peft4j.models.vit.VitConfig.fixture(5));
            Map<String, Module> before = Map.copyOf(other.namedModules());
            for (String name : SamAdapterFilesTest.METHODS) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> MethodRegistry.create(name, ai.peft4j.peft.MethodInputs.none()).attach(other));
                assertTrue(e.getMessage().startsWith(name + " adapts segment-anything image encoders, but this "
                        + "VisionTransformer has no image_encoder.blocks.i"), e.getMessage());
            }
            assertEquals(before, Map.copyOf(other.namedModules()));
        }
    }

    /** sam-decoder trains exactly the mask decoder and adds nothing (SamAdapterFilesTest round-trips it). */
    @Test
    void samDecoder_trainsTheMaskDecoderOnly() {
        try (NDManager m = EngineSetup.newManager()) {
            Sam sam = new Sam(m, SamConfig.fixture());
            long total = sam.parameterCount();
            long decoder = sam.namedParameters().entrySet().stream().filter(e -> e.getKey().startsWith(
                    "mask_decoder.")).mapToLong(e -> e.getValue().data().size()).sum();
            MethodRegistry.create(SamDecoderOnly.NAME, ai.peft4j.peft.MethodInputs.none()).attach(sam);
            assertEquals(total, sam.parameterCount(), "nothing added");
            assertEquals(decoder, sam.trainableParameterCount());
            assertTrue(sam.trainableParameterNames().stream().allMatch(n -> n.startsWith("mask_decoder.")));
        }
    }
}
