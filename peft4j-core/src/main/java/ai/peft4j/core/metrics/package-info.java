/**
 * Segmentation metrics with the published conventions (confusion matrix, IoU, Dice, ...) and
 * connected defect regions, shared by training, inference and the command line.
 */
package ai.peft4j.core.metrics;
