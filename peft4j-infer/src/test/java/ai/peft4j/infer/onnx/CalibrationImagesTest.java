package ai.peft4j.infer.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.RgbImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationImagesTest {
    @TempDir
    Path dir;

    @Test
    void folderSortedByClass_givesImagesFromAllOfIt() throws Exception {
        // Ten images named in order, as a data set sorted by class has them; image k is filled with grey k.
        for (int k = 0; k < 10; k++) {
            ImageEncoder.writePng(RgbImage.filled(4, 4, 10 * k, 10 * k, 10 * k),
                    dir.resolve(String.format(Locale.ROOT, "%03d.png", k)));
        }
        List<float[]> picked = CalibrationImages.fromFolder(dir, 4, 4, 4);
        float[] greys = new float[picked.size()];
        for (int i = 0; i < greys.length; i++) {
            greys[i] = Math.round(picked.get(i)[0] * 255 / 10);
        }
        assertArrayEquals(new float[] {0, 2, 5, 7}, greys, "evenly spaced, not the first four");
        assertEquals(10, CalibrationImages.fromFolder(dir, 4, 4, 32).size(), "all of them when there are fewer");
    }
}
