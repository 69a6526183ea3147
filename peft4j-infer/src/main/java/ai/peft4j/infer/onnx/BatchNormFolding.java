package ai.peft4j.infer.onnx;

import java.util.List;
import java.util.Map;

/**
 * Folds a BatchNormalization into the convolution that alone feeds it: {@code W' = W * g / sqrt(v + eps)} per
 * output channel and {@code b' = (b - mean) * g / sqrt(v + eps) + beta}. Runtimes do the same at load time; doing
 * it here also lets the quantiser see the weights that will actually run.
 */
final class BatchNormFolding {
    private BatchNormFolding() {}

    /** Folds every foldable pair in place; returns how many were folded. */
    static int apply(OnnxGraph g) {
        Map<String, List<OnnxNode>> consumers = g.consumers();
        Map<String, OnnxNode> producers = g.producers();
        List<OnnxNode> nodes = g.nodes();
        int folded = 0;
        for (int i = 0; i < nodes.size(); i++) {
            OnnxNode bn = nodes.get(i);
            if (!bn.opType().equals("BatchNormalization")) {
                continue;
            }
            String x = bn.inputs().get(0);
            OnnxNode conv = producers.get(x);
            if (conv == null || !conv.opType().equals("Conv") || consumers.get(x).size() != 1 || g.isOutput(x)) {
                continue;
            }
            Initializer w = g.initializer(conv.inputs().get(1));
            if (w == null) {
                continue;
            }
            float[] gamma = g.initializer(bn.inputs().get(1)).floats();
            float[] beta = g.initializer(bn.inputs().get(2)).floats();
            float[] mean = g.initializer(bn.inputs().get(3)).floats();
            float[] var = g.initializer(bn.inputs().get(4)).floats();
            float eps = (Float) bn.attributes().getOrDefault("epsilon", 1e-5f);
            int out = gamma.length;
            float[] weights = w.floats();
            int per = weights.length / out;
            float[] bias = conv.inputs().size() > 2 ? g.initializer(conv.inputs().get(2)).floats() : new float[out];
            float[] newBias = new float[out];
            for (int c = 0; c < out; c++) {
                double f = gamma[c] / Math.sqrt((double) var[c] + eps);
                for (int j = 0; j < per; j++) {
                    weights[c * per + j] = (float) (weights[c * per + j] * f);
                }
                newBias[c] = (float) ((bias[c] - mean[c]) * f + beta[c]);
            }
            g.putInitializer(Initializer.ofFloats(w.name(), weights, w.dims()));
            String biasName = g.addInitializer(Initializer.ofFloats(conv.name() + "/folded_bias", newBias, out));
            if (conv.inputs().size() > 2) {
                g.removeInitializer(conv.inputs().get(2));
            }
            for (int k = 1; k < 5; k++) {
                g.removeInitializer(bn.inputs().get(k));
            }
            OnnxNode fused = conv.withInputs(List.of(conv.inputs().get(0), w.name(), biasName))
                    .withOutputs(bn.outputs());
            int at = nodes.indexOf(conv);
            nodes.set(at, fused);
            nodes.remove(i);
            i--;
            producers.put(bn.output(), fused);
            folded++;
        }
        return folded;
    }
}
