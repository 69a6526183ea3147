/**
 * The training loop: a {@link ai.peft4j.train.loop.Trainer} that trains a model's trainable parameters epoch by
 * epoch, validates, keeps best and last checkpoints and resumes a killed run from the last one.
 */
package ai.peft4j.train.loop;
