package ai.peft4j.app.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.models.florence2.Florence2;
import ai.peft4j.models.florence2.Florence2Config;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The starter presets' shapes: what the image encoder hands the text model at the preset's image side. */
class Florence2StarterTest {
    @Test
    void smallPreset_givesSeventeenImageTokensOf128At128Pixels() {
        Florence2Config c = Florence2Starter.preset("small", 1300);
        assertEquals(List.of(32, 64, 96, 128), c.vision().dims());
        assertEquals(128, c.text().dModel());
        assertEquals(1300, c.text().vocabSize());
        try (NDManager m = EngineSetup.newManager()) {
            Florence2 model = new Florence2(m, c);
            model.eval();
            // DaViT's strides 4, 2, 2, 2 take 128 pixels to a 4x4 map: 16 tokens and the pooled one.
            assertEquals(new Shape(2, 17, 128), model.encodeImage(m.zeros(new Shape(2, 3, 128, 128))).getShape());
        }
    }

    @Test
    void unknownPreset_namesTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Florence2Starter.preset("large", 1300));
        assertEquals("unknown Florence-2 preset 'large' (known: tiny, small, base)", e.getMessage());
    }
}
