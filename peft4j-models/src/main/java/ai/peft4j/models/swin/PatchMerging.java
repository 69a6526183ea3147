package ai.peft4j.models.swin;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.nn.LayerNorm;
import ai.peft4j.core.nn.Linear;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.TokenGrid;

/**
 * Halves the token grid and doubles the channels: each 2x2 neighbourhood is concatenated (in the order
 * (0,0), (1,0), (0,1), (1,1)), normalised and projected from 4C to 2C.
 */
public class PatchMerging extends Module {
    public PatchMerging(NDManager manager, int dim) {
        registerModule("reduction", new Linear(manager, 4 * dim, 2 * dim, false));
        registerModule("norm", new LayerNorm(manager, 4 * dim));
    }

    public TokenGrid forward(TokenGrid in) {
        NDArray x = in.x();
        long b = x.getShape().get(0);
        long c = x.getShape().get(2);
        x = x.reshape(b, in.h(), in.w(), c);
        if (in.h() % 2 == 1 || in.w() % 2 == 1) {
            x = x.pad(new Shape(0, 0, 0, in.w() % 2, 0, in.h() % 2), 0);
        }
        NDArray x0 = x.get(":, 0::2, 0::2, :");
        NDArray x1 = x.get(":, 1::2, 0::2, :");
        NDArray x2 = x.get(":, 0::2, 1::2, :");
        NDArray x3 = x.get(":, 1::2, 1::2, :");
        int h = (in.h() + 1) / 2;
        int w = (in.w() + 1) / 2;
        NDArray merged = NDArrays.concat(new NDList(x0, x1, x2, x3), -1).reshape(b, (long) h * w, 4 * c);
        merged = call("norm", merged);
        return new TokenGrid(call("reduction", merged), h, w);
    }
}
