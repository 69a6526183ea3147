package ai.peft4j.data.image;

import ai.peft4j.core.state.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A PNG of images in a grid on white: a heading over each column, and rows of square tiles of one side, each with a
 * label above it. Every tile of a row is drawn at the size that fits the row's first image into the tile (bilinear),
 * from the tile's top left corner. The evaluation's overlays and the explanations' heat maps are drawn this way.
 */
public final class ImageGrid {
    private static final int GAP = 6;
    private static final int LABEL = 18;

    /**
     * A row of the grid.
     *
     * @param label written above the row's tiles; null for none
     * @param tiles the row's images, left to right
     */
    public record Row(String label, List<RgbImage> tiles) {}

    private ImageGrid() {}

    /** The grid's width and height: {@code rows} rows (at least room for one) of {@code columns} tiles. */
    public static int[] size(int rows, int columns, int tile) {
        return new int[] {columns * tile + (columns + 1) * GAP, LABEL + Math.max(1, rows) * (LABEL + tile + GAP)};
    }

    /** Writes the grid to {@code file} (atomically), as many columns as {@code headings}. */
    public static void write(Path file, int tile, List<String> headings, List<Row> rows) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int[] size = size(rows.size(), headings.size(), tile);
        BufferedImage img = new BufferedImage(size[0], size[1], BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.setColor(Color.BLACK);
            for (int c = 0; c < headings.size(); c++) {
                g.drawString(headings.get(c), GAP + c * (tile + GAP), 13);
            }
            for (int r = 0; r < rows.size(); r++) {
                Row row = rows.get(r);
                int y = LABEL + r * (LABEL + tile + GAP);
                g.setColor(Color.BLACK);
                if (row.label() != null) {
                    g.drawString(row.label(), GAP, y + 13);
                }
                if (row.tiles().isEmpty()) {
                    continue;
                }
                RgbImage first = row.tiles().get(0);
                double scale = Math.min((double) tile / first.width(), (double) tile / first.height());
                int w = Math.max(1, (int) Math.round(first.width() * scale));
                int h = Math.max(1, (int) Math.round(first.height() * scale));
                for (int c = 0; c < row.tiles().size(); c++) {
                    g.drawImage(ImageEncoder.toBufferedImage(row.tiles().get(c)), GAP + c * (tile + GAP), y + LABEL,
                            w, h, null);
                }
            }
        } finally {
            g.dispose();
        }
        AtomicFiles.write(file, out -> ImageIO.write(img, "png", out));
    }
}
