package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplitCommandTest {
    @TempDir
    Path tmp;


    @Test
    void help_describesTheOptions() {
        CliRun r = CliRun.of("split", "--help");
        assertEquals(0, r.code());
        for (String option : List.of("--layout", "--ratios", "--seed", "--output", "--force")) {
            assertTrue(r.out().contains(option), option + " in\n" + r.out());
        }
    }

    @Test
    void vocFolder_isSplit622AndTheSameSeedRewritesTheSameLists() throws Exception {
        Path root = tmp.resolve("lemon");
        new SyntheticCitrus(CitrusDomain.LEMON, 50, 32, 0).writeVoc(root);
        Path lists = root.resolve("ImageSets/Segmentation");
        for (String f : List.of("train.txt", "val.txt", "test.txt", "trainval.txt")) {
            Files.delete(lists.resolve(f));
        }
        CliRun r = CliRun.of("split", root.toString(), "--seed", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("50 samples (voc layout) split 6:2:2 with seed 3"), r.out());
        List<String> train = Files.readAllLines(lists.resolve("train.txt"));
        List<String> val = Files.readAllLines(lists.resolve("val.txt"));
        List<String> test = Files.readAllLines(lists.resolve("test.txt"));
        assertEquals(29, train.size());
        assertEquals(11, val.size());
        assertEquals(10, test.size());
        Set<String> all = new HashSet<>(train);
        all.addAll(val);
        all.addAll(test);
        assertEquals(50, all.size());
        assertEquals(0, CliRun.of("split", root.toString(), "--seed", "3").code());
        assertEquals(train, Files.readAllLines(lists.resolve("train.txt")));
        CliRun other = CliRun.of("split", root.toString(), "--seed", "4");
        assertEquals(2, other.code());
        assertTrue(other.err().contains("train.txt: a different split list exists; use --force"), other.err());
        assertEquals(0, CliRun.of("split", root.toString(), "--seed", "4", "--force").code());
    }

    @Test
    void classFolders_areSplitWithFolderQualifiedIds() throws Exception {
        Path root = tmp.resolve("tiles");
        for (String cls : List.of("Crack", "Free")) {
            for (int i = 0; i < 10; i++) {
                Path dir = root.resolve("MT_" + cls).resolve("Imgs");
                ImageEncoder.writeJpeg(RgbImage.filled(8, 6, 90, 90, 90), dir.resolve("t" + i + ".jpg"), 0.9f);
                ImageEncoder.writeIndexPng(new int[48], 8, 6, Palette.voc(), dir.resolve("t" + i + ".png"));
            }
        }
        CliRun r = CliRun.of("split", root.toString(), "--ratios", "7:2:1", "--output", tmp.resolve("lists").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("20 samples (folders layout)"), r.out());
        List<String> train = Files.readAllLines(tmp.resolve("lists/train.txt"));
        // int(20 * 0.9) = 18 to trainval, int(18 * (0.7 / 0.9)) = int(13.999999999999998) = 13 to train: the
        // published script's floating-point arithmetic, kept so that 6:2:2 splits have its sizes.
        assertEquals(13, train.size());
        assertEquals(5, Files.readAllLines(tmp.resolve("lists/val.txt")).size());
        assertEquals(2, Files.readAllLines(tmp.resolve("lists/test.txt")).size());
        assertTrue(train.stream().allMatch(id -> id.matches("MT_(Crack|Free)/t\\d")), train.toString());
    }

    @Test
    void idsWithSpaces_roundTripThroughSplitIntoTheDataSetThatTrainAndEvalOpen() throws Exception {
        Path root = tmp.resolve("voc");
        List<String> ids = List.of("a", "sample one", "two  spaces", "b", "c");
        for (String id : ids) {
            ImageEncoder.writeJpeg(RgbImage.filled(8, 6, 90, 90, 90), root.resolve("JPEGImages/" + id + ".jpg"), 0.9f);
            ImageEncoder.writeIndexPng(new int[48], 8, 6, Palette.voc(), root.resolve("SegmentationClass/" + id
                    + ".png"));
        }
        CliRun r = CliRun.of("split", root.toString(), "--ratios", "2:2:1");
        assertEquals(0, r.code(), r.err());
        Set<String> all = new HashSet<>();
        for (String split : List.of("train", "val", "test")) {
            Path list = root.resolve("ImageSets/Segmentation/" + split + ".txt");
            VocDataset ds = VocDataset.open(root, split, VocConfig.of("background", "defect"));
            assertEquals(Files.readAllLines(list), ds.ids());
            for (int i = 0; i < ds.size(); i++) {
                assertEquals(root.resolve("JPEGImages/" + ds.ids().get(i) + ".jpg"), ds.imageFile(i));
            }
            all.addAll(ds.ids());
        }
        assertEquals(Set.copyOf(ids), all);
        // The same seed finds the lists it would write already there, spaces and all.
        assertEquals(0, CliRun.of("split", root.toString(), "--ratios", "2:2:1").code());
    }

    @Test
    void idThatAListCannotHold_isRefusedBeforeAnyListIsWritten() throws Exception {
        Path root = tmp.resolve("voc");
        for (String id : List.of("a", "b", "trailing ")) {
            ImageEncoder.writeJpeg(RgbImage.filled(8, 6, 90, 90, 90), root.resolve("JPEGImages/" + id + ".jpg"), 0.9f);
            ImageEncoder.writeIndexPng(new int[48], 8, 6, Palette.voc(), root.resolve("SegmentationClass/" + id
                    + ".png"));
        }
        CliRun r = CliRun.of("split", root.toString());
        assertEquals(2, r.code());
        assertEquals("error: " + root + ": sample id 'trailing ' begins or ends with whitespace, which a split list "
                + "cannot keep; rename its files so that a split list can name them", r.err().strip());
        assertTrue(!Files.exists(root.resolve("ImageSets")), "no list written");
    }

    @Test
    void missingFolder_isOneClearError() {
        CliRun r = CliRun.of("split", tmp.resolve("nowhere").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nowhere: data folder not found"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace:\n" + r.err());
    }
}
