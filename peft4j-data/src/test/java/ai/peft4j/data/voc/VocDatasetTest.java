package ai.peft4j.data.voc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.CheckReport;
import ai.peft4j.data.DataException;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.OutOfRangeLabels;
import ai.peft4j.data.Problem;
import ai.peft4j.data.Sample;
import ai.peft4j.data.TestImages;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocDatasetTest {
    private static final VocConfig NEU = VocConfig.of("background", "inclusion", "patches", "scratches");

    @TempDir
    Path dir;

    @Test
    void neuSeg_splitsHavePublishedSizesAndClasses() {
        Path root = SharedFiles.require("data/neu-seg");
        VocDataset train = VocDataset.open(root, "train", NEU);
        assertEquals(3129, train.size());
        assertEquals(894, VocDataset.open(root, "val", NEU).size());
        assertEquals(447, VocDataset.open(root, "test", NEU).size());
        assertEquals(4, train.numClasses());
        assertEquals(4, train.ignoreLabel());
        assertEquals(List.of("background", "inclusion", "patches", "scratches"), train.classNames());
        assertEquals("neu-seg/train", train.name());
        assertEquals("003673", train.ids().get(0));
    }

    @Test
    void neuSeg_knownPixelsHaveTheirClasses() {
        VocDataset train = VocDataset.open(SharedFiles.require("data/neu-seg"), "train", NEU);
        // Values and counts decoded from the PNG independently (zlib + PNG filters, no image library).
        Sample s = train.get(0);
        assertEquals("003673", s.id());
        assertEquals(200, s.height());
        assertEquals(200, s.width());
        assertEquals(3 * 200 * 200, s.image().length);
        assertEquals(2, s.mask()[1 * 200 + 17]);
        assertEquals(1, s.mask()[34 * 200 + 180]);
        int[] counts = new int[5];
        for (int v : s.mask()) {
            counts[v]++;
        }
        assertEquals(37711, counts[0]);
        assertEquals(989, counts[1]);
        assertEquals(1300, counts[2]);
        assertEquals(0, counts[3]);
        // Grey content, expanded: the three planes are equal and within [0, 1].
        for (int i = 0; i < 200 * 200; i += 37) {
            assertEquals(s.image()[i], s.image()[40000 + i]);
            assertEquals(s.image()[i], s.image()[80000 + i]);
            assertTrue(s.image()[i] >= 0f && s.image()[i] <= 1f);
        }
    }

    @Test
    void neuSeg_checkReadsEveryListedPairAndFindsNoProblem() {
        CheckReport report = VocDataset.check(SharedFiles.require("data/neu-seg"), NEU);
        assertEquals(4470, report.pairsChecked());
        assertEquals(List.of(), report.problems());
        assertEquals(0, report.ignoredPixels());
    }

    @Test
    void vocLayoutUnderVoc2007_isFoundAsThePublishedCodeExpects() throws IOException {
        Path root = dir.resolve("set");
        Path voc = root.resolve("VOC2007");
        writePair(voc, "a", 6, 4, 1, 0);
        writeList(voc, "train", "a");
        VocDataset ds = VocDataset.open(root, "train", VocConfig.of("bg", "x"));
        assertEquals(1, ds.size());
        LabelledImage p = ds.read(0);
        assertEquals(6, p.width());
        assertEquals(0, p.mask()[0]);
        assertEquals(1, p.mask()[1]);
    }

    @Test
    void truncatedJpeg_failsNamingTheImage() throws IOException {
        writePair(dir, "a", 16, 12, 1, 0);
        TestImages.truncate(dir.resolve("JPEGImages/a.jpg"), 0.5);
        writeList(dir, "train", "a");
        DataException e = assertThrows(DataException.class,
                () -> VocDataset.open(dir, "train", NEU).read(0));
        assertEquals(dir.resolve("JPEGImages/a.jpg"), e.file());
    }

    @Test
    void maskOfOtherSize_failsNamingBothSizes() throws IOException {
        TestImages.jpeg(dir.resolve("JPEGImages/a.jpg"), 16, 12);
        TestImages.mask(dir.resolve("SegmentationClass/a.png"), 12, 16, 0, 0);
        writeList(dir, "train", "a");
        DataException e = assertThrows(DataException.class, () -> VocDataset.open(dir, "train", NEU).read(0));
        assertEquals(dir.resolve("SegmentationClass/a.png"), e.file());
        assertEquals("mask is 12x16 but its image a.jpg is 16x12", e.problem());
    }

    @Test
    void maskValueNine_isRefusedByDefault() throws IOException {
        writePair(dir, "a", 8, 6, 1, 9);
        writeList(dir, "train", "a");
        DataException e = assertThrows(DataException.class, () -> VocDataset.open(dir, "train", NEU).read(0));
        assertEquals(dir.resolve("SegmentationClass/a.png"), e.file());
        assertTrue(e.problem().startsWith("mask value 9 at x=0, y=0 is not a class id (1 such pixels); the 4 "
                + "classes are 0-3"), e.problem());
    }

    @Test
    void maskValueNine_mapsToIgnoreLabelWhenConfiguredAndIsCounted() throws IOException {
        writePair(dir, "a", 8, 6, 9, 2);
        writePair(dir, "b", 8, 6, 3, 9);
        writeList(dir, "train", "a", "b");
        VocDataset ds = VocDataset.open(dir, "train", NEU.withOutOfRange(OutOfRangeLabels.IGNORE));
        LabelledImage a = ds.read(0);
        assertEquals(2, a.mask()[0]);
        assertEquals(4, a.mask()[1]);
        assertEquals(47, ds.ignoredPixels());
        LabelledImage b = ds.read(1);
        assertEquals(4, b.mask()[0]);
        assertEquals(3, b.mask()[47]);
        assertEquals(48, ds.ignoredPixels());
    }

    @Test
    void twoChannelAndSixteenBitMasks_areRefusedNamingTheFile() throws IOException {
        TestImages.jpeg(dir.resolve("JPEGImages/a.jpg"), 5, 4);
        TestImages.jpeg(dir.resolve("JPEGImages/b.jpg"), 5, 4);
        TestImages.greyAlphaPng(dir.resolve("SegmentationClass/a.png"), 5, 4);
        TestImages.grey16Png(dir.resolve("SegmentationClass/b.png"), 5, 4);
        writeList(dir, "train", "a", "b");
        VocDataset ds = VocDataset.open(dir, "train", NEU);
        DataException two = assertThrows(DataException.class, () -> ds.read(0));
        assertEquals(dir.resolve("SegmentationClass/a.png"), two.file());
        assertTrue(two.problem().startsWith("mask has 2 channels"), two.problem());
        DataException wide = assertThrows(DataException.class, () -> ds.read(1));
        assertEquals(dir.resolve("SegmentationClass/b.png"), wide.file());
        assertTrue(wide.problem().startsWith("mask has 16-bit samples"), wide.problem());
    }

    @Test
    void emptyOrMissingListOrMissingFile_failsAtOpenNamingTheFile() throws IOException {
        writePair(dir, "a", 8, 6, 0, 0);
        writeList(dir, "train");
        Path list = dir.resolve("ImageSets/Segmentation/train.txt");
        DataException empty = assertThrows(DataException.class, () -> VocDataset.open(dir, "train", NEU));
        assertEquals(list, empty.file());
        assertTrue(empty.problem().startsWith("split list is empty"), empty.problem());

        DataException missing = assertThrows(DataException.class, () -> VocDataset.open(dir, "val", NEU));
        assertEquals(dir.resolve("ImageSets/Segmentation/val.txt"), missing.file());
        assertTrue(missing.problem().startsWith("split list not found"), missing.problem());

        writeList(dir, "train", "a", "ghost");
        DataException ghost = assertThrows(DataException.class, () -> VocDataset.open(dir, "train", NEU));
        assertEquals(dir.resolve("JPEGImages/ghost.jpg"), ghost.file());
        assertEquals("image not found; id 'ghost' is listed in train.txt (line 2)", ghost.problem());
    }

    @Test
    void check_reportsEveryProblemOfTheSet() throws IOException {
        writePair(dir, "good", 8, 6, 1, 0);
        writePair(dir, "cut", 32, 24, 1, 0);
        TestImages.truncate(dir.resolve("JPEGImages/cut.jpg"), 0.4);
        TestImages.jpeg(dir.resolve("JPEGImages/size.jpg"), 8, 6);
        TestImages.mask(dir.resolve("SegmentationClass/size.png"), 6, 8, 0, 0);
        writePair(dir, "nine", 8, 6, 0, 9);
        TestImages.jpeg(dir.resolve("JPEGImages/two.jpg"), 5, 4);
        TestImages.greyAlphaPng(dir.resolve("SegmentationClass/two.png"), 5, 4);
        writeList(dir, "train", "good", "cut", "size", "ghost");
        writeList(dir, "val", "nine", "two", "good");
        writeList(dir, "test");

        CheckReport report = VocDataset.check(dir, NEU);
        List<String> problems = report.problems().stream().map(Problem::toString).toList();
        assertEquals(8, problems.size(), report.describe());
        assertEquals(5, report.pairsChecked());
        assertTrue(has(problems, "JPEGImages/ghost.jpg: image not found; id 'ghost' listed in train.txt (line 4)"),
                report.describe());
        assertTrue(has(problems, "SegmentationClass/ghost.png: mask not found; id 'ghost' listed in train.txt"));
        assertTrue(has(problems, "val.txt: id 'good' listed in val.txt (line 3) is also in train.txt"));
        assertTrue(has(problems, "test.txt: split list is empty"));
        assertTrue(has(problems, "JPEGImages/cut.jpg: "));
        assertTrue(has(problems, "SegmentationClass/size.png: mask is 6x8 but its image size.jpg is 8x6"));
        assertTrue(has(problems, "SegmentationClass/nine.png: mask value 9"));
        assertTrue(has(problems, "SegmentationClass/two.png: mask has 2 channels"));
        assertTrue(report.describe().contains("5 pairs checked, 8 problems"), report.describe());

        CheckReport lenient = VocDataset.check(dir, NEU.withOutOfRange(OutOfRangeLabels.IGNORE));
        assertEquals(7, lenient.problems().size(), lenient.describe());
        assertEquals(1, lenient.ignoredPixels());
        assertEquals(1, lenient.masksWithIgnoredPixels());
    }

    @Test
    void colourMasks_areReadThroughThePaletteOnlyWhenEnabled() throws IOException {
        Path root = dir.resolve("navel");
        Files.createDirectories(root.resolve("JPEGImages"));
        Files.createDirectories(root.resolve("SegmentationClass"));
        Path navel = SharedFiles.require("data/navel-orange-samples/img663");
        Files.copy(navel.resolve("img663_enhance_a1.jpg"), root.resolve("JPEGImages/img663.jpg"));
        Files.copy(navel.resolve("img663_enhance_a1.png"), root.resolve("SegmentationClass/img663.png"));
        writeList(root, "test", "img663");
        VocConfig config = VocConfig.of("background", "sunburn", "ulcer", "wind scarring");
        DataException refused = assertThrows(DataException.class,
                () -> VocDataset.open(root, "test", config).read(0));
        assertTrue(refused.problem().startsWith("mask has 3 channels (a colour mask)"), refused.problem());
        LabelledImage p = VocDataset.open(root, "test", config.withColourMasks(true)).read(0);
        assertEquals(17376, java.util.Arrays.stream(p.mask()).filter(v -> v == 1).count());
        assertEquals(512 * 512 - 17376, java.util.Arrays.stream(p.mask()).filter(v -> v == 0).count());
    }

    @Test
    void idWithSpaces_namesItsFilesWholeAndItsFirstWordIsNotUsed() throws IOException {
        writePair(dir, "sample one", 8, 6, 1, 0);
        writePair(dir, "sample", 8, 6, 2, 0);
        writeList(dir, "train", "  sample one ");
        VocDataset ds = VocDataset.open(dir, "train", NEU);
        assertEquals(List.of("sample one"), ds.ids());
        assertEquals(dir.resolve("JPEGImages/sample one.jpg"), ds.imageFile(0));
        assertEquals(dir.resolve("SegmentationClass/sample one.png"), ds.maskFile(0));
        assertEquals(List.of(ds.imageFile(0), ds.maskFile(0)), ds.files(0));
        writeList(dir, "train", "sample two");
        DataException e = assertThrows(DataException.class, () -> VocDataset.open(dir, "train", NEU));
        assertEquals(dir.resolve("JPEGImages/sample two.jpg"), e.file());
    }

    @Test
    void idLeavingTheDataFolder_isRefusedAtOpenAndReportedByCheck() throws IOException {
        writePair(dir, "a", 8, 6, 1, 0);
        writeList(dir, "train", "a", "../SegmentationClass/a");
        writeList(dir, "val", "a");
        writeList(dir, "test", "a");
        DataException e = assertThrows(DataException.class, () -> VocDataset.open(dir, "train", NEU));
        assertEquals(VocDataset.listFile(dir, "train"), e.file());
        assertEquals("line 2: sample id '../SegmentationClass/a' leaves the folder (a '..' segment); ids are file "
                + "names without extension, relative to JPEGImages and SegmentationClass", e.problem());
        List<String> problems = VocDataset.check(dir, NEU).problems().stream().map(Object::toString).toList();
        assertTrue(has(problems, "train.txt: line 2: sample id '../SegmentationClass/a' leaves the folder"),
                String.join("\n", problems));
        IllegalArgumentException split = assertThrows(IllegalArgumentException.class,
                () -> VocDataset.listFile(dir, "../../train"));
        assertEquals("split name '../../train' leaves the folder (a '..' segment)", split.getMessage());
    }

    @Test
    void binaryMasks_inEveryCommonFormat_giveClassOneWhereBright() throws IOException {
        int w = 16;
        int h = 12;
        // Defect on the left half (columns 0-7: one JPEG block wide, so compression keeps the edge), dark elsewhere.
        writeBinaryMask(dir.resolve("SegmentationClass/grey.png"), w, h, BufferedImage.TYPE_BYTE_GRAY, 255, "png");
        writeBinaryMask(dir.resolve("SegmentationClass/onebit.png"), w, h, BufferedImage.TYPE_BYTE_BINARY, 1, "png");
        writeBinaryMask(dir.resolve("SegmentationClass/rgb.png"), w, h, BufferedImage.TYPE_INT_RGB, 0xFFFFFF, "png");
        writeBinaryMask(dir.resolve("SegmentationClass/red.png"), w, h, BufferedImage.TYPE_INT_RGB, 0xC80000, "png");
        writeBinaryMask(dir.resolve("SegmentationClass/wide.png"), w, h, BufferedImage.TYPE_USHORT_GRAY, 65535, "png");
        writeBinaryMask(dir.resolve("SegmentationClass/lossy.jpg"), w, h, BufferedImage.TYPE_BYTE_GRAY, 255, "jpg");
        writeBinaryMask(dir.resolve("SegmentationClass/plain.bmp"), w, h, BufferedImage.TYPE_BYTE_GRAY, 255, "bmp");
        List<String> ids = List.of("grey", "lossy", "onebit", "plain", "red", "rgb", "wide");
        for (String id : ids) {
            TestImages.jpeg(dir.resolve("JPEGImages").resolve(id + ".jpg"), w, h);
        }
        assertEquals(ids, VocDataset.maskIds(dir));
        VocDataset ds = VocDataset.all(dir, VocConfig.of("background", "crack").withBinaryThreshold(128));
        for (int i = 0; i < ds.size(); i++) {
            int[] mask = ds.read(i).mask();
            int defect = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    assertEquals(x < 8 ? 1 : 0, mask[y * w + x], ds.ids().get(i) + " at x=" + x + ", y=" + y);
                    defect += mask[y * w + x];
                }
            }
            assertEquals(8 * h, defect, ds.ids().get(i));
        }
        assertEquals(0, ds.ignoredPixels());
        // The threshold is the grey level at which defect starts: a dim defect (200) is missed at 201.
        VocDataset strict = VocDataset.all(dir, VocConfig.of("background", "crack").withBinaryThreshold(201));
        assertEquals(0, java.util.Arrays.stream(strict.read(ids.indexOf("red")).mask()).sum());
        assertEquals(8 * h, java.util.Arrays.stream(strict.read(ids.indexOf("grey")).mask()).sum());
    }

    @Test
    void binaryLookingMasksReadAsClassIds_areRefusedWithTheWayToReadThem() throws IOException {
        writeBinaryMask(dir.resolve("SegmentationClass/a.png"), 16, 12, BufferedImage.TYPE_BYTE_GRAY, 255, "png");
        writeBinaryMask(dir.resolve("SegmentationClass/b.jpg"), 16, 12, BufferedImage.TYPE_BYTE_GRAY, 1, "jpg");
        TestImages.jpeg(dir.resolve("JPEGImages/a.jpg"), 16, 12);
        TestImages.jpeg(dir.resolve("JPEGImages/b.jpg"), 16, 12);
        VocDataset ds = VocDataset.all(dir, VocConfig.of("background", "crack"));
        DataException grey = assertThrows(DataException.class, () -> ds.read(0));
        assertEquals(dir.resolve("SegmentationClass/a.png"), grey.file());
        assertEquals("mask value 255 at x=0, y=0 is not a class id (96 such pixels); the 2 classes are 0-1. This "
                + "looks like a binary mask (defect bright, background dark): read the masks as binary "
                + "(binary_masks: true in the run file's data section)", grey.problem());
        DataException jpeg = assertThrows(DataException.class, () -> ds.read(1));
        assertEquals(dir.resolve("SegmentationClass/b.jpg"), jpeg.file());
        assertTrue(jpeg.problem().startsWith("a JPEG mask cannot hold class ids"), jpeg.problem());
        IllegalArgumentException three = assertThrows(IllegalArgumentException.class,
                () -> VocConfig.of("background", "crack", "hole").withBinaryThreshold(128));
        assertEquals("binary masks hold two classes (background and one defect class), but 3 class names are "
                + "given: [background, crack, hole]", three.getMessage());
    }

    /** A {@code w x h} mask of {@code type} whose left 8 columns hold {@code value} (a sample or an RGB), 0 elsewhere. */
    private static void writeBinaryMask(Path file, int w, int h, int type, int value, String format)
            throws IOException {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < 8; x++) {
                if (type == BufferedImage.TYPE_INT_RGB) {
                    img.setRGB(x, y, value);
                } else {
                    img.getRaster().setSample(x, y, 0, value);
                }
            }
        }
        Files.createDirectories(file.getParent());
        if (!ImageIO.write(img, format, file.toFile())) {
            throw new IOException("no " + format + " writer for image type " + type);
        }
    }

    private static boolean has(List<String> problems, String fragment) {
        return problems.stream().anyMatch(p -> p.contains(fragment));
    }

    static void writePair(Path root, String id, int w, int h, int value, int corner) throws IOException {
        TestImages.jpeg(root.resolve("JPEGImages").resolve(id + ".jpg"), w, h);
        TestImages.mask(root.resolve("SegmentationClass").resolve(id + ".png"), w, h, value, corner);
    }

    static void writeList(Path root, String split, String... ids) throws IOException {
        Path list = root.resolve("ImageSets/Segmentation").resolve(split + ".txt");
        Files.createDirectories(list.getParent());
        Files.writeString(list, ids.length == 0 ? "" : String.join("\n", ids) + "\n");
    }
}
