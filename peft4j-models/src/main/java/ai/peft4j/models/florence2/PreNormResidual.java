package ai.peft4j.models.florence2;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;

/**
 * {@code x + fn(norm(x))}, or {@code x + fn(x)} without a norm: DaViT's {@code PreNorm} wrapper, whose children
 * {@code norm} and {@code fn} give the published names ({@code window_attn.norm}, {@code ffn.fn.net.fc1}). Drop path
 * is not applied: it is off in eval mode and fine-tuning here does not use it.
 */
public class PreNormResidual extends Module implements Layer {
    public PreNormResidual(Module norm, Module fn) {
        if (norm != null) {
            registerModule("norm", norm);
        }
        registerModule("fn", fn);
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray in = hasChild("norm") ? call("norm", x) : x;
        return x.add(call("fn", in));
    }
}
