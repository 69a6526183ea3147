package ai.peft4j.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.ModuleList;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Sequential;
import java.util.function.Supplier;

/**
 * EfficientSAM's {@code MLPBlock}, which Medical-SAM-Adapter's two-way transformer uses: {@code layers.i} are
 * (Linear, activation) pairs, {@code fc} is the last Linear without activation.
 */
public class StackedMlp extends Module implements Layer {
    public StackedMlp(NDManager manager, int in, int hidden, int out, int numLayers, Supplier<Activation> act) {
        ModuleList<Sequential> layers = new ModuleList<>(Sequential.class);
        for (int i = 0; i < numLayers; i++) {
            layers.add(new Sequential(new Linear(manager, i == 0 ? in : hidden, hidden, true), act.get()));
        }
        registerModule("layers", layers);
        registerModule("fc", new Linear(manager, hidden, out, true));
    }

    @Override
    public NDArray forward(NDArray x) {
        @SuppressWarnings("unchecked")
        ModuleList<Sequential> layers = (ModuleList<Sequential>) child("layers");
        NDArray h = x;
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h);
        }
        return call("fc", h);
    }
}
