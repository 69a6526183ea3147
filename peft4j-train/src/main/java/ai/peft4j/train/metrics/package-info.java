/**
 * Segmentation metrics from a confusion matrix with the published conventions of TP-LoRA's
 * {@code utils_metrics.py}: IoU, recall (PA), precision, Dice per class and their means, and pixel accuracy.
 */
package ai.peft4j.train.metrics;
