package ai.peft4j.infer.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The calibration pass: runs the float graph on ONNX Runtime with the tensors to be quantised as extra outputs
 * and records their ranges over the calibration images, either the plain minimum and maximum or, per image, the
 * given low and high percentiles (averaged over the images), which ignores a few outliers.
 */
final class ActivationRanges {
    /** How a range is taken from the observed values. */
    enum Method {
        MIN_MAX, PERCENTILE
    }

    /** The observed range of one tensor. */
    record Range(float min, float max) {}

    private static final int SAMPLES = 1 << 16;

    private ActivationRanges() {}

    static Map<String, Range> observe(OnnxGraph graph, Collection<String> tensors, List<float[]> images,
            long[] imageShape, Method method, double percentile, int threads) {
        OnnxGraph probe = graph.copy();
        for (String t : tensors) {
            if (!probe.isOutput(t)) {
                probe.addOutput(new ValueInfo(t, ElementType.FLOAT, null));
            }
        }
        Map<String, float[]> sums = new HashMap<>();
        OrtEnvironment env = OnnxEnvironment.get();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            try (OrtSession session = env.createSession(OnnxWriter.toBytes(probe), options)) {
                for (float[] image : images) {
                    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(image), imageShape);
                            OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, in),
                                    new java.util.HashSet<>(tensors))) {
                        for (Map.Entry<String, OnnxValue> e : r) {
                            FloatBuffer fb = ((OnnxTensor) e.getValue()).getFloatBuffer();
                            float[] range = method == Method.MIN_MAX ? minMax(fb) : percentiles(fb, percentile);
                            sums.merge(e.getKey(), range, (a, b) -> method == Method.MIN_MAX
                                    ? new float[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])}
                                    : new float[] {a[0] + b[0], a[1] + b[1]});
                        }
                    }
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("calibration run failed: " + e.getMessage(), e);
        }
        Map<String, Range> out = new HashMap<>();
        float n = method == Method.MIN_MAX ? 1f : images.size();
        sums.forEach((k, v) -> out.put(k, new Range(v[0] / n, v[1] / n)));
        return out;
    }

    private static float[] minMax(FloatBuffer fb) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int i = fb.position(); i < fb.limit(); i++) {
            float v = fb.get(i);
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return new float[] {lo, hi};
    }

    /** The {@code 100 - p} and {@code p} percentiles of an evenly strided sample of at most 65536 values. */
    private static float[] percentiles(FloatBuffer fb, double p) {
        int n = fb.remaining();
        int step = Math.max(1, n / SAMPLES);
        float[] sample = new float[(n + step - 1) / step];
        for (int i = 0; i < sample.length; i++) {
            sample[i] = fb.get(fb.position() + i * step);
        }
        Arrays.sort(sample);
        int hi = (int) Math.min(sample.length - 1, Math.round(p / 100.0 * (sample.length - 1)));
        int lo = sample.length - 1 - hi;
        return new float[] {sample[lo], sample[hi]};
    }
}
