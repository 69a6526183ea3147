package ai.peft4j.peft.bottleneck;

import ai.djl.ndarray.NDArray;
import java.util.function.UnaryOperator;

/** Applies a token-wise function (over the last axis) to the channels of an NCHW map. */
public final class ChannelsLast {
    private ChannelsLast() {}

    public static NDArray apply(NDArray map, UnaryOperator<NDArray> tokenwise) {
        return tokenwise.apply(map.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2);
    }
}
