/** The two ends of the scale: full fine-tuning and training the head alone. */
package ai.peft4j.peft.full;
