package ai.peft4j.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;

/**
 * A fast two-class segmenter for loop tests: conv 3x3, batch norm, ReLU, dropout (so that the engine's random
 * generator matters on resume), conv 1x1.
 */
final class TinySegmenter extends Module implements Layer {
    TinySegmenter(NDManager manager) {
        registerModule("features", new Sequential(Conv2d.same(manager, 3, 8, 3), new BatchNorm2d(manager, 8),
                Activation.relu(), new Dropout(0.2f)));
        registerModule("head", new Conv2d(manager, 8, 2, 1, 1, 0, 1, true));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("head", call("features", x));
    }
}
