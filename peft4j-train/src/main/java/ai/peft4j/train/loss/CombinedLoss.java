package ai.peft4j.train.loss;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.stream.Collectors;

/** The sum of several losses, as the published code adds Dice to cross-entropy or focal. */
public final class CombinedLoss implements SegmentationLoss {
    private final List<SegmentationLoss> terms;

    public CombinedLoss(List<SegmentationLoss> terms) {
        if (terms.isEmpty()) {
            throw new IllegalArgumentException("a combined loss needs at least one term");
        }
        this.terms = List.copyOf(terms);
    }

    public List<SegmentationLoss> terms() {
        return terms;
    }

    @Override
    public NDArray compute(NDArray logits, NDArray labels) {
        NDArray total = terms.get(0).compute(logits, labels);
        for (int i = 1; i < terms.size(); i++) {
            total = total.add(terms.get(i).compute(logits, labels));
        }
        return total;
    }

    @Override
    public String toString() {
        return terms.stream().map(Object::toString).collect(Collectors.joining("+"));
    }
}
