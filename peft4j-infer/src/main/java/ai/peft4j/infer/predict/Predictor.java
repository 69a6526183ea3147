package ai.peft4j.infer.predict;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.tensor.Resize;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Letterbox;
import java.util.SplittableRandom;

/**
 * Turns one image into a class map at the image's own size, as the published {@code get_miou_png}: letterbox to the
 * input size (bicubic onto grey), forward in eval mode with gradients off, softmax over classes, crop the region the
 * image occupies in the letterbox, resize those probabilities bilinearly (half-pixel centres, as OpenCV's
 * {@code INTER_LINEAR}) to the original size, argmax.
 *
 * <p>Calls are serialised, so one predictor may be shared, but it is meant for one worker thread: the model is not
 * copied, and libtorch's no-gradient mode is set per thread around each forward. Each call's tensors live in a
 * child manager closed before it returns. The caller keeps the model (and its manager) alive while predicting.
 */
public final class Predictor implements AutoCloseable {
    private final Module module;
    private final Layer layer;
    private final Letterbox letterbox;
    private final NDManager manager;

    private Predictor(Builder b) {
        this.module = b.module;
        this.layer = b.layer;
        this.letterbox = b.letterbox;
        this.manager = EngineSetup.newManager();
        module.eval();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The letterbox the network input goes through. */
    public Letterbox letterbox() {
        return letterbox;
    }

    /** The class map of {@code image} at its own size. */
    public synchronized Prediction predict(RgbImage image) {
        Letterbox.Placement p = letterbox.placement(image.width(), image.height());
        LabelledImage boxed = letterbox.apply(new LabelledImage("", image, new int[image.width() * image.height()]),
                new SplittableRandom(0));
        float[] input = boxed.image().toChannelsFirst();
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            if (module.isTraining()) {
                module.eval();
            }
            NDArray x = m.create(input, new Shape(1, 3, letterbox.height(), letterbox.width()));
            NDArray logits = layer.forward(x);
            Shape s = logits.getShape();
            if (s.dimension() != 4 || s.get(0) != 1 || s.get(2) != letterbox.height() || s.get(3) != letterbox.width()) {
                throw new IllegalStateException("the model gave logits of shape " + s + " for an input of "
                        + x.getShape() + "; a segmentation model gives [1, classes, height, width]");
            }
            NDArray probs = logits.softmax(1).get(new NDIndex(":, :, {}:{}, {}:{}", p.top(), p.top()
                    + p.scaledHeight(), p.left(), p.left() + p.scaledWidth()));
            NDArray full = Resize.bilinear(probs, image.height(), image.width(), false);
            int[] mask = full.argMax(1).toType(DataType.INT32, false).toIntArray();
            return new Prediction(image.width(), image.height(), mask);
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** Engine arrays this predictor holds between calls: none, unless a call leaked (a service watches this). */
    public int liveArrays() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Settings in DJL's style: {@code setX} for what is required, {@code optX} for the rest. */
    public static final class Builder {
        private Module module;
        private Layer layer;
        private Letterbox letterbox;

        /** The model (with any adapter already attached): images {@code [1, 3, H, W]} in [0, 1] to logits. */
        public <M extends Module & Layer> Builder setModel(M model) {
            this.module = model;
            this.layer = model;
            return this;
        }

        /** A square network input of {@code size x size}, e.g. the published 224. */
        public Builder setInputSize(int size) {
            this.letterbox = Letterbox.square(size);
            return this;
        }

        /** A network input of any shape. */
        public Builder setLetterbox(Letterbox letterbox) {
            this.letterbox = letterbox;
            return this;
        }

        public Predictor build() {
            if (module == null || letterbox == null) {
                throw new IllegalStateException("the predictor needs " + (module == null ? "a model (setModel)"
                        : "an input size (setInputSize)"));
            }
            return new Predictor(this);
        }
    }
}
