/**
 * Knowledge distillation: a frozen teacher's logits and features guide a real-time student through the
 * P&amp;KL and NFD losses of FastSegFormer.
 */
package ai.peft4j.distill;
