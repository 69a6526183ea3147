/**
 * ONNX export and ONNX Runtime inference: module trees written as ONNX graphs op by op (BatchNorm folded into the
 * convolutions before it), statically quantised int8 QDQ graphs, and a predictor that runs either on ONNX Runtime.
 */
package ai.peft4j.infer.onnx;
