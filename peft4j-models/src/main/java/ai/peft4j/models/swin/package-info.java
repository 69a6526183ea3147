/**
 * The Swin Transformer (shifted-window attention) as TP-LoRA's backbone builds it, with the parameter names of
 * its PyTorch state dict ({@code patch_embed}, {@code layers.N.blocks.M.attn.qkv}, ...).
 */
package ai.peft4j.models.swin;
