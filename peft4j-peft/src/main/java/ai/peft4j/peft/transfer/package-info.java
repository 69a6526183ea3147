/**
 * The fine-tuning modes peft-vit compares on a pretrained ViT classifier (timm names: {@code blocks}, {@code head},
 * {@code attn.qkv}): full, linear (head only), LoRA on query and value, and the last k blocks.
 */
package ai.peft4j.peft.transfer;
