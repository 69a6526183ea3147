package ai.peft4j.infer.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.peft4j.core.metrics.ConfusionMatrix;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The class maps (argmax over the logits) a graph gives for a set of images: a reference against which a changed
 * graph, a quantised one say, is scored by the mIoU of its maps, taking the reference's classes as the truth.
 */
final class ClassMaps {
    private final List<float[]> images;
    private final long[] imageShape;
    private final int threads;
    private final List<int[]> maps;
    private final int classes;

    private ClassMaps(List<float[]> images, long[] imageShape, int threads, List<int[]> maps, int classes) {
        this.images = images;
        this.imageShape = imageShape;
        this.threads = threads;
        this.maps = maps;
        this.classes = classes;
    }

    static ClassMaps of(OnnxGraph graph, List<float[]> images, long[] imageShape, int threads) {
        List<int[]> maps = new ArrayList<>();
        int classes = run(graph, images, imageShape, threads, maps);
        return new ClassMaps(images, imageShape, threads, maps, classes);
    }

    /** mIoU of {@code graph}'s class maps against these, over the classes either side predicts anywhere. */
    double agreement(OnnxGraph graph) {
        List<int[]> other = new ArrayList<>();
        int c = run(graph, images, imageShape, threads, other);
        if (c != classes) {
            throw new IllegalArgumentException("graph " + graph.name() + " gives " + c + " classes, the reference "
                    + classes);
        }
        ConfusionMatrix cm = new ConfusionMatrix(classes);
        for (int i = 0; i < maps.size(); i++) {
            cm.add(maps.get(i), other.get(i));
        }
        // Unlike the scores' convention, a class neither side predicts is left out: it cannot disagree.
        double[] iou = cm.iou();
        double sum = 0;
        int present = 0;
        for (int k = 0; k < classes; k++) {
            if (predicted(cm, k)) {
                sum += iou[k];
                present++;
            }
        }
        return present == 0 ? 1.0 : sum / present;
    }

    private static boolean predicted(ConfusionMatrix cm, int k) {
        for (int j = 0; j < cm.numClasses(); j++) {
            if (cm.count(k, j) > 0 || cm.count(j, k) > 0) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code graph} on every image and appends each argmax map to {@code out}; returns the class count. */
    private static int run(OnnxGraph graph, List<float[]> images, long[] imageShape, int threads, List<int[]> out) {
        OrtEnvironment env = OnnxEnvironment.get();
        int classes = 0;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            try (OrtSession session = env.createSession(OnnxWriter.toBytes(graph), options)) {
                for (float[] image : images) {
                    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(image), imageShape);
                            OrtSession.Result r = session.run(Map.of(OnnxExporter.INPUT, in))) {
                        OnnxTensor logits = (OnnxTensor) r.get(OnnxExporter.OUTPUT).orElseThrow();
                        long[] shape = logits.getInfo().getShape();
                        classes = (int) shape[1];
                        out.add(argmax(logits.getFloatBuffer(), classes, (int) (shape[2] * shape[3])));
                    }
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("running graph " + graph.name() + " failed: " + e.getMessage(), e);
        }
        return classes;
    }

    private static int[] argmax(FloatBuffer logits, int classes, int pixels) {
        int[] map = new int[pixels];
        for (int p = 0; p < pixels; p++) {
            float best = logits.get(p);
            for (int k = 1; k < classes; k++) {
                float v = logits.get(k * pixels + p);
                if (v > best) {
                    best = v;
                    map[p] = k;
                }
            }
        }
        return map;
    }
}
