/**
 * Hugging Face PEFT's adapter files ({@code adapter_config.json} and {@code adapter_model.safetensors}): LoRA and
 * DoRA adapters trained with HF PEFT load onto a peft4j model of the same base, and peft4j's adapters load in HF.
 */
package ai.peft4j.peft.hf;
