/**
 * Inference: predictors that turn images into class maps, overlays and defect statistics, stream pipelines
 * for folders and videos, and the runtimes a model can run on (the training engine, ONNX Runtime).
 */
package ai.peft4j.infer;
