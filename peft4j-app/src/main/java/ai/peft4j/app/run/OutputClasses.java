package ai.peft4j.app.run;

import ai.djl.ndarray.NDArray;
import java.util.Locale;

/**
 * What {@code --classes} means in every command that builds a model by name: the model's output classes, background
 * included. When it is not given, the weights say it (the output channels of the model's head in the file, else the
 * class count a peft4j checkpoint records); without weights it is the model's default, {@link #DEFAULT_FASTSEGFORMER}
 * for the FastSegFormer models (the published navel-orange classes) and {@link #DEFAULT_OTHERS} for the others.
 * Commands that read a run file take the classes from its data instead.
 */
public final class OutputClasses {
    /** FastSegFormer-P, -E and their teacher, as published: background, sunburn, ulcer, wind scarring. */
    public static final int DEFAULT_FASTSEGFORMER = 4;
    /** Every other model built by name. */
    public static final int DEFAULT_OTHERS = 6;
    /** The option's help text, the same in every command. */
    public static final String HELP = "Output classes, background included (default: read from the weights when "
            + "there are any, else 4 for the FastSegFormer models and 6 for the others).";

    private OutputClasses() {}

    /** The count without weights. */
    public static int byDefault(String model) {
        return model.toLowerCase(Locale.ROOT).startsWith("fastsegformer") ? DEFAULT_FASTSEGFORMER : DEFAULT_OTHERS;
    }

    /** The name of {@code model}'s head weight, whose first dimension is the class count; null when it has none. */
    static String headWeight(String model) {
        switch (model.toLowerCase(Locale.ROOT)) {
            case "swin-att-unet":
                return "final_conv.weight";
            case "fastsegformer-teacher":
                return "final_up_conv.1.weight";
            case "fastsegformer-p":
            case "fastsegformer-e":
                return "cnn_up.1.weight";
            case "swin":
            case "vit":
                return "head.weight";
            default:
                return null;
        }
    }

    /**
     * {@code given} when the command line gave it (at least 1), else what {@code weights} say (null: none), else
     * {@link #byDefault}.
     */
    public static int resolve(Integer given, String model, Weights weights) {
        if (given != null) {
            if (given < 1) {
                throw new IllegalArgumentException("--classes must be at least 1, got " + given);
            }
            return given;
        }
        if (weights != null) {
            String head = headWeight(model);
            NDArray w = head == null ? null : weights.find(head);
            if (w != null) {
                return (int) w.getShape().get(0);
            }
            if (weights.classes() > 0) {
                return weights.classes();
            }
        }
        return byDefault(model);
    }
}
