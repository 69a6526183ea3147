package ai.peft4j.infer.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.init.ClosedFormWeights;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Sequential;
import ai.peft4j.core.nn.UpsampleBilinear;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResizeConvSwapTest {
    private NDManager manager;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        manager = EngineSetup.newManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** A 3x3 convolution to 16 maps, a x2 enlargement, then a 1x1 convolution to {@code out} maps. */
    private Sequential head(boolean alignCorners, int out) {
        Sequential net = new Sequential(new Conv2d(manager, 3, 16, 3, 1, 1, 1, true),
                new UpsampleBilinear(2, alignCorners), new Conv2d(manager, 16, out, 1, 1, 0, 1, true));
        ClosedFormWeights.fill(net);
        net.eval();
        return net;
    }

    private static List<String> opOrder(OnnxGraph g) {
        return g.nodes().stream().map(OnnxNode::opType).filter(t -> t.equals("Conv") || t.equals("Resize")).toList();
    }

    private float maxDifference(Sequential net, OnnxGraph g, NDArray images) throws Exception {
        Path file = dir.resolve("net-" + System.nanoTime() + ".onnx");
        OnnxWriter.write(g, file);
        NDArray expected = ((Layer) net).forward(images);
        try (OnnxPredictor p = OnnxPredictor.builder().setModel(file).optThreads(1).build()) {
            NDArray actual = p.predict(images);
            assertEquals(expected.getShape(), actual.getShape());
            return actual.sub(expected).abs().max().getFloat();
        }
    }

    @Test
    void narrowingPointwiseConv_runsBeforeTheResize_withTheSameLogits() throws Exception {
        NDArray images = ClosedFormWeights.sinusoid(manager, new Shape(2, 3, 20, 24), 0.07);
        for (boolean align : new boolean[] {true, false}) {
            for (boolean dynamic : new boolean[] {true, false}) {
                Sequential net = head(align, 4);
                OnnxGraph g = OnnxExporter.builder().setModel(net).setInputSize(20, 24).optDynamicBatch(dynamic)
                        .build().graph();
                assertEquals(List.of("Conv", "Conv", "Resize"), opOrder(g), "align " + align + " dynamic " + dynamic);
                NDArray in = dynamic ? images : images.get("0:1");
                float diff = maxDifference(net, g, in);
                assertTrue(diff < 1e-5f, "align " + align + " dynamic " + dynamic + ": max difference " + diff);
            }
        }
    }

    @Test
    void widenedOrUnchangedChannels_keepTheirOrder() throws Exception {
        for (int out : new int[] {16, 32}) {
            Sequential net = head(true, out);
            OnnxGraph g = OnnxExporter.builder().setModel(net).setInputSize(20, 24).build().graph();
            assertEquals(List.of("Conv", "Resize", "Conv"), opOrder(g), out + " output maps");
            assertTrue(maxDifference(net, g, ClosedFormWeights.sinusoid(manager, new Shape(1, 3, 20, 24), 0.05))
                    < 1e-5f);
        }
    }

    @Test
    void swappedGraph_leavesNoUnusedNodesOrConstants() {
        OnnxGraph g = OnnxExporter.builder().setModel(head(true, 2)).setInputSize(20, 24).build().graph();
        var consumers = g.consumers();
        for (OnnxNode n : g.nodes()) {
            assertTrue(n.outputs().stream().anyMatch(o -> consumers.containsKey(o) || g.isOutput(o)), n.name());
        }
        for (String name : g.initializers().keySet()) {
            assertTrue(consumers.containsKey(name), name);
        }
    }
}
