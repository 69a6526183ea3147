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
import ai.peft4j.infer.segment.SlidingWindow;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Turns one image into a class map at the image's own size, as the published {@code get_miou_png}: letterbox to the
 * input size (bicubic onto grey), forward in eval mode with gradients off, softmax over classes, crop the region the
 * image occupies in the letterbox, resize those probabilities bilinearly (half-pixel centres, as OpenCV's
 * {@code INTER_LINEAR}) to the original size, argmax. A model trained on crops predicts by sliding windows instead
 * ({@link Builder#optSlidingWindow}): tiles of the crop size over the image at native resolution (or the training
 * scale), their logits blended.
 *
 * <p>Calls are serialised, so one predictor may be shared, but it is meant for one worker thread: the model is not
 * copied, and libtorch's no-gradient mode is set per thread around each forward. Each call's tensors live in a
 * child manager closed before it returns. The caller keeps the model (and its manager) alive while predicting.
 */
public final class Predictor implements AutoCloseable {
    private final Module module;
    private final Layer layer;
    private final Letterbox letterbox;
    private final SlidingWindow window;
    private final NDManager manager;
    private final float[] offsets;

    private Predictor(Builder b) {
        this.module = b.module;
        this.offsets = b.offsets == null ? null : b.offsets.clone();
        this.layer = offsets == null ? b.layer : withOffsets(b.layer, offsets);
        this.letterbox = b.letterbox;
        this.window = b.window;
        this.manager = EngineSetup.newManager();
        module.eval();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code layer} whose logits of class {@code c} are shifted by {@code offsets[c]}. */
    private static Layer withOffsets(Layer layer, float[] offsets) {
        return x -> {
            NDArray logits = layer.forward(x);
            Shape s = logits.getShape();
            if (s.dimension() != 4 || s.get(1) != offsets.length) {
                throw new IllegalStateException("logit offsets for " + offsets.length + " classes, but the model "
                        + "gave logits of shape " + s);
            }
            return logits.add(logits.getManager().create(offsets, new Shape(1, offsets.length, 1, 1)));
        };
    }

    /** The shift of each class's logits before the argmax ({@link Builder#optLogitOffsets}), or null for none. */
    public float[] logitOffsets() {
        return offsets == null ? null : offsets.clone();
    }

    /** The letterbox the network input goes through. */
    public Letterbox letterbox() {
        return letterbox;
    }

    /** The sliding windows of a model trained on crops, or null when images are letterboxed. */
    public SlidingWindow slidingWindow() {
        return window;
    }

    /** The class map of {@code image} at its own size. */
    public Prediction predict(RgbImage image) {
        return predictAll(List.of(image)).get(0);
    }

    /**
     * The class maps of several images from one forward pass of the batch: each is letterboxed, cropped and
     * resized back on its own, so each map is the one {@link #predict} gives for it alone (up to the last bits
     * of the convolutions' float sums). A model trained on crops predicts each image by its sliding windows.
     */
    public synchronized List<Prediction> predictAll(List<RgbImage> images) {
        if (window != null) {
            if (module.isTraining()) {
                module.eval();
            }
            List<Prediction> out = new ArrayList<>(images.size());
            for (RgbImage image : images) {
                out.add(new Prediction(image.width(), image.height(), window.classes(image, layer::forward)
                        .classes()));
            }
            return out;
        }
        int n = images.size();
        int h = letterbox.height();
        int w = letterbox.width();
        float[] input = new float[n * 3 * h * w];
        for (int i = 0; i < n; i++) {
            RgbImage image = images.get(i);
            LabelledImage boxed = letterbox.apply(new LabelledImage("", image, new int[image.width()
                    * image.height()]), new SplittableRandom(0));
            float[] one = boxed.image().toChannelsFirst();
            System.arraycopy(one, 0, input, i * one.length, one.length);
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            if (module.isTraining()) {
                module.eval();
            }
            NDArray x = m.create(input, new Shape(n, 3, h, w));
            NDArray logits = layer.forward(x);
            Shape s = logits.getShape();
            if (s.dimension() != 4 || s.get(0) != n || s.get(2) != h || s.get(3) != w) {
                throw new IllegalStateException("the model gave logits of shape " + s + " for an input of "
                        + x.getShape() + "; a segmentation model gives [" + n + ", classes, height, width]");
            }
            NDArray probs = logits.softmax(1);
            List<Prediction> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                RgbImage image = images.get(i);
                Letterbox.Placement p = letterbox.placement(image.width(), image.height());
                NDArray own = probs.get(new NDIndex("{}:{}, :, {}:{}, {}:{}", i, i + 1, p.top(), p.top()
                        + p.scaledHeight(), p.left(), p.left() + p.scaledWidth()));
                NDArray full = Resize.bilinear(own, image.height(), image.width(), false);
                int[] mask = full.argMax(1).toType(DataType.INT32, false).toIntArray();
                out.add(new Prediction(image.width(), image.height(), mask));
            }
            return out;
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
        private SlidingWindow window;
        private float[] offsets;

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

        /**
         * Sliding windows instead of the letterbox, for a model trained on crops; the letterbox size is then not
         * needed (the tile size is the crop size).
         */
        public Builder optSlidingWindow(SlidingWindow window) {
            this.window = window;
            if (letterbox == null && window != null) {
                letterbox = Letterbox.square(window.tile());
            }
            return this;
        }

        /**
         * Adds {@code offsets[c]} to every logit of class {@code c} before the softmax and argmax (letterbox) or the
         * blend (sliding windows). Logit adjustment: a network trained with cross-entropy weights {@code w} scores
         * class {@code c} about {@code ln w[c]} higher than an unweighted one would, so offsets {@code -ln w[c]}
         * take that prior out again. Null (default) for none.
         */
        public Builder optLogitOffsets(float[] offsets) {
            if (offsets != null) {
                for (float o : offsets) {
                    if (!Float.isFinite(o)) {
                        throw new IllegalArgumentException("logit offsets must be finite numbers, got "
                                + java.util.Arrays.toString(offsets));
                    }
                }
            }
            this.offsets = offsets;
            return this;
        }

        /** Offsets {@code -ln w[c]} that remove the prior of cross-entropy class weights {@code w} (see above). */
        public static float[] priorOffsets(List<Double> classWeights) {
            float[] out = new float[classWeights.size()];
            for (int c = 0; c < out.length; c++) {
                double w = classWeights.get(c);
                if (!(w > 0) || Double.isInfinite(w)) {
                    throw new IllegalArgumentException("class weights must be positive, got " + classWeights);
                }
                out[c] = (float) (0.0 - Math.log(w));   // weight 1 gives +0, not -0
            }
            return out;
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
