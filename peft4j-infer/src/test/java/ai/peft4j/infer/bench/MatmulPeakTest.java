package ai.peft4j.infer.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.peft4j.infer.onnx.OnnxWriter;
import java.nio.FloatBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MatmulPeakTest {
    /** The timed graph computes the product it is credited for: [[1,2],[3,4]] x [[5,6],[7,8]]. */
    @Test
    void graphMultipliesInputByWeights() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        byte[] model = OnnxWriter.toBytes(MatmulPeak.graph(2, new float[] {5, 6, 7, 8}));
        try (OrtSession s = env.createSession(model, new OrtSession.SessionOptions());
                OnnxTensor a = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {1, 2, 3, 4}),
                        new long[] {2, 2});
                OrtSession.Result r = s.run(Map.of(MatmulPeak.INPUT, a))) {
            float[][] y = (float[][]) r.get(0).getValue();
            assertArrayEquals(new float[] {19, 22}, y[0]);
            assertArrayEquals(new float[] {43, 50}, y[1]);
        }
    }

    @Test
    void measuresAFiniteRateOnEveryCore() {
        double gflops = MatmulPeak.measure(128, 2, 2);
        assertTrue(gflops > 0 && Double.isFinite(gflops), "GFLOP/s " + gflops);
    }
}
