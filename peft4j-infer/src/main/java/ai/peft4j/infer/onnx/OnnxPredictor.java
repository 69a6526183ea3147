package ai.peft4j.infer.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Runs an exported segmenter on ONNX Runtime (CPU): float images {@code [N, 3, H, W]} in, logits out. The file
 * must have one float input {@code images} of rank 4 with 3 channels and an output {@code output}; an image whose
 * size the graph fixes otherwise is refused before it reaches the runtime.
 *
 * <pre>{@code
 * try (OnnxPredictor p = OnnxPredictor.builder().setModel(path).optThreads(2).build()) {
 *     float[] logits = p.predict(pixels, 1, 224, 224).data();
 * }
 * }</pre>
 */
public final class OnnxPredictor implements AutoCloseable {
    private final Path file;
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final long[] inputDims;

    /** Logits as a flat row-major array with their shape. */
    public record Logits(float[] data, long[] shape) {}

    private OnnxPredictor(Builder b) throws OrtException {
        this.file = b.file;
        this.env = OnnxEnvironment.get();
        this.options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(b.threads);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        try {
            this.session = env.createSession(file.toString(), options);
        } catch (OrtException e) {
            options.close();
            throw e;
        }
        long[] dims;
        try {
            dims = checkSignature();
        } catch (RuntimeException e) {
            session.close();
            options.close();
            throw e;
        }
        this.inputDims = dims;
    }

    public static Builder builder() {
        return new Builder();
    }

    private long[] checkSignature() throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        NodeInfo in = inputs.get(OnnxExporter.INPUT);
        if (inputs.size() != 1 || in == null || !outputs.containsKey(OnnxExporter.OUTPUT)) {
            throw new IllegalArgumentException("ONNX file " + file + " has inputs " + inputs.keySet() + " and outputs "
                    + outputs.keySet() + "; a segmenter needs the one input '" + OnnxExporter.INPUT
                    + "' and an output '" + OnnxExporter.OUTPUT + "' (export it with peft4j export)");
        }
        if (!(in.getInfo() instanceof TensorInfo t) || t.type != OnnxJavaType.FLOAT || t.getShape().length != 4
                || t.getShape()[1] != 3) {
            throw new IllegalArgumentException("ONNX file " + file + ": input '" + OnnxExporter.INPUT + "' is "
                    + in.getInfo() + "; expected float [N, 3, H, W]");
        }
        return t.getShape();
    }

    /** The input dimensions the file declares; -1 where it leaves one open. */
    public long[] inputDims() {
        return inputDims.clone();
    }

    /** Runs images {@code [batch, 3, height, width]} given as a flat row-major array. */
    public Logits predict(float[] pixels, long batch, long height, long width) {
        long[] shape = {batch, 3, height, width};
        if (pixels.length != batch * 3 * height * width) {
            throw new IllegalArgumentException(pixels.length + " values do not fill images "
                    + Arrays.toString(shape));
        }
        for (int i = 0; i < 4; i++) {
            if (inputDims[i] >= 0 && inputDims[i] != shape[i]) {
                throw new IllegalArgumentException("ONNX file " + file + " takes images " + describe(inputDims)
                        + ", got " + Arrays.toString(shape));
            }
        }
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), shape);
                OrtSession.Result result = session.run(Map.of(OnnxExporter.INPUT, input))) {
            OnnxTensor out = (OnnxTensor) result.get(OnnxExporter.OUTPUT).orElseThrow();
            FloatBuffer fb = out.getFloatBuffer();
            float[] data = new float[fb.remaining()];
            fb.get(data);
            return new Logits(data, out.getInfo().getShape());
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + file + ": " + e.getMessage(), e);
        }
    }

    /** Runs an NCHW image tensor and returns the logits in the same manager. */
    public NDArray predict(NDArray images) {
        Shape s = images.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("images must be [N, 3, H, W], got " + s);
        }
        Logits l = predict(images.toType(DataType.FLOAT32, false).toFloatArray(), s.get(0), s.get(2), s.get(3));
        NDManager m = images.getManager();
        return m.create(l.data(), new Shape(l.shape()));
    }

    private static String describe(long[] dims) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            b.append(i == 0 ? "" : ", ").append(dims[i] < 0 ? "N" : Long.toString(dims[i]));
        }
        return b.append(']').toString();
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing ONNX session of " + file + ": " + e.getMessage(), e);
        } finally {
            options.close();
        }
    }

    /** Builder: the model file is required; threads default to the runtime's choice (0). */
    public static final class Builder {
        private Path file;
        private int threads;

        private Builder() {}

        public Builder setModel(Path onnxFile) {
            this.file = onnxFile;
            return this;
        }

        /** Intra-op threads; 0 lets ONNX Runtime choose. */
        public Builder optThreads(int threads) {
            if (threads < 0) {
                throw new IllegalArgumentException("threads must be 0 (automatic) or more, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        public OnnxPredictor build() {
            if (file == null) {
                throw new IllegalArgumentException("an ONNX model file is required (setModel)");
            }
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("ONNX file " + file + " does not exist");
            }
            try {
                return new OnnxPredictor(this);
            } catch (OrtException e) {
                throw new IllegalArgumentException("ONNX file " + file + " cannot be loaded: " + e.getMessage(), e);
            }
        }
    }
}
