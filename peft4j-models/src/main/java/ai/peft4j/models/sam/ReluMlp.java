package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.ModuleList;

/**
 * segment-anything's {@code MLP} (from MaskFormer), used for the hypernetworks and the IoU head: {@code layers.i}
 * are Linear layers with ReLU between them and none after the last.
 */
public class ReluMlp extends Module implements Layer {
    public ReluMlp(NDManager manager, int in, int hidden, int out, int numLayers) {
        ModuleList<Linear> layers = new ModuleList<>(Linear.class);
        for (int i = 0; i < numLayers; i++) {
            layers.add(new Linear(manager, i == 0 ? in : hidden, i == numLayers - 1 ? out : hidden, true));
        }
        registerModule("layers", layers);
    }

    @Override
    public NDArray forward(NDArray x) {
        @SuppressWarnings("unchecked")
        ModuleList<Linear> layers = (ModuleList<Linear>) child("layers");
        NDArray h = x;
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h);
            if (i < layers.size() - 1) {
                h = ai.djl.nn.Activation.relu(h);
            }
        }
        return h;
    }
}
