package ai.peft4j.peft.sam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.models.sam.Prompts;
import ai.peft4j.models.sam.Sam;
import ai.peft4j.models.sam.SamConfig;
import ai.peft4j.peft.AdapterFiles;
import ai.peft4j.peft.Attachment;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import ai.peft4j.peft.lora.Lora;
import ai.peft4j.peft.lora.LoraConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SAM methods and the generic {@code hf-lora} on the fixture-sized SAM: a training step changes the masks, and
 * the adapter saved and loaded into a fresh base gives the same masks bit for bit with the same config.
 */
public class SamAdapterFilesTest {
    /** The registered SAM methods (the generic round-trip test covers the others). */
    public static final List<String> METHODS = List.of(SamAdapter.NAME, SamLora.NAME, SamAdaLora.NAME,
            SamDecoderOnly.NAME);

    @TempDir
    Path tmp;

    @Test
    void hfLoraOnTheFusedQkv_changesTheMasksAfterAStep_andRoundTripsThroughAdapterFiles() throws Exception {
        try (NDManager m = EngineSetup.newManager()) {
            Sam sam = base(m);
            NDArray before = masks(sam, m);
            LoraConfig config = LoraConfig.of(4, 8, "attn.qkv");
            Attachment a = new Lora(config).attach(sam);
            assertEquals(List.of("image_encoder.blocks.0.attn.qkv.lora_A.weight",
                    "image_encoder.blocks.0.attn.qkv.lora_B.weight", "image_encoder.blocks.1.attn.qkv.lora_A.weight",
                    "image_encoder.blocks.1.attn.qkv.lora_B.weight"), sam.trainableParameterNames());
            assertEquals(0.0, Tensors.maxAbsDiff(before, masks(sam, m)), 0.0, "B starts at zero");
            step(sam, m);
            NDArray after = masks(sam, m);
            assertTrue(Tensors.maxAbsDiff(before, after) > 0, "one step on the LoRA factors changes the masks");
            roundTrip(a, after, Lora.NAME, config, m);
        }
    }

    @Test
    void samMethods_savedAndLoadedIntoAFreshBase_giveTheSameMasksBitForBit() throws Exception {
        for (String name : METHODS) {
            try (NDManager m = EngineSetup.newManager()) {
                Sam sam = base(m);
                Record config = MethodRegistry.defaultConfig(name);
                Attachment a = MethodRegistry.create(name, config, MethodInputs.none()).attach(sam);
                for (Parameter p : sam.namedParameters().values()) {
                    if (p.isTrainable()) {
                        p.data().addi(ClosedFormWeights.sinusoid(m, p.shape(), 0.37).mul(0.01f));
                    }
                }
                roundTrip(a, masks(sam, m), name, config, m);
            }
        }
    }

    private void roundTrip(Attachment a, NDArray expected, String name, Record config, NDManager m)
            throws Exception {
        Path dir = tmp.resolve(name);
        AdapterFiles.save(a, dir);
        Sam fresh = base(m);
        Attachment loaded = AdapterFiles.load(dir, fresh, m);
        assertEquals(name, loaded.method().name());
        assertEquals(config, loaded.method().config(), name + " config");
        assertEquals(new TreeSet<>(a.model().trainableParameterNames()),
                new TreeSet<>(fresh.trainableParameterNames()), name + " trainable names");
        assertEquals(0.0, Tensors.maxAbsDiff(expected, masks(fresh, m)), 0.0, name + " masks");
    }

    private static Sam base(NDManager m) {
        Sam sam = new Sam(m, SamConfig.fixture());
        sam.eval();
        ClosedFormWeights.fill(sam);
        // The random Fourier matrix is drawn at construction; both bases need the same one.
        var fourier = sam.namedBuffers().get("prompt_encoder.pe_layer.positional_encoding_gaussian_matrix");
        fourier.replace(ClosedFormWeights.sinusoid(m, fourier.data().getShape(), 0.37));
        return sam;
    }

    private static NDArray masks(Sam sam, NDManager m) {
        NDArray image = ClosedFormWeights.sinusoid(m, new Shape(1, 3, 128, 128), 0.0123);
        Prompts click = Prompts.points(m.create(new float[] {45, 77}, new Shape(1, 1, 2)),
                m.create(new float[] {1}, new Shape(1, 1)));
        return sam.predict(sam.encodeImage(image), click, false).masks();
    }

    /** One SGD step (lr 0.1) on the sum of the masks. */
    private static void step(Sam sam, NDManager m) {
        sam.namedParameters().values().forEach(Parameter::attachGradient);
        try (GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
            gc.backward(masks(sam, m).sum());
        }
        for (Parameter p : sam.namedParameters().values()) {
            if (p.isTrainable()) {
                p.data().subi(p.gradient().mul(0.1f));
            }
        }
    }
}
