/**
 * The Vision Transformer as timm's {@code VisionTransformer} builds it (class token, learned position embedding,
 * pre-norm blocks), with timm's state-dict names so its checkpoints load by name.
 */
package ai.peft4j.models.vit;
