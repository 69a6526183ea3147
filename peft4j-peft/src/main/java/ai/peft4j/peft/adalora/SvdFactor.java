package ai.peft4j.peft.adalora;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;

/**
 * One factor of AdaLoRA's update, a single parameter {@code weight}: the right singular vectors {@code lora_A}
 * {@code [r, in]}, the left ones {@code lora_B} {@code [out, r]}, or the singular values {@code lora_E} {@code [r, 1]},
 * which also keep {@code ranknum}, the rank the update is divided by.
 */
public final class SvdFactor extends Module {
    SvdFactor(NDArray weight, NDArray ranknum) {
        registerParameter("weight", weight);
        if (ranknum != null) {
            // A persistent buffer, so a saved adapter keeps its scale after pruning (HF copies it the same way).
            registerBuffer("ranknum", ranknum, true);
        }
    }

    public Parameter weight() {
        return parameter("weight");
    }
}
