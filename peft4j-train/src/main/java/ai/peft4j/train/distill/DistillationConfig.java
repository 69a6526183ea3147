package ai.peft4j.train.distill;

import java.util.List;

/**
 * How a student learns from its teacher. The defaults are FastSegFormer's: {@code CE + 5 NFD + 0.5 L_logits}
 * ({@code utils_fit.py}), temperature 2 and {@code k1 = 0.5} ({@code distillation_loss.py}), and the one feature
 * pair the published loop actually trains with (teacher {@code a1} against student {@code cnn2}, index 6 of both
 * fork lists: its loop assigns instead of adding, so only the last pair counts).
 *
 * @param nfdWeight weight of the feature loss; 0 leaves it out
 * @param logitWeight weight of the logit loss; 0 leaves it out
 * @param temperature softmax temperature of the KL term
 * @param k1 share of the KL term in the logit loss; the MSE term gets {@code 1 - k1}
 * @param pairs the feature pairs of the feature loss
 * @param studentSize side of the student's input; 0 feeds it the batch as it comes, another value resizes the
 *     batch (bilinear, corners aligned, as the published multi-resolution option) while the teacher sees it whole
 * @param epsilon added to each channel's standard deviation, so a constant channel does not divide by zero
 */
public record DistillationConfig(float nfdWeight, float logitWeight, float temperature, float k1,
        List<FeaturePair> pairs, int studentSize, float epsilon) {
    public DistillationConfig {
        if (nfdWeight < 0 || logitWeight < 0) {
            throw new IllegalArgumentException("loss weights must not be negative, got NFD " + nfdWeight
                    + " and logits " + logitWeight);
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        }
        if (k1 < 0 || k1 > 1) {
            throw new IllegalArgumentException("k1 must lie in [0, 1], got " + k1);
        }
        pairs = List.copyOf(pairs);
        if (nfdWeight > 0 && pairs.isEmpty()) {
            throw new IllegalArgumentException("the feature loss needs at least one feature pair");
        }
        if (studentSize < 0) {
            throw new IllegalArgumentException("studentSize must be 0 (as the batch) or positive, got "
                    + studentSize);
        }
    }

    /** The published settings, with student and teacher on the same input. */
    public static DistillationConfig published() {
        return new DistillationConfig(5f, 0.5f, 2f, 0.5f, List.of(new FeaturePair(6, 6)), 0, 1e-5f);
    }

    public DistillationConfig withPairs(List<FeaturePair> p) {
        return new DistillationConfig(nfdWeight, logitWeight, temperature, k1, p, studentSize, epsilon);
    }

    /** The multi-resolution option: the student sees the batch resized to {@code side}. */
    public DistillationConfig withStudentSize(int side) {
        return new DistillationConfig(nfdWeight, logitWeight, temperature, k1, pairs, side, epsilon);
    }

    public DistillationConfig withWeights(float nfd, float logits) {
        return new DistillationConfig(nfd, logits, temperature, k1, pairs, studentSize, epsilon);
    }
}
