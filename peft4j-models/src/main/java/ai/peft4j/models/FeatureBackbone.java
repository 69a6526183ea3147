package ai.peft4j.models;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A backbone used for dense prediction: it gives one feature map per stage, finest first (for the backbones here
 * at 1/4, 1/8, 1/16 and 1/32 of the input side), as the published {@code fork_feat=True} backbones do.
 */
public interface FeatureBackbone {
    /** The stage maps {@code [B, channels(k), H / 2^(k+2), W / 2^(k+2)]} of images {@code [B, 3, H, W]}. */
    List<NDArray> features(NDArray images);

    /** Channels of each stage map. */
    int[] featureChannels();
}
