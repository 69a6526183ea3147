package ai.peft4j.data.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.image.RgbImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CopyFinderTest {
    /** A grey texture: coarse random blobs (what a hash sees) over fine random grain (what the pixel check sees). */
    private static float[] texture(int w, int h, long seed) {
        Random r = new Random(seed);
        int cells = 6;
        float[] coarse = new float[(cells + 1) * (cells + 1)];
        for (int i = 0; i < coarse.length; i++) {
            coarse[i] = 60 + 120 * r.nextFloat();
        }
        float[] out = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float gx = (float) x * cells / w;
                float gy = (float) y * cells / h;
                int cx = (int) gx;
                int cy = (int) gy;
                float fx = gx - cx;
                float fy = gy - cy;
                float top = coarse[cy * (cells + 1) + cx] * (1 - fx) + coarse[cy * (cells + 1) + cx + 1] * fx;
                float bottom = coarse[(cy + 1) * (cells + 1) + cx] * (1 - fx) + coarse[(cy + 1) * (cells + 1) + cx + 1]
                        * fx;
                out[y * w + x] = top * (1 - fy) + bottom * fy + 30 * (r.nextFloat() - 0.5f);
            }
        }
        return out;
    }

    private static RgbImage rgb(float[] grey, int w, int h, float brightness) {
        byte[] p = new byte[3 * w * h];
        for (int i = 0; i < w * h; i++) {
            int v = Math.max(0, Math.min(255, Math.round(grey[i] + brightness)));
            p[3 * i] = (byte) v;
            p[3 * i + 1] = (byte) v;
            p[3 * i + 2] = (byte) v;
        }
        return new RgbImage(w, h, p);
    }

    private static List<ImageFingerprint> prints(List<RgbImage> images) {
        List<ImageFingerprint> out = new ArrayList<>();
        images.forEach(i -> out.add(ImageFingerprint.of(i)));
        return out;
    }

    @Test
    void rotate90_turnsCounterClockwiseAsNumpyRot90() {
        // [[1, 2, 3], [4, 5, 6]] (2 rows, 3 columns): numpy.rot90 gives [[3, 6], [2, 5], [1, 4]].
        float[] img = {1, 2, 3, 4, 5, 6};
        assertArrayEquals(new float[] {3, 6, 2, 5, 1, 4}, Dihedral.ROT90.apply(img, 3, 2));
        assertArrayEquals(new float[] {6, 5, 4, 3, 2, 1}, Dihedral.ROT180.apply(img, 3, 2));
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, Dihedral.FLIP_H.apply(img, 3, 2));
        assertArrayEquals(new float[] {4, 5, 6, 1, 2, 3}, Dihedral.FLIP_V.apply(img, 3, 2));
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, Dihedral.TRANSPOSE.apply(img, 3, 2));
        for (Dihedral d : Dihedral.values()) {
            int w = d.swapsSides() ? 2 : 3;
            assertArrayEquals(img, d.inverse().apply(d.apply(img, 3, 2), w, 5 - w), d.label());
            assertEquals(d, Dihedral.of(d.label()));
        }
    }

    @Test
    void rotationsFlipsAndABrighterCopy_formOneGroupAndAnUnrelatedTextureStaysAlone() {
        int side = 96;
        float[] base = texture(side, side, 1);
        List<String> ids = new ArrayList<>();
        List<RgbImage> images = new ArrayList<>();
        ids.add("a-original");
        images.add(rgb(base, side, side, 0));
        for (Dihedral d : Dihedral.values()) {
            if (d != Dihedral.IDENTITY) {
                ids.add("b-" + d.label());
                images.add(rgb(d.apply(base, side, side), side, side, 0));
            }
        }
        ids.add("c-brighter");
        images.add(rgb(base, side, side, 12));
        ids.add("d-unrelated");
        images.add(rgb(texture(side, side, 2), side, side, 0));

        List<CopyPair> pairs = CopyFinder.defaults().find(ids, prints(images));
        CopyGroups groups = CopyGroups.of(ids, pairs);

        assertEquals(1, groups.copies().size(), groups.toString());
        assertEquals(ids.subList(0, 9).stream().sorted().toList(), groups.copies().get(0));
        assertEquals(List.of("d-unrelated"), groups.groups().get(groups.groups().size() - 1));
        for (Dihedral d : Dihedral.values()) {
            if (d != Dihedral.IDENTITY) {
                CopyPair p = pairs.stream().filter(q -> q.first().equals("a-original")
                        && q.second().equals("b-" + d.label())).findFirst().orElseThrow();
                assertEquals(d, p.transform(), p.toString());
                assertTrue(p.difference() < 0.01, p.toString());
            }
        }
        CopyPair brighter = pairs.stream().filter(q -> q.first().equals("a-original")
                && q.second().equals("c-brighter")).findFirst().orElseThrow();
        assertEquals(Dihedral.IDENTITY, brighter.transform());
    }

    @Test
    void nonSquareImageTurnedBy90_matchesWithItsSidesSwapped() {
        int w = 120;
        int h = 72;
        float[] wide = texture(w, h, 3);
        List<String> ids = List.of("tall-copy", "wide", "wide-squashed");
        List<RgbImage> images = List.of(rgb(Dihedral.ROT270.apply(wide, w, h), h, w, 0), rgb(wide, w, h, 0),
                // The same pixels read as a square image: its thumbnail equals the wide one's, but it is no copy.
                rgb(ImageFingerprint.areaResize(wide, w, h, 96, 96), 96, 96, 0));

        List<CopyPair> pairs = CopyFinder.defaults().find(ids, prints(images));

        assertEquals(1, pairs.size(), pairs.toString());
        assertEquals("tall-copy", pairs.get(0).first());
        assertEquals("wide", pairs.get(0).second());
        // The tall image is the wide one turned by 270 degrees, so turning it by 90 gives the wide one back.
        assertEquals(Dihedral.ROT90, pairs.get(0).transform());
    }
}
