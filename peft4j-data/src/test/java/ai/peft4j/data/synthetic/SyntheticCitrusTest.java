package ai.peft4j.data.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.CheckReport;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.split.DatasetSplit;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCitrusTest {
    @TempDir
    Path dir;

    @Test
    void domains_haveTheirOwnClasses() {
        assertEquals(List.of("background", "sunburn", "ulcer", "wind scarring"), CitrusDomain.ORANGE.classNames());
        assertEquals(List.of("background", "flaw", "illness"), CitrusDomain.LEMON.classNames());
        assertEquals(List.of("background", "defect", "stem"), CitrusDomain.GRAPEFRUIT.classNames());
        assertEquals(new ai.peft4j.data.image.Palette.Colour(128, 0, 0),
                new SyntheticCitrus(CitrusDomain.LEMON, 1, 32, 0).palette().colour(1));
    }

    @Test
    void pairs_areReproducibleFromTheSeedInAnyOrder() {
        SyntheticCitrus a = new SyntheticCitrus(CitrusDomain.LEMON, 50, 96, 4);
        SyntheticCitrus b = new SyntheticCitrus(CitrusDomain.LEMON, 50, 96, 4);
        LabelledImage late = b.read(31);
        b.read(2);
        assertArrayEquals(a.read(31).image().pixels(), late.image().pixels());
        assertArrayEquals(a.read(31).mask(), late.mask());
        SyntheticCitrus other = new SyntheticCitrus(CitrusDomain.LEMON, 50, 96, 5);
        assertTrue(!java.util.Arrays.equals(a.read(31).image().pixels(), other.read(31).image().pixels()));
    }

    @Test
    void defects_areVisibleAgainstThePeelAndEveryClassOccurs() {
        for (CitrusDomain d : CitrusDomain.values()) {
            SyntheticCitrus set = new SyntheticCitrus(d, 60, 96, 0);
            int k = d.classNames().size();
            double[][] sum = new double[k][3];
            long[] count = new long[k];
            double[] peel = new double[3];
            long peelCount = 0;
            for (int i = 0; i < set.size(); i++) {
                LabelledImage p = set.read(i);
                for (int y = 0; y < 96; y++) {
                    for (int x = 0; x < 96; x++) {
                        int cls = p.mask()[y * 96 + x];
                        count[cls]++;
                        for (int c = 0; c < 3; c++) {
                            sum[cls][c] += p.image().get(x, y, c);
                        }
                        // Peel: background pixels near the centre, where the fruit always is.
                        if (cls == 0 && Math.abs(x - 48) < 12 && Math.abs(y - 48) < 12) {
                            peelCount++;
                            for (int c = 0; c < 3; c++) {
                                peel[c] += p.image().get(x, y, c);
                            }
                        }
                    }
                }
            }
            for (int cls = 1; cls < k; cls++) {
                assertTrue(count[cls] > 200, d + " class " + cls + " has only " + count[cls] + " pixels");
                double distance = 0;
                for (int c = 0; c < 3; c++) {
                    double diff = sum[cls][c] / count[cls] - peel[c] / peelCount;
                    distance += diff * diff;
                }
                assertTrue(Math.sqrt(distance) > 40, d + " class " + cls + " mean colour is only "
                        + Math.sqrt(distance) + " from the peel's");
            }
            // Defects are a minority of pixels, as in the real sets.
            assertTrue(count[0] > 0.8 * 60 * 96 * 96, d + " background share");
        }
    }

    @Test
    void generation_isFast() {
        SyntheticCitrus set = new SyntheticCitrus(CitrusDomain.ORANGE, 300, 128, 1);
        long start = System.nanoTime();
        for (int i = 0; i < set.size(); i++) {
            set.read(i);
        }
        double msPerImage = (System.nanoTime() - start) / 1e6 / set.size();
        assertTrue(msPerImage < 100, msPerImage + " ms per 128x128 image");
    }

    @Test
    void vocCopy_readsBackWithItsSplit() throws Exception {
        SyntheticCitrus set = new SyntheticCitrus(CitrusDomain.GRAPEFRUIT, 20, 64, 9);
        DatasetSplit split = set.writeVoc(dir);
        assertEquals(11, split.train().size());
        assertEquals(5, split.val().size());
        assertEquals(4, split.test().size());
        VocConfig config = new VocConfig(CitrusDomain.GRAPEFRUIT.classNames(), null, null, false);
        VocDataset train = VocDataset.open(dir, "train", config);
        assertEquals(11, train.size());
        LabelledImage back = train.read(0);
        LabelledImage original = set.read(set.ids().indexOf(back.id()));
        assertArrayEquals(original.mask(), back.mask(), "masks are lossless palette PNGs");
        double err = 0;
        for (int i = 0; i < back.image().pixels().length; i++) {
            err += Math.abs((back.image().pixels()[i] & 0xFF) - (original.image().pixels()[i] & 0xFF));
        }
        assertTrue(err / back.image().pixels().length < 4, "JPEG at quality 0.95 is close: " + err);
        CheckReport report = VocDataset.check(dir, config);
        assertTrue(report.ok(), report.describe());
        assertEquals(20, report.pairsChecked());
    }
}
