package ai.peft4j.infer.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.peft4j.core.text.CsvRow;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.render.Overlay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrameStatsTest {
    @TempDir
    Path tmp;

    // 5 columns, 4 rows. Class 1 at (2,2) touches (1,1) only at a corner: one region under 8-connectivity.
    private static final int[] MASK = {
        1, 1, 0, 0, 2,
        0, 1, 0, 2, 2,
        0, 0, 1, 0, 0,
        1, 0, 0, 0, 3};

    @Test
    void areasAndEightConnectedComponents_matchTheHandCount() {
        FrameStats s = FrameStats.of(7, "f", 1.5, new ClassMap(5, 4, MASK), 4);
        assertArrayEquals(new long[] {11, 5, 3, 1}, s.pixels());
        assertEquals(0.25, s.fraction(1), 1e-12);
        assertEquals(0.55, s.fraction(0), 1e-12);
        assertEquals(List.of(
                new Component(1, 4, 0, 0, 2, 2),
                new Component(1, 1, 0, 3, 0, 3),
                new Component(2, 3, 3, 0, 4, 1),
                new Component(3, 1, 4, 3, 4, 3)), s.components());
        assertEquals(2, s.components(1).size());
        assertEquals(3, s.components(1).get(0).boxWidth());
    }

    @Test
    void regionThatWindsBack_isOneComponent_andTouchingClassesStaySeparate() {
        // A U of class 1 (filled from its top-left, it must come back up the right arm), with a class-2 pixel
        // inside touching it on three sides.
        int[] u = {
            1, 0, 0, 1,
            1, 0, 2, 1,
            1, 1, 1, 1};
        FrameStats s = FrameStats.of(0, "u", 0, new ClassMap(4, 3, u), 3);
        assertEquals(List.of(new Component(1, 8, 0, 0, 3, 2), new Component(2, 1, 2, 1, 2, 1)), s.components());
        assertArrayEquals(new long[] {3, 8, 1}, s.pixels());
    }

    @Test
    void classIdOutsideTheClasses_isAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrameStats.of(3, "x", 0, new ClassMap(2, 1, new int[] {0, 4}), 4));
        assertEquals("frame 3: class id 4 outside 0..3", e.getMessage());
    }

    @Test
    void writer_givesOneCsvRowAndOneJsonLinePerFrame() throws Exception {
        Path csv = tmp.resolve("s.csv");
        Path jsonl = tmp.resolve("s.jsonl");
        try (StatsWriter w = new StatsWriter(List.of("bg", "inclusion", "patches", "scratches"), csv, jsonl)) {
            w.write(FrameStats.of(7, "f", 1.5, new ClassMap(5, 4, MASK), 4));
        }
        assertEquals(List.of(
                "frame,name,seconds,width,height,bg_pixels,bg_fraction,inclusion_pixels,inclusion_fraction,"
                        + "inclusion_components,patches_pixels,patches_fraction,patches_components,scratches_pixels,"
                        + "scratches_fraction,scratches_components",
                "7,f,1.500,5,4,11,0.550000,5,0.250000,2,3,0.150000,1,1,0.050000,1"), Files.readAllLines(csv));
        assertEquals(List.of("{\"frame\":7,\"name\":\"f\",\"seconds\":1.5,\"width\":5,\"height\":4,\"classes\":["
                + "{\"id\":0,\"name\":\"bg\",\"pixels\":11,\"fraction\":0.55},"
                + "{\"id\":1,\"name\":\"inclusion\",\"pixels\":5,\"fraction\":0.25},"
                + "{\"id\":2,\"name\":\"patches\",\"pixels\":3,\"fraction\":0.15},"
                + "{\"id\":3,\"name\":\"scratches\",\"pixels\":1,\"fraction\":0.05}],\"components\":["
                + "{\"class\":1,\"name\":\"inclusion\",\"pixels\":4,\"box\":[0,0,2,2]},"
                + "{\"class\":1,\"name\":\"inclusion\",\"pixels\":1,\"box\":[0,3,0,3]},"
                + "{\"class\":2,\"name\":\"patches\",\"pixels\":3,\"box\":[3,0,4,1]},"
                + "{\"class\":3,\"name\":\"scratches\",\"pixels\":1,\"box\":[4,3,4,3]}]}"), Files.readAllLines(jsonl));
    }

    @Test
    void writer_quotesNamesWithCommasAndQuotesSoTheyReadBack() throws Exception {
        Path csv = tmp.resolve("s.csv");
        List<String> classes = List.of("bg", "dent, deep", "scratch \"long\"", "spot");
        String frame = "line 3, cam \"B\".png";
        try (StatsWriter w = new StatsWriter(classes, csv, null)) {
            w.write(FrameStats.of(7, frame, 1.5, new ClassMap(5, 4, MASK), 4));
        }
        List<String> lines = Files.readAllLines(csv);
        List<String> head = CsvRow.parse(lines.get(0));
        List<String> row = CsvRow.parse(lines.get(1));
        assertEquals(head.size(), row.size());
        assertEquals(List.of("frame", "name", "seconds", "width", "height", "bg_pixels", "bg_fraction",
                "dent, deep_pixels"), head.subList(0, 8));
        assertEquals("scratch \"long\"_components", head.get(12));
        assertEquals(List.of("7", frame, "1.500", "5", "4", "11"), row.subList(0, 6));
    }

    @Test
    void blend_mixesClassColoursAtAlphaAndKeepsTheBackground() {
        RgbImage grey = RgbImage.filled(2, 1, 100, 100, 100);
        RgbImage out = Overlay.blendDefects(grey, new int[] {0, 1}, Palette.voc(), 0.6);
        // VOC class 1 is (128, 0, 0): 0.4 * 100 + 0.6 * 128 = 116.8 -> 117; 0.4 * 100 = 40.
        assertEquals(List.of(100, 100, 100, 117, 40, 40), List.of(out.get(0, 0, 0), out.get(0, 0, 1),
                out.get(0, 0, 2), out.get(1, 0, 0), out.get(1, 0, 1), out.get(1, 0, 2)));
    }
}
