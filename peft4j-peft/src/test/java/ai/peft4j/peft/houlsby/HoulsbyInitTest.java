package ai.peft4j.peft.houlsby;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.testing.Tensors;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.MethodInputs;
import ai.peft4j.peft.MethodRegistry;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HoulsbyInitTest {
    /** The base's output, and the output once {@code config}'s adapter is attached, before any training. */
    private static double changeOnAttach(HoulsbyConfig config, long[] trainable) {
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(3);
            SwinAttUNet net = new SwinAttUNet(m, SwinAttUNetConfig.fixture(4));
            ClosedFormWeights.fill(net);
            net.eval();
            NDArray x = ClosedFormWeights.sinusoid(m, new Shape(1, 3, 64, 64), 0.0123);
            NDArray before = net.forward(x);
            MethodRegistry.create("adapter", config, MethodInputs.prompt(null)).attach(net);
            net.eval();
            trainable[0] = net.trainableParameterCount();
            return Tensors.maxAbsDiff(before, net.forward(x));
        }
    }

    /**
     * Identity initialisation starts every adapter as a no-op: the adapted network computes the base's output (up
     * to float rounding: the adapters' hooks lay the maps out in another order). The published one starts the decoder and gate adapters from PyTorch's default draw, which moves the
     * output before any step (on the demo's pretrained base: 83.47 source mIoU down to 78.39).
     */
    @Test
    void identityInit_leavesTheBaseOutputExactly_publishedMovesIt() {
        long[] identityCount = new long[1];
        long[] publishedCount = new long[1];
        assertEquals(0.0, changeOnAttach(new HoulsbyConfig(0.25f, "identity"), identityCount), 1e-6);
        double moved = changeOnAttach(new HoulsbyConfig(0.25f), publishedCount);
        assertTrue(moved > 1e-2, "published init moved the output by " + moved);
        assertEquals(publishedCount[0], identityCount[0]);
    }

    /** Adapter files written before the setting existed read as the published initialisation. */
    @Test
    void config_withoutInit_readsAsPublished_andIsWrittenWithIt() {
        ObjectNode old = MethodRegistry.JSON.createObjectNode().put("ratio", 0.25);
        HoulsbyConfig c = (HoulsbyConfig) MethodRegistry.fromJson("adapter", old);
        assertEquals(HoulsbyConfig.PUBLISHED, c.init());
        assertEquals("identity", MethodRegistry.toJson(MethodRegistry.configWith("adapter", Map.of("init",
                "identity"))).get("init").asText());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MethodRegistry.configWith("adapter", Map.of("init", "zeros")));
        assertTrue(e.getMessage().contains("adapter init must be published or identity, got 'zeros'"),
                e.getMessage());
    }
}
