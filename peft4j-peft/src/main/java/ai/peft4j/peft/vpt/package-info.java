/**
 * VPT (visual prompt tuning) as the TP-LoRA comparison runs it: deep prompt tokens in every Swin window attention,
 * learned prompt maps added to the decoder's inputs and attention gates, backbone biases and the head.
 */
package ai.peft4j.peft.vpt;
