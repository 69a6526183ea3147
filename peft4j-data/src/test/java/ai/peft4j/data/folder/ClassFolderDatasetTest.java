package ai.peft4j.data.folder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.CheckReport;
import ai.peft4j.data.DataException;
import ai.peft4j.data.ImageSubset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.TestImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassFolderDatasetTest {
    @TempDir
    Path dir;

    @Test
    void magneticTile_classesComeFromFolderNamesBackgroundFirst() {
        ClassFolderDataset all = ClassFolderDataset.all(SharedFiles.require("data/magnetic-tile"),
                ClassFolderConfig.defaults());
        assertEquals(1344, all.size());
        assertEquals(List.of("background", "Blowhole", "Break", "Crack", "Fray", "Uneven"), all.classNames());
        assertEquals(1344 - 1904 / 2, all.ids().stream().filter(id -> !id.startsWith("MT_Free/")).count());
        assertTrue(all.ids().contains("MT_Crack/exp1_num_3191"));
    }

    @Test
    void magneticTile_crackMaskIsThresholdedAt128() {
        ClassFolderDataset all = ClassFolderDataset.all(SharedFiles.require("data/magnetic-tile"),
                ClassFolderConfig.defaults());
        LabelledImage crack = all.read(all.ids().indexOf("MT_Crack/exp1_num_3191"));
        assertEquals(469, crack.width());
        assertEquals(370, crack.height());
        int defect = 0;
        for (int v : crack.mask()) {
            assertTrue(v == 0 || v == 3, "only background and Crack (id 3), got " + v);
            defect += v == 3 ? 1 : 0;
        }
        // Counted from the PNG's own zlib stream without an image library: 715 values >= 128 (959 non-zero).
        assertEquals(715, defect);
    }

    @Test
    void defectShare_keepsEveryDefectiveImageAndTopsUpWithDefectFreeOnes() {
        ClassFolderDataset all = ClassFolderDataset.all(SharedFiles.require("data/magnetic-tile"),
                ClassFolderConfig.defaults());
        // 392 defective and 952 defect-free pairs: half of 480 is 240 of each.
        ImageSubset half = ImageSubset.defectShare(all, 480, 0.5, all::defectFree);
        assertEquals(480, half.size());
        assertEquals(240, countFree(half, all));
        assertEquals(480, IntStream.range(0, 480).map(half::sourceIndex).distinct().count());
        // 800 at a share of 0.25: 200 defect-free leave 600 places to defective images, which number 392.
        ImageSubset quarter = ImageSubset.defectShare(all, 800, 0.25, all::defectFree);
        assertEquals(200 + 392, quarter.size());
        assertEquals(200, countFree(quarter, all));
        assertEquals(392, ImageSubset.defectShare(all, 2000, 0, all::defectFree).size());
        assertThrows(IllegalArgumentException.class, () -> ImageSubset.defectShare(all, 10, 1.5, all::defectFree));
    }

    private static long countFree(ImageSubset subset, ClassFolderDataset all) {
        return IntStream.range(0, subset.size()).filter(i -> all.defectFree(subset.sourceIndex(i))).count();
    }

    @Test
    void configuredClassOrder_setsTheIds() {
        ClassFolderConfig config = ClassFolderConfig.defaults()
                .withClassNames(List.of("background", "Crack", "Blowhole", "Break", "Fray", "Uneven"));
        ClassFolderDataset all = ClassFolderDataset.all(SharedFiles.require("data/magnetic-tile"), config);
        LabelledImage crack = all.read(all.ids().indexOf("MT_Crack/exp1_num_3191"));
        assertEquals(715, java.util.Arrays.stream(crack.mask()).filter(v -> v == 1).count());
    }

    @Test
    void defectFreeFolder_givesBackgroundOnlyWithOrWithoutMask() throws IOException {
        Path free = dir.resolve("MT_Free/Imgs");
        TestImages.jpeg(free.resolve("a.jpg"), 6, 4);
        TestImages.mask(free.resolve("a.png"), 6, 4, 255, 255);
        TestImages.jpeg(free.resolve("b.jpg"), 6, 4);
        Path crack = dir.resolve("MT_Crack/Imgs");
        TestImages.jpeg(crack.resolve("c.jpg"), 6, 4);
        TestImages.mask(crack.resolve("c.png"), 6, 4, 127, 128);
        ClassFolderDataset all = ClassFolderDataset.all(dir, ClassFolderConfig.defaults());
        assertEquals(List.of("background", "Crack"), all.classNames());
        assertEquals(List.of("MT_Crack/c", "MT_Free/a", "MT_Free/b"), all.ids());
        assertEquals(1, java.util.Arrays.stream(all.read(0).mask()).sum());
        assertEquals(1, all.read(0).mask()[0]);
        assertEquals(0, java.util.Arrays.stream(all.read(1).mask()).sum());
        assertEquals(0, java.util.Arrays.stream(all.read(2).mask()).sum());
    }

    @Test
    void check_reportsUnpairedFilesAndBadMasks() throws IOException {
        Path crack = dir.resolve("MT_Crack/Imgs");
        TestImages.jpeg(crack.resolve("nomask.jpg"), 6, 4);
        TestImages.mask(crack.resolve("noimage.png"), 6, 4, 0, 0);
        TestImages.jpeg(crack.resolve("size.jpg"), 6, 4);
        TestImages.mask(crack.resolve("size.png"), 4, 6, 0, 0);
        TestImages.jpeg(crack.resolve("ok.jpg"), 6, 4);
        TestImages.mask(crack.resolve("ok.png"), 6, 4, 0, 200);
        Files.createDirectories(dir.resolve("MT_Spot"));
        CheckReport report = ClassFolderDataset.check(dir, ClassFolderConfig.defaults());
        assertEquals(4, report.problems().size(), report.describe());
        assertEquals(2, report.pairsChecked());
        String text = report.describe();
        assertTrue(text.contains("nomask.jpg: mask nomask.png not found beside it"), text);
        assertTrue(text.contains("noimage.png: mask without an image"), text);
        assertTrue(text.contains("size.png: mask is 4x6 but its image size.jpg is 6x4"), text);
        assertTrue(text.contains("MT_Spot/Imgs: folder not found"), text);
        DataException e = assertThrows(DataException.class,
                () -> ClassFolderDataset.all(dir, ClassFolderConfig.defaults()));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void open_listKeptOutsideAReadOnlyDataSet_readsTheListedPairsInOrder() throws IOException {
        Path root = SharedFiles.require("data/magnetic-tile");
        Path list = dir.resolve("lists/val.txt");
        Files.createDirectories(list.getParent());
        Files.write(list, List.of("MT_Crack/exp1_num_3191", "MT_Free/exp0_num_743", ""));
        ClassFolderDataset val = ClassFolderDataset.open(root, list, "val", ClassFolderConfig.defaults());
        assertEquals(List.of("MT_Crack/exp1_num_3191", "MT_Free/exp0_num_743"), val.ids());
        assertEquals("magnetic-tile/val", val.name());
        Files.write(list, List.of("MT_Crack/nope"));
        DataException e = assertThrows(DataException.class,
                () -> ClassFolderDataset.open(root, list, "val", ClassFolderConfig.defaults()));
        assertTrue(e.getMessage().startsWith(list + ": id 'MT_Crack/nope' (line 1) names no image/mask pair"),
                e.getMessage());
    }
}
