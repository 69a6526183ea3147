package ai.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.peft4j.data.image.Palette;
import org.junit.jupiter.api.Test;

class InspectionEngineTest {
    @Test
    void palette_keepsTheRunFilesColours_andGoesOnWithVocsInsteadOfBlack() {
        // NEU-Seg's four colours, as configs/neu-seg.yaml gives them; an adapter with six classes on that base.
        Palette p = InspectionEngine.extended(Palette.of(0, 0, 0, 255, 64, 64, 64, 200, 64, 64, 128, 255));
        assertEquals(256, p.size());
        assertEquals(new Palette.Colour(255, 64, 64), p.colour(1));
        assertEquals(new Palette.Colour(64, 128, 255), p.colour(3));
        // VOC's colours of ids 4 and 5: (0, 0, 128) and (128, 0, 128).
        assertEquals(new Palette.Colour(0, 0, 128), p.colour(4));
        assertEquals(new Palette.Colour(128, 0, 128), p.colour(5));
    }
}
