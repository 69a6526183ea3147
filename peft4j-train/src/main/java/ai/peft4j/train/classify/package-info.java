/**
 * Image classification as a task of the trainer: the objective (cross-entropy with soft targets) and the scores
 * (top-1, top-5, per-class accuracy, the confusion matrix).
 */
package ai.peft4j.train.classify;
