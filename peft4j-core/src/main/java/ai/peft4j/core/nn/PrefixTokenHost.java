package ai.peft4j.core.nn;

/**
 * An attention module that can take {@link PrefixTokens}. The model defines where attention happens; a fine-tuning
 * method finds the hosts by name and fills them, so neither knows the other's classes.
 */
public interface PrefixTokenHost {
    /** Sets the prefix tokens; fails when some are set already. The handle removes them again. */
    Module.HookHandle addPrefixTokens(PrefixTokens tokens);
}
