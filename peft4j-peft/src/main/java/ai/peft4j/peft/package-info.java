/**
 * Parameter-efficient fine-tuning: a method is a description that attaches adapter modules and forward hooks to a
 * model's modules found by name, never by editing model code. Freezing, counting, saving and switching work the
 * same way for every method: one attach template ({@link ai.peft4j.peft.PeftMethod#attach}), one registry of names
 * and config records ({@link ai.peft4j.peft.MethodRegistry}), one adapter directory format.
 */
package ai.peft4j.peft;
