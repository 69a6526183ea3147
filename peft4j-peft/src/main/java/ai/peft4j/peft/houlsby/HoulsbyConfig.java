package ai.peft4j.peft.houlsby;

/**
 * The "Adapter" method's settings.
 *
 * @param ratio bottleneck width relative to the channels (published: 0.25)
 */
public record HoulsbyConfig(float ratio) {}
