/**
 * Knowledge distillation as FastSegFormer trains its students: a frozen teacher's intermediate maps and logits
 * guide a student through normalised feature distillation (NFD) and a pixel-and-KL logit loss, on top of
 * cross-entropy, as an {@link ai.peft4j.train.loop.Objective} of the ordinary training loop.
 */
package ai.peft4j.train.distill;
