package ai.peft4j.peft.convpass;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.init.Initializers;
import ai.peft4j.core.nn.Activation;
import ai.peft4j.core.nn.Conv2d;
import ai.peft4j.core.nn.Dropout;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.TokenGrid;

/**
 * Convpass on tokens: linear down to {@code dim} channels, QuickGELU, a 3x3 convolution over the token grid,
 * QuickGELU, dropout, linear up. The convolution starts as the identity (the published {@code xavier_init=False}
 * inside Swin blocks) and the up-projection at zero.
 */
public class ConvpassTokens extends Module {
    private final int dim;

    public ConvpassTokens(NDManager manager, int in, int dim) {
        this.dim = dim;
        Conv2d conv = registerModule("adapter_conv", new Conv2d(manager, dim, dim, 3, 1, 1, 1, true));
        float[] identity = new float[dim * dim * 9];
        for (int i = 0; i < dim; i++) {
            identity[(i * dim + i) * 9 + 4] = 1f;
        }
        try (NDArray w = manager.create(identity, new Shape(dim, dim, 3, 3))) {
            conv.weight().replace(w);
        }
        Initializers.constant(conv.bias(), 0f);
        registerModule("adapter_down", new Linear(manager, in, dim, true));
        registerModule("adapter_up", new Linear(manager, dim, in, true));
        Initializers.constant(((Linear) child("adapter_up")).weight(), 0f);
        Initializers.constant(((Linear) child("adapter_up")).bias(), 0f);
        registerModule("act", Activation.quickGelu());
        registerModule("dropout", new Dropout(0.1f));
    }

    /** The bypass output {@code [B, H*W, C]} of tokens on their grid. */
    public NDArray forward(TokenGrid grid) {
        NDArray x = grid.x();
        long b = x.getShape().get(0);
        NDArray down = call("adapter_down", x);
        NDArray map = down.reshape(b, grid.h(), grid.w(), dim).transpose(0, 3, 1, 2);
        map = call("adapter_conv", call("act", map));
        NDArray t = map.transpose(0, 2, 3, 1).reshape(b, (long) grid.h() * grid.w(), dim);
        t = call("dropout", call("act", t));
        return call("adapter_up", t);
    }
}
