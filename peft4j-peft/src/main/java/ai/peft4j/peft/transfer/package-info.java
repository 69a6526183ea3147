/**
 * The fine-tuning modes peft-vit compares on a pretrained ViT classifier (timm names: {@code blocks}, {@code head},
 * {@code attn.qkv}): LoRA on query and value and the last k blocks; its full and linear (head only) modes are the
 * methods {@code full} and {@code classify}, which take a classifier form on a ViT.
 */
package ai.peft4j.peft.transfer;
