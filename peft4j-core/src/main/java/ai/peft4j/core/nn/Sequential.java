package ai.peft4j.core.nn;

import ai.djl.ndarray.NDArray;

/** Layers applied in order, named {@code 0, 1, 2, ...} as PyTorch's {@code nn.Sequential} names them. */
public class Sequential extends Module implements Layer {
    private int size;

    public Sequential(Module... layers) {
        for (Module m : layers) {
            add(m);
        }
    }

    public final Sequential add(Module layer) {
        if (!(layer instanceof Layer)) {
            throw new IllegalArgumentException(layer + " is not a one-input layer");
        }
        registerModule(Integer.toString(size++), layer);
        return this;
    }

    public int size() {
        return size;
    }

    public Module get(int index) {
        return child(Integer.toString(index));
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray y = x;
        for (int i = 0; i < size; i++) {
            y = call(Integer.toString(i), y);
        }
        return y;
    }
}
