package ai.peft4j.peft.transfer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;

/**
 * {@code scaling * lora_B(lora_A(dropout(x)))}: one LoRA update, with HF PEFT's initialisation (A as a Linear's
 * default, which is PEFT's kaiming-uniform with a = sqrt(5); B zero, so the update starts at nothing).
 */
public final class LowRankUpdate extends Module implements Layer {
    private final double scaling;

    public LowRankUpdate(NDManager manager, int in, int out, int rank, double scaling, float dropout) {
        this.scaling = scaling;
        registerModule("lora_dropout", new Dropout(dropout));
        registerModule("lora_A", new Linear(manager, in, rank, false));
        Linear b = registerModule("lora_B", new Linear(manager, rank, out, false));
        Initializers.constant(b.weight(), 0f);
    }

    @Override
    public NDArray forward(NDArray x) {
        return call("lora_B", call("lora_A", call("lora_dropout", x))).mul(scaling);
    }
}
