/**
 * LoRA and DoRA with HF PEFT's meaning on any model: low-rank {@code lora_A}/{@code lora_B} children and a forward
 * hook on each targeted Linear or Conv2d, per-module ranks, modules to save, and reversible merging.
 */
package ai.peft4j.peft.lora;
