package ai.peft4j.peft;

import ai.peft4j.core.nn.Module;

/**
 * A fine-tuning method with its settings, e.g. LoRA of rank 8 on the window attentions. Attaching it to a model
 * adds its modules and hooks and says which parameters train.
 */
public interface PeftMethod {
    /** The method's name as configuration files and the command line spell it, e.g. {@code lora}. */
    String name();

    /** Settings as flat key/value pairs, written into adapter files and reports. */
    java.util.Map<String, Object> settings();

    /**
     * Attaches to {@code model} and activates the result. Fails with a clear message when the model lacks the
     * modules the method targets.
     */
    Attachment attach(Module model);
}
