package ai.peft4j.data.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.DataException;
import ai.peft4j.data.TestImages;
import ai.peft4j.data.image.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two classification layouts, the per-class split of a single folder, and the transforms' sizes. */
class LabelledImagesTest {
    @TempDir
    Path tmp;

    @Test
    void singleFolder_isSplitPerClass_6to2to2_disjointAndComplete() throws Exception {
        Path root = tmp.resolve("flat");
        for (String c : List.of("cat", "dog")) {
            Files.createDirectories(root.resolve(c));
            for (int i = 0; i < 10; i++) {
                TestImages.jpeg(root.resolve(c).resolve(c + i + ".jpg"), 8 + i, c.equals("cat") ? 8 : 9);
            }
        }
        LabelledImages train = LabelledImages.open(root, "image-folder", "train", null);
        LabelledImages val = LabelledImages.open(root, "image-folder", "val", train.classNames());
        LabelledImages test = LabelledImages.open(root, "image-folder", "test", train.classNames());
        assertEquals(List.of("cat", "dog"), train.classNames());
        // The published split of 10 ids: trainval int(10 * 0.8) = 8, train int(8 * 0.75) = 5 (0.6 / 0.8 < 0.75).
        assertArrayEquals(new int[] {5, 5}, train.classCounts());
        assertArrayEquals(new int[] {3, 3}, val.classCounts());
        assertArrayEquals(new int[] {2, 2}, test.classCounts());
        Set<String> ids = new HashSet<>();
        for (LabelledImages s : List.of(train, val, test)) {
            s.items().forEach(i -> assertTrue(ids.add(i.id()), "in two splits: " + i.id()));
            s.items().forEach(i -> assertEquals(i.id().startsWith("dog/") ? 1 : 0, i.label(), i.id()));
        }
        assertEquals(20, ids.size());
    }

    @Test
    void nameClass_takesTheClassFromTheId_inTheOrderOfClassesTxt() throws Exception {
        Path root = tmp.resolve("det");
        Files.createDirectories(root.resolve("JPEGImages"));
        Files.createDirectories(root.resolve("ImageSets/Main"));
        Files.writeString(root.resolve("classes.txt"), "scratches\npitted_surface\n");
        for (String id : List.of("pitted_surface_1", "scratches_10", "scratches_2")) {
            TestImages.jpeg(root.resolve("JPEGImages/" + id + ".jpg"), 8, 8);
        }
        Files.write(root.resolve("ImageSets/Main/train.txt"), List.of("pitted_surface_1", "scratches_10"));
        Files.write(root.resolve("ImageSets/Main/test.txt"), List.of("scratches_2", "rust_1"));
        LabelledImages train = LabelledImages.open(root, "name-class", "train", null);
        assertEquals(List.of("scratches", "pitted_surface"), train.classNames());
        assertEquals(List.of(1, 0), train.items().stream().map(LabelledImages.Item::label).toList());
        DataException e = assertThrows(DataException.class,
                () -> LabelledImages.open(root, "name-class", "test", train.classNames()));
        assertTrue(e.getMessage().contains("id 'rust_1' names class 'rust', which classes.txt does not list "
                + "([scratches, pitted_surface])"), e.getMessage());
    }

    @Test
    void transforms_giveSquaresOfTheSize_andTheTestViewIsTheCentre() {
        ClassificationTransform t = new ClassificationTransform(16, 0.08, true);
        RgbImage wide = TestImages.gradient(64, 32);
        assertEquals(3 * 16 * 16, t.train(wide, new Random(1)).length);
        float[] test = t.test(wide);
        assertEquals(3 * 16 * 16, test.length);
        // Shorter side 32 -> 16 halves the image to 32x16; the centre 16 columns are columns 8-23 of it.
        float[] centre = ClassificationTransform.crop(ai.peft4j.data.transform.Resampling.bicubic(wide, 32, 16), 8,
                0, 16, 16).toChannelsFirst();
        assertArrayEquals(centre, test);
    }
}
