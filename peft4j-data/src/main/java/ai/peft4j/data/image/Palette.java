package ai.peft4j.data.image;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Display colours of classes, by class id: written into palette PNG masks and used to read colour masks back.
 *
 * @param colours colour of class {@code i} at position {@code i}
 */
public record Palette(List<Colour> colours) {
    /** An 8-bit RGB colour. */
    public record Colour(int red, int green, int blue) {
        public Colour {
            if ((red | green | blue) >>> 8 != 0) {
                throw new IllegalArgumentException("colour components must lie in 0-255, got (" + red + ", "
                        + green + ", " + blue + ")");
            }
        }

        public int rgb() {
            return red << 16 | green << 8 | blue;
        }

        @Override
        public String toString() {
            return "(" + red + ", " + green + ", " + blue + ")";
        }
    }

    public Palette {
        colours = List.copyOf(colours);
        if (colours.isEmpty() || colours.size() > 256) {
            throw new IllegalArgumentException("a palette holds 1 to 256 colours, got " + colours.size());
        }
    }

    /**
     * The PASCAL VOC colour map of 256 entries (black, (128, 0, 0), (0, 128, 0), (128, 128, 0), ...): the default,
     * and the first colours of the published navel orange and grapefruit palettes.
     */
    public static Palette voc() {
        List<Colour> list = new ArrayList<>(256);
        for (int i = 0; i < 256; i++) {
            int r = 0;
            int g = 0;
            int b = 0;
            // The bits of the id, three at a time, go to the high bits of red, green and blue in turn.
            for (int j = 0, id = i; j < 8; j++, id >>= 3) {
                r |= (id & 1) << (7 - j);
                g |= ((id >> 1) & 1) << (7 - j);
                b |= ((id >> 2) & 1) << (7 - j);
            }
            list.add(new Colour(r, g, b));
        }
        return new Palette(list);
    }

    /** A palette from {@code r, g, b} triples. */
    public static Palette of(int... rgbTriples) {
        if (rgbTriples.length % 3 != 0) {
            throw new IllegalArgumentException("palette values come in r, g, b triples; got " + rgbTriples.length);
        }
        List<Colour> list = new ArrayList<>();
        for (int i = 0; i < rgbTriples.length; i += 3) {
            list.add(new Colour(rgbTriples[i], rgbTriples[i + 1], rgbTriples[i + 2]));
        }
        return new Palette(list);
    }

    public int size() {
        return colours.size();
    }

    /** The colour of a class id, black for ids past the palette's end. */
    public Colour colour(int classId) {
        return classId >= 0 && classId < colours.size() ? colours.get(classId) : new Colour(0, 0, 0);
    }

    /** Class id by {@code 0xRRGGBB}; the first class wins where colours repeat. */
    public Map<Integer, Integer> idsByColour() {
        Map<Integer, Integer> map = new HashMap<>();
        for (int i = colours.size() - 1; i >= 0; i--) {
            map.put(colours.get(i).rgb(), i);
        }
        return map;
    }

    /** A mask drawn in the class colours, for a person to look at. */
    public RgbImage colourise(int[] mask, int width, int height) {
        byte[] p = new byte[3 * width * height];
        for (int i = 0; i < mask.length; i++) {
            Colour c = colour(mask[i]);
            p[3 * i] = (byte) c.red();
            p[3 * i + 1] = (byte) c.green();
            p[3 * i + 2] = (byte) c.blue();
        }
        return new RgbImage(width, height, p);
    }
}
