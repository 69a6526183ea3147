package ai.peft4j.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {
    @TempDir
    Path tmp;

    private static int rgb(BufferedImage img, int x, int y) {
        return img.getRGB(x, y) & 0xFFFFFF;
    }

    @Test
    void tilesLandInTheirCells_scaledToFitTheRowsFirstImage_onWhite() throws Exception {
        Path file = tmp.resolve("grid.png");
        // 10x5 images in 20-pixel tiles: drawn 20x10 from each cell's top left corner.
        List<ImageGrid.Row> rows = List.of(
                new ImageGrid.Row("first", List.of(RgbImage.filled(10, 5, 255, 0, 0), RgbImage.filled(10, 5, 0, 255, 0),
                        RgbImage.filled(10, 5, 0, 0, 255))),
                new ImageGrid.Row(null, List.of(RgbImage.filled(4, 8, 10, 20, 30))));
        ImageGrid.write(file, 20, List.of("a", "b", "c"), rows);
        BufferedImage img = ImageIO.read(file.toFile());
        assertArrayEquals(new int[] {3 * 20 + 4 * 6, 18 + 2 * (18 + 20 + 6)}, ImageGrid.size(2, 3, 20));
        assertEquals(84, img.getWidth());
        assertEquals(106, img.getHeight());
        int top = 18 + 18;
        assertEquals(0xFF0000, rgb(img, 6 + 10, top + 5));
        assertEquals(0x00FF00, rgb(img, 6 + 26 + 10, top + 5));
        assertEquals(0x0000FF, rgb(img, 6 + 52 + 19, top + 9));
        assertEquals(0xFFFFFF, rgb(img, 6 + 10, top + 15), "below the 10-pixel-high drawing");
        assertEquals(0xFFFFFF, rgb(img, 6 + 20 + 3, top + 5), "the gap between cells");
        // Second row: a 4x8 image drawn 10x20; the cells right of it stay empty.
        int second = 18 + 44 + 18;
        assertEquals(0x0A141E, rgb(img, 6 + 5, second + 10));
        assertEquals(0xFFFFFF, rgb(img, 6 + 12, second + 10));
        assertEquals(0xFFFFFF, rgb(img, 6 + 26 + 10, second + 10));
    }

    @Test
    void noRows_stillLeavesRoomForOne() throws Exception {
        Path file = tmp.resolve("empty.png");
        ImageGrid.write(file, 30, List.of("image"), List.of());
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(30 + 2 * 6, img.getWidth());
        assertEquals(18 + 18 + 30 + 6, img.getHeight());
        assertEquals(0xFFFFFF, rgb(img, 20, 50));
    }
}
