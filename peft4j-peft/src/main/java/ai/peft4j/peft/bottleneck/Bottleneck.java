package ai.peft4j.peft.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;

/**
 * {@code up(dropout(act(down(x))))} over the last axis, optionally plus {@code x}. With the names
 * {@code adapter_down}/{@code adapter_up} it is PETL-ViT's LoRA and AdaptFormer adapter; with {@code fc1}/{@code fc2}
 * and GELU it is the Houlsby adapter of the TP-LoRA comparison.
 */
public class Bottleneck extends Module implements Layer {
    private final String down;
    private final String up;
    private final boolean residual;

    /** Describes a bottleneck: the names of its projections, bias, activation, dropout, residual. */
    public record Spec(String down, String up, boolean bias, Activation.Kind act, float dropout, boolean residual) {
        /** PETL-ViT's LoRA adapter: no bias, identity, dropout 0.1. */
        public static Spec lora() {
            return new Spec("adapter_down", "adapter_up", false, Activation.Kind.IDENTITY, 0.1f, false);
        }

        /** AdaptFormer's adapter: no bias, ReLU, dropout 0.1. */
        public static Spec adaptFormer() {
            return new Spec("adapter_down", "adapter_up", false, Activation.Kind.RELU, 0.1f, false);
        }

        /** The Houlsby adapter: biases, GELU, no dropout. */
        public static Spec houlsby(boolean residual) {
            return new Spec("fc1", "fc2", true, Activation.Kind.GELU, 0f, residual);
        }
    }

    public Bottleneck(NDManager manager, int in, int hidden, Spec spec) {
        this.down = spec.down();
        this.up = spec.up();
        this.residual = spec.residual();
        if (hidden < 1) {
            throw new IllegalArgumentException("bottleneck width must be at least 1, got " + hidden);
        }
        registerModule(down, new Linear(manager, in, hidden, spec.bias()));
        registerModule("act", Activation.of(spec.act()));
        if (spec.dropout() > 0) {
            registerModule("dropout", new Dropout(spec.dropout()));
        }
        registerModule(up, new Linear(manager, hidden, in, spec.bias()));
    }

    public Linear downProjection() {
        return (Linear) child(down);
    }

    public Linear upProjection() {
        return (Linear) child(up);
    }

    /** Zeroes the up-projection, so the adapter starts as a no-op (LoRA, AdaptFormer). */
    public Bottleneck zeroUp() {
        Initializers.constant(upProjection().weight(), 0f);
        return this;
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray h = call("act", call(down, x));
        if (hasChild("dropout")) {
            h = call("dropout", h);
        }
        NDArray y = call(up, h);
        return residual ? y.add(x) : y;
    }
}
