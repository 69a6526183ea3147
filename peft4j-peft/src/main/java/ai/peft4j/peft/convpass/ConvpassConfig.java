package ai.peft4j.peft.convpass;

/**
 * Convpass's settings.
 *
 * @param dim width of the convolutional bypass (published: 8)
 * @param scale factor of the bypass (published: 1)
 */
public record ConvpassConfig(int dim, float scale) {}
