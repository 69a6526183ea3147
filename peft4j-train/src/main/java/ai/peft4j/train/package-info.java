/** Placeholder: filled by the train work. */
package ai.peft4j.train;
