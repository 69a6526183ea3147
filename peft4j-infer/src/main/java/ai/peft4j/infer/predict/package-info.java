/**
 * Single-image prediction as the published {@code get_miou_png}: letterbox, forward in eval mode without gradients,
 * softmax, crop the letterbox padding, bilinear back to the original size, argmax.
 */
package ai.peft4j.infer.predict;
