package ai.peft4j.infer.explain;

import ai.peft4j.data.image.ImageGrid;
import ai.peft4j.data.image.RgbImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One picture of an image's explanation: a row per module, and in each row the image, the prediction and the
 * module's heat map of each class, every tile scaled to fit {@value #TILE} pixels.
 */
public final class ExplanationGrid {
    static final int TILE = 160;

    private ExplanationGrid() {}

    /** The grid's width and height for {@code modules} rows and {@code classes} map columns. */
    public static int[] size(int modules, int classes) {
        return ImageGrid.size(modules, 2 + classes, TILE);
    }

    /**
     * @param classes the map columns' headings
     * @param modules the rows' headings
     * @param maps {@code maps[row][column]}: the heat maps over the image
     */
    public static void write(Path file, RgbImage image, RgbImage prediction, List<String> classes,
            List<String> modules, RgbImage[][] maps) throws IOException {
        List<String> headings = new ArrayList<>(List.of("image", "prediction"));
        headings.addAll(classes);
        List<ImageGrid.Row> rows = new ArrayList<>();
        for (int r = 0; r < modules.size(); r++) {
            List<RgbImage> tiles = new ArrayList<>(List.of(image, prediction));
            tiles.addAll(List.of(maps[r]).subList(0, classes.size()));
            rows.add(new ImageGrid.Row(modules.get(r), tiles));
        }
        if (rows.isEmpty()) {
            rows.add(new ImageGrid.Row(null, List.of(image, prediction)));
        }
        ImageGrid.write(file, TILE, headings, rows);
    }
}
