/**
 * Segmentation losses over NCHW logits and NHW class ids with an ignore label: cross-entropy, Dice and focal as
 * the published TP-LoRA code computes them, losses for rare defect pixels (Dice over present classes, top-k
 * cross-entropy, Lovasz-softmax), and their sums.
 */
package ai.peft4j.train.loss;
