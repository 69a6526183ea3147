package ai.peft4j.data.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.core.testing.SharedFiles;
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
    void classSubset_ofNameClassData_keepsTheNamedClassesInTheirOwnOrder_andRefusesAnUnknownName() throws Exception {
        Path root = tmp.resolve("det");
        Files.createDirectories(root.resolve("JPEGImages"));
        Files.createDirectories(root.resolve("ImageSets/Main"));
        Files.writeString(root.resolve("classes.txt"), "crazing\ninclusion\npatches\n");
        List<String> ids = List.of("crazing_1", "inclusion_1", "inclusion_2", "patches_1", "patches_2", "patches_3");
        for (String id : ids) {
            TestImages.jpeg(root.resolve("JPEGImages/" + id + ".jpg"), 8, 8);
        }
        Files.write(root.resolve("ImageSets/Main/train.txt"), ids);
        Files.write(root.resolve("ImageSets/Main/test.txt"), List.of("crazing_1", "patches_2"));
        // Named out of order: the ids follow classes.txt (inclusion 0, patches 1), crazing is left out.
        LabelledImages train = LabelledImages.open(root, "name-class", "train", null, List.of("patches", "inclusion"));
        assertEquals(List.of("inclusion", "patches"), train.classNames());
        assertEquals(List.of("inclusion_1", "inclusion_2", "patches_1", "patches_2", "patches_3"),
                train.items().stream().map(LabelledImages.Item::id).toList());
        assertArrayEquals(new int[] {2, 3}, train.classCounts());
        LabelledImages test = LabelledImages.open(root, "name-class", "test", train.classNames(),
                List.of("patches", "inclusion"));
        assertEquals(List.of("patches_2"), test.items().stream().map(LabelledImages.Item::id).toList());
        assertEquals(1, test.items().get(0).label());
        // An empty subset keeps every class.
        assertEquals(6, LabelledImages.open(root, "name-class", "train", null, List.of()).size());
        DataException e = assertThrows(DataException.class,
                () -> LabelledImages.open(root, "name-class", "train", null, List.of("patches", "rust")));
        assertEquals(root + ": data.classes names 'rust', which is not a class of this data set; its classes are "
                + "[crazing, inclusion, patches]", e.getMessage());
    }

    @Test
    void classSubset_ofASingleFolder_isSplitLikeTheWholeSet() throws Exception {
        Path root = tmp.resolve("flat");
        for (String c : List.of("ant", "bee", "cat")) {
            Files.createDirectories(root.resolve(c));
            for (int i = 0; i < 10; i++) {
                TestImages.jpeg(root.resolve(c).resolve(c + i + ".jpg"), 8 + i, 8 + c.charAt(0) - 'a');
            }
        }
        List<String> subset = List.of("cat", "ant");
        LabelledImages train = LabelledImages.open(root, "image-folder", "train", null, subset);
        LabelledImages test = LabelledImages.open(root, "image-folder", "test", train.classNames(), subset);
        assertEquals(List.of("ant", "cat"), train.classNames());
        assertArrayEquals(new int[] {5, 5}, train.classCounts());
        assertArrayEquals(new int[] {2, 2}, test.classCounts());
        // The kept classes' splits are those of the whole set: the subset only drops the other class.
        LabelledImages whole = LabelledImages.open(root, "image-folder", "train", null);
        assertEquals(whole.items().stream().map(LabelledImages.Item::id).filter(id -> !id.startsWith("bee/"))
                .toList(), train.items().stream().map(LabelledImages.Item::id).toList());
        DataException e = assertThrows(DataException.class,
                () -> LabelledImages.open(root, "image-folder", "train", null, List.of("dog")));
        assertEquals(root + ": data.classes names 'dog', which is not a class of this data set; its classes are "
                + "[ant, bee, cat]", e.getMessage());
    }

    @Test
    void neuDet_splitByClassIntoTwoProductLines_hasItsPublishedCounts_andNoPhotoInBoth() throws Exception {
        Path neu = SharedFiles.require("data/neu-det");
        List<String> source = List.of("crazing", "pitted_surface", "rolled-in_scale");
        List<String> target = List.of("inclusion", "patches", "scratches");
        Set<String> sourcePhotos = new HashSet<>();
        Set<String> targetPhotos = new HashSet<>();
        for (String split : List.of("train", "val", "test")) {
            int perClass = split.equals("train") ? 180 : 60;
            LabelledImages s = LabelledImages.open(neu, "name-class", split, split.equals("train") ? null : source,
                    source);
            LabelledImages t = LabelledImages.open(neu, "name-class", split, split.equals("train") ? null : target,
                    target);
            assertEquals(source, s.classNames());
            assertEquals(target, t.classNames());
            assertArrayEquals(new int[] {perClass, perClass, perClass}, s.classCounts(), split);
            assertArrayEquals(new int[] {perClass, perClass, perClass}, t.classCounts(), split);
            for (LabelledImages.Item i : s.items()) {
                sourcePhotos.add(sha256(i.file()));
            }
            for (LabelledImages.Item i : t.items()) {
                targetPhotos.add(sha256(i.file()));
            }
        }
        // 900 distinct photos a side (the one duplicate pair, patches_101 = patches_105, is one photo), none shared.
        assertEquals(900, sourcePhotos.size());
        assertEquals(899, targetPhotos.size());
        targetPhotos.retainAll(sourcePhotos);
        assertEquals(Set.of(), targetPhotos);
    }

    private static String sha256(Path f) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(f)));
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
