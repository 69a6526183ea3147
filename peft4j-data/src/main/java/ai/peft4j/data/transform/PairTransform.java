package ai.peft4j.data.transform;

import ai.peft4j.data.LabelledImage;
import java.util.SplittableRandom;

/** Changes an image and its mask together; all randomness comes from the generator given, for reproducibility. */
@FunctionalInterface
public interface PairTransform {
    LabelledImage apply(LabelledImage pair, SplittableRandom random);

    /** Leaves pairs as they are. */
    static PairTransform identity() {
        return (pair, random) -> pair;
    }
}
