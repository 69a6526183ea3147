package ai.peft4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;

/** DoRA's trained magnitude of each output row (channel) of a weight, one parameter named {@code weight}. */
public final class MagnitudeVector extends Module {
    MagnitudeVector(NDArray initial) {
        registerParameter("weight", initial);
    }

    public Parameter weight() {
        return parameter("weight");
    }
}
