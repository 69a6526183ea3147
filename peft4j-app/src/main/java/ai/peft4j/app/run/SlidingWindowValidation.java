package ai.peft4j.app.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.Module;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.segment.SlidingWindow;
import ai.peft4j.train.loop.Objective;
import java.util.Map;

/**
 * An objective trained on crops whose validation scores whole images: training steps are the wrapped objective's,
 * and {@link #logits} slides windows of the crop size over each image (at the training scale), as {@code eval}
 * does, so that validation mIoU and the best checkpoint follow what prediction will give.
 */
public final class SlidingWindowValidation implements Objective {
    private final Objective trained;
    private final SlidingWindow window;

    public SlidingWindowValidation(Objective trained, SlidingWindow window) {
        this.trained = trained;
        this.window = window;
    }

    public SlidingWindow window() {
        return window;
    }

    @Override
    public NDArray loss(NDArray images, NDArray labels) {
        return trained.loss(images, labels);
    }

    @Override
    public NDArray logits(NDArray images) {
        Shape s = images.getShape();
        int n = (int) s.get(0);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        float[] pixels = images.toFloatArray();
        float[] all = null;
        int classes = 0;
        for (int k = 0; k < n; k++) {
            // The loader's pixels are bytes / 255: rounding recovers the decoded image, which is rescaled as
            // training rescaled it.
            byte[] rgb = new byte[3 * h * w];
            int plane = h * w;
            int offset = k * 3 * plane;
            for (int i = 0; i < plane; i++) {
                for (int c = 0; c < 3; c++) {
                    rgb[3 * i + c] = (byte) Math.round(pixels[offset + c * plane + i] * 255f);
                }
            }
            SlidingWindow.Logits l = window.logits(new RgbImage(w, h, rgb), trained::logits);
            if (all == null) {
                classes = l.classes();
                all = new float[n * classes * plane];
            }
            System.arraycopy(l.values(), 0, all, k * classes * plane, classes * plane);
        }
        return images.getManager().create(all, new Shape(n, classes, h, w));
    }

    @Override
    public Map<String, Module> auxiliaryModules() {
        return trained.auxiliaryModules();
    }
}
