/**
 * Segmentation metrics from a confusion matrix with the published conventions of TP-LoRA's
 * {@code utils_metrics.py}: IoU, recall (PA), precision, Dice per class and their means, and pixel accuracy; and
 * image-level pass/fail verdicts with their precision-recall curve and per-class instance recall.
 */
package ai.peft4j.train.metrics;
