package ai.peft4j.peft.tplora;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The nine sentences TP-LoRA's published code describes its data sets with ({@code nets/TP_LoRA/config.yaml},
 * {@code TEXT.<size>.<dataset>}), named {@code SIZE/DATASET} as that file keys them: {@code TINY}, {@code BASE}
 * (the first sentence of LARGE) or {@code LARGE} (the paper's), for {@code ORANGE-NAVEL}, {@code GRAPEFRUIT} or
 * {@code LEMON}. The text is kept as published, including the space before a comma in LARGE/LEMON.
 */
public final class PublishedPrompts {
    private static final String ORANGE_BASE = "This is a navel orange defect dataset with five classes of target "
            + "pixels rotten, navel deformation, mild pitting, severe pitting, and severe oil spotting.";
    private static final String GRAPEFRUIT_BASE = "This is a grapefruit defect dataset with three classes of target "
            + "pixels defect, stem and navel.";
    private static final String LEMON_BASE = "This is a lemon defect dataset with five classes of target pixels "
            + "flaw, navel, illness, gangrene, and decay.";
    private static final Map<String, String> TEXTS = new LinkedHashMap<>();

    static {
        TEXTS.put("TINY/ORANGE-NAVEL", "A navel orange defect dataset.");
        TEXTS.put("TINY/GRAPEFRUIT", "A grapefruit defect dataset.");
        TEXTS.put("TINY/LEMON", "A lemon defect dataset.");
        TEXTS.put("BASE/ORANGE-NAVEL", ORANGE_BASE);
        TEXTS.put("BASE/GRAPEFRUIT", GRAPEFRUIT_BASE);
        TEXTS.put("BASE/LEMON", LEMON_BASE);
        TEXTS.put("LARGE/ORANGE-NAVEL", ORANGE_BASE + " Common characteristics of defects in navel oranges include "
                + "discoloration, abnormal texture, and irregular shape or size.");
        TEXTS.put("LARGE/GRAPEFRUIT", GRAPEFRUIT_BASE + " Distinctive features of defects in grapefruit include color "
                + "variations, surface abnormalities, uneven texture, and irregularities in shape or size.");
        TEXTS.put("LARGE/LEMON", LEMON_BASE + " Common characteristics of defects in lemons include discoloration, "
                + "surface blemishes, texture irregularities , and variations in shape or size.");
    }

    private PublishedPrompts() {}

    /** All nine, by name, in the order of the published file. */
    public static Map<String, String> all() {
        return java.util.Collections.unmodifiableMap(TEXTS);
    }

    /**
     * The sentence of a name such as {@code LARGE/ORANGE-NAVEL}; case does not matter, and the data set may be
     * spelt as the published {@code get_prompt} takes it ({@code Orange-Navel}).
     */
    public static Optional<String> text(String name) {
        return Optional.ofNullable(TEXTS.get(name.strip().toUpperCase(Locale.ROOT)));
    }
}
