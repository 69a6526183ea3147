package ai.peft4j.peft.adaptformer;

/**
 * AdaptFormer's settings.
 *
 * @param width bottleneck width (published: 64)
 * @param scale factor of the adapter branch (published: 0.1)
 */
public record AdaptFormerConfig(int width, float scale) {}
