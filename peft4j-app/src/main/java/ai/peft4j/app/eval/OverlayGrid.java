package ai.peft4j.app.eval;

import ai.peft4j.data.image.ImageGrid;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.render.Overlay;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test images in rows: the image, its ground truth and the prediction, both as colour overlays (alpha 0.6). */
public final class OverlayGrid {
    private static final int TILE = 200;

    private OverlayGrid() {}

    public static void write(Path file, List<TestSetPredictions.Shown> shown, Palette palette) throws IOException {
        List<ImageGrid.Row> rows = new ArrayList<>();
        for (TestSetPredictions.Shown s : shown) {
            RgbImage image = s.pair().image();
            rows.add(new ImageGrid.Row(s.pair().id(), List.of(image, Overlay.blend(image, s.pair().mask(), palette),
                    Overlay.blend(image, s.prediction(), palette))));
        }
        ImageGrid.write(file, TILE, List.of("image", "ground truth", "prediction"), rows);
    }
}
