/**
 * Why a segmentation model predicts a class where it does: LayerCAM and Grad-CAM maps of named modules (adapters
 * included), taken with forward hooks and one backward pass per class, and their heat-map pictures.
 */
package ai.peft4j.infer.explain;
