package ai.peft4j.app.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.infer.segment.SlidingWindow;
import ai.peft4j.train.loop.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SlidingWindowValidationTest {
    @Test
    void logits_areTheWholeImagesBlendedFromTiles_trainingLossIsTheWrappedOne() {
        List<Shape> tiles = new ArrayList<>();
        Objective pointwise = new Objective() {
            @Override
            public NDArray loss(NDArray images, NDArray labels) {
                return images.sum().add(1f);
            }

            @Override
            public NDArray logits(NDArray images) {
                tiles.add(images.getShape());
                return images.mul(10f);
            }
        };
        SlidingWindowValidation v = new SlidingWindowValidation(pointwise, new SlidingWindow(16, 0.25, 64, 1.0));
        try (NDManager m = EngineSetup.newManager()) {
            // Pixels as the loader gives them: bytes / 255.
            float[] px = new float[2 * 3 * 40 * 50];
            Random r = new Random(3);
            for (int i = 0; i < px.length; i++) {
                px[i] = r.nextInt(256) / 255f;
            }
            NDArray images = m.create(px, new Shape(2, 3, 40, 50));
            NDArray logits = v.logits(images);
            assertEquals(new Shape(2, 3, 40, 50), logits.getShape());
            float[] got = logits.toFloatArray();
            for (int i = 0; i < px.length; i++) {
                assertEquals(10 * px[i], got[i], 1e-5, "value " + i);
            }
            // Columns 0, 12, 24, 34 and rows 0, 12, 24: 12 tiles of 16x16 per image, one batch each.
            assertEquals(List.of(new Shape(12, 3, 16, 16), new Shape(12, 3, 16, 16)), tiles);
            assertArrayEquals(new float[] {pointwise.loss(images, null).getFloat()},
                    new float[] {v.loss(images, null).getFloat()});
        }
    }
}
