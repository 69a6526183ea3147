package ai.peft4j.peft;

import ai.peft4j.core.nn.Module;
import ai.peft4j.peft.tplora.TextPrompt;
import java.util.function.UnaryOperator;

/**
 * What some methods need besides their settings, and which is not a setting: data (TP-LoRA's text prompt, saved
 * in the adapter's weights file) or model code (block expansion's way to build a fresh block).
 *
 * @param prompt TP-LoRA's text prompt, or null
 * @param freshBlock for block expansion: makes an empty block shaped like the given one, or null
 */
public record MethodInputs(TextPrompt prompt, UnaryOperator<Module> freshBlock) {
    public static MethodInputs none() {
        return new MethodInputs(null, null);
    }

    public static MethodInputs prompt(TextPrompt prompt) {
        return new MethodInputs(prompt, null);
    }

    public MethodInputs withFreshBlock(UnaryOperator<Module> factory) {
        return new MethodInputs(prompt, factory);
    }
}
