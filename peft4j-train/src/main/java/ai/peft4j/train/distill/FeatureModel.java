package ai.peft4j.train.distill;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * A model seen as the list of maps it computes for an image batch, as the published {@code fork_feat=True}
 * forward returns them: intermediate maps {@code [N, C, h, w]} first, the logits last.
 */
@FunctionalInterface
public interface FeatureModel {
    List<NDArray> features(NDArray images);
}
