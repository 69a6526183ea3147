package ai.peft4j.peft.houlsby;

import java.util.Locale;

/**
 * The "Adapter" method's settings.
 *
 * @param ratio bottleneck width relative to the channels (published: 0.25)
 * @param init the adapters' first weights: {@code published} (null reads as this: N(0, 0.02) inside the backbone,
 *     PyTorch's default Linear draw in the decoder and gates, so the adapted model starts away from the base) or
 *     {@code identity} (the same draws with every up-projection zeroed, so the adapted model starts as the base)
 */
public record HoulsbyConfig(float ratio, String init) {
    public static final String PUBLISHED = "published";
    public static final String IDENTITY = "identity";

    public HoulsbyConfig {
        if (!(ratio > 0)) {
            throw new IllegalArgumentException("adapter ratio must be positive, got " + ratio);
        }
        init = init == null ? PUBLISHED : init.toLowerCase(Locale.ROOT);
        if (!init.equals(PUBLISHED) && !init.equals(IDENTITY)) {
            throw new IllegalArgumentException("adapter init must be " + PUBLISHED + " or " + IDENTITY + ", got '"
                    + init + "'");
        }
    }

    /** The published initialisation. */
    public HoulsbyConfig(float ratio) {
        this(ratio, PUBLISHED);
    }

    /** Whether every adapter starts as a no-op. */
    public boolean identityInit() {
        return IDENTITY.equals(init);
    }
}
