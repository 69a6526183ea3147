package ai.peft4j.train.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;
import java.util.List;

/** A two-layer segmenter whose forked features are its hidden map and its logits, for distillation tests. */
final class TinyNet extends Module implements Layer {
    TinyNet(NDManager manager, int hidden, int classes) {
        registerModule("body", new Sequential(Conv2d.same(manager, 3, hidden, 3), new BatchNorm2d(manager, hidden),
                Activation.relu()));
        registerModule("head", new Conv2d(manager, hidden, classes, 1, 1, 0, 1, true));
    }

    List<NDArray> forkFeatures(NDArray x) {
        NDArray f = call("body", x);
        return List.of(f, call("head", f));
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("head", call("body", x));
    }
}
