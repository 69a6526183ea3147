/**
 * Training and scoring a promptable segmenter of the SAM family: prompts derived from ground-truth masks (a box or
 * a click per connected defect region, or none), the published loss, and the published threshold-averaged Dice and
 * IoU.
 */
package ai.peft4j.train.promptable;
