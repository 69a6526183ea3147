/**
 * The published preprocessing: letterbox to the input size for evaluation, and for training random aspect, scale,
 * placement, flip and HSV jitter, applied with the same geometry to image and mask. Resampling follows PIL and the
 * colour jitter OpenCV, so that the numbers match the published loader.
 */
package ai.peft4j.data.transform;
