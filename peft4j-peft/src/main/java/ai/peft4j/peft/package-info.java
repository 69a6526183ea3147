/** Placeholder: filled by the peft work. */
package ai.peft4j.peft;
