/**
 * Where the TP-LoRA comparison methods attach in a Swin-Att-UNet-like segmenter: module names only (window
 * attentions, blocks, attention gates, decoder blocks, head), as HF PEFT keeps target-module names per model type.
 */
package ai.peft4j.peft.segmenter;
