package ai.peft4j.infer.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.infer.stats.ClassMap;
import org.junit.jupiter.api.Test;

class ModuleFrameModelTest {
    /** Logits are the input's colour channels, so the class of a pixel is its strongest channel. */
    static final class ChannelsAsLogits extends Module implements Layer {
        @Override
        public NDArray forward(NDArray x) {
            return x;
        }
    }

    @Test
    void prediction_isCutFromTheLetterboxAndSizedToTheFrame() {
        // 16x8, red left half, blue right half; letterboxed into 32x32 it lies in rows 8-23 between grey bands.
        byte[] px = new byte[3 * 16 * 8];
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                px[3 * (y * 16 + x) + (x < 8 ? 0 : 2)] = (byte) 255;
            }
        }
        RgbImage frame = new RgbImage(16, 8, px);
        ModelInput in = new LetterboxPreprocess(Letterbox.square(32)).prepare(frame);
        assertEquals(new Letterbox.Placement(0, 8, 32, 16), in.placement());
        try (ModuleFrameModel model = new ModuleFrameModel(new ChannelsAsLogits())) {
            ClassMap map = model.predict(in);
            assertEquals(16, map.width());
            assertEquals(8, map.height());
            // Grey bands (a tie, argmax 0) would turn the blue half's top and bottom rows to class 0 if they
            // were not cut away; bicubic ringing may blur only the two columns at the edge.
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 16; x++) {
                    if (x != 7 && x != 8) {
                        assertEquals(x < 8 ? 0 : 2, map.get(x, y), "at " + x + "," + y);
                    }
                }
            }
        }
    }
}
