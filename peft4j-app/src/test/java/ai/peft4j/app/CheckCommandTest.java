package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.dedup.Dihedral;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.split.DatasetSplit;
import ai.peft4j.data.split.SplitRatios;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {
    private static final int SIDE = 64;

    @TempDir
    Path tmp;

    /** A grey texture: coarse random blobs over fine grain, different for each seed. */
    private static float[] texture(long seed) {
        Random r = new Random(seed);
        float[] coarse = new float[25];
        for (int i = 0; i < coarse.length; i++) {
            coarse[i] = 60 + 120 * r.nextFloat();
        }
        float[] out = new float[SIDE * SIDE];
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                float gx = x * 4f / SIDE;
                float gy = y * 4f / SIDE;
                int cx = (int) gx;
                int cy = (int) gy;
                float fx = gx - cx;
                float fy = gy - cy;
                float top = coarse[cy * 5 + cx] * (1 - fx) + coarse[cy * 5 + cx + 1] * fx;
                float bottom = coarse[(cy + 1) * 5 + cx] * (1 - fx) + coarse[(cy + 1) * 5 + cx + 1] * fx;
                out[y * SIDE + x] = top * (1 - fy) + bottom * fy + 20 * (r.nextFloat() - 0.5f);
            }
        }
        return out;
    }

    private static void writePair(Path root, String id, float[] grey) throws IOException {
        byte[] p = new byte[3 * grey.length];
        for (int i = 0; i < grey.length; i++) {
            byte v = (byte) Math.max(0, Math.min(255, Math.round(grey[i])));
            p[3 * i] = v;
            p[3 * i + 1] = v;
            p[3 * i + 2] = v;
        }
        ImageEncoder.writeJpeg(new RgbImage(SIDE, SIDE, p), root.resolve("JPEGImages/" + id + ".jpg"), 0.9f);
        ImageEncoder.writeIndexPng(new int[grey.length], SIDE, SIDE, Palette.voc(),
                root.resolve("SegmentationClass/" + id + ".png"));
    }

    /**
     * Seven images: a1 and its 90-degree turn a2 (train and test), b1 and its mirror image b2 (train and val), and
     * three unrelated ones.
     */
    private Path leakySet() throws IOException {
        Path root = tmp.resolve("leaky");
        Files.createDirectories(root.resolve("JPEGImages"));
        Files.createDirectories(root.resolve("SegmentationClass"));
        Files.createDirectories(root.resolve("ImageSets/Segmentation"));
        float[] a = texture(1);
        float[] b = texture(2);
        writePair(root, "a1", a);
        writePair(root, "a2", Dihedral.ROT90.apply(a, SIDE, SIDE));
        writePair(root, "b1", b);
        writePair(root, "b2", Dihedral.FLIP_H.apply(b, SIDE, SIDE));
        writePair(root, "c", texture(3));
        writePair(root, "d", texture(4));
        writePair(root, "e", texture(5));
        Files.write(root.resolve("ImageSets/Segmentation/train.txt"), List.of("a1", "b1", "d"));
        Files.write(root.resolve("ImageSets/Segmentation/val.txt"), List.of("b2", "e"));
        Files.write(root.resolve("ImageSets/Segmentation/test.txt"), List.of("a2", "c"));
        return root;
    }

    /** Every file under {@code dir} with a digest of its bytes. */
    private static Map<String, String> contents(Path dir) throws Exception {
        Map<String, String> all = new TreeMap<>();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                all.put(dir.relativize(f).toString(), HexFormat.of().formatHex(sha.digest(Files.readAllBytes(f))));
            }
        }
        return all;
    }

    private static Map<String, String> listOf(Path dir) throws IOException {
        Map<String, String> listOf = new HashMap<>();
        for (String list : List.of("train", "val", "test")) {
            for (String id : Files.readAllLines(dir.resolve(list + ".txt"))) {
                assertEquals(null, listOf.put(id, list), id + " is in two lists of the grouped split");
            }
        }
        return listOf;
    }

    @Test
    void help_describesTheOptions() {
        CliRun r = CliRun.of("check", "--help");
        assertEquals(0, r.code());
        for (String option : List.of("--out", "--seed", "--ratios", "--layout", "--max-hamming", "--max-difference")) {
            assertTrue(r.out().contains(option), option + " in\n" + r.out());
        }
    }

    @Test
    void rotatedAndMirroredCopies_areReportedAcrossListsAndKeptTogetherInTheGroupedSplit() throws Exception {
        Path root = leakySet();
        Map<String, String> before = contents(root);
        Path out = tmp.resolve("report");

        CliRun r = CliRun.of("check", root.toString(), "--out", out.toString(), "--seed", "3");

        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("7 images (voc layout)"), r.out());
        assertTrue(r.out().contains("Copies: 2 groups of 2 or more hold 4 images; 2 pairs (rot90 1, flipH 1)"),
                r.out());
        assertTrue(r.out().contains("Groups across published lists: 2 of 2 (in all three: 0)"), r.out());
        assertTrue(r.out().matches("(?s).*train & val +1\\n.*train & test +1\\n.*val & test +0\\n.*"), r.out());
        assertTrue(r.out().contains("Images with a copy in another list: train 2, val 1, test 1"), r.out());
        assertEquals(before, contents(root), "the data folder is unchanged");

        List<String> csv = Files.readAllLines(out.resolve("duplicates.csv"));
        assertEquals("first,second,transform,hamming_distance,difference,first_lists,second_lists", csv.get(0));
        assertEquals(3, csv.size(), csv.toString());
        assertTrue(csv.get(1).startsWith("a1,a2,rot90,") && csv.get(1).endsWith(",train,test"), csv.get(1));
        assertTrue(csv.get(2).startsWith("b1,b2,flipH,") && csv.get(2).endsWith(",train,val"), csv.get(2));

        JsonNode json = new ObjectMapper().readTree(out.resolve("groups.json").toFile());
        assertEquals(2, json.get("groups").asInt());
        assertEquals(2, json.get("groups_across_published_lists").asInt());
        JsonNode a = json.get("copies").get(0).get("members");
        assertEquals("a2", a.get(1).get("id").asText());
        assertEquals("rot90", a.get(1).get("transform").asText());
        assertEquals("test", a.get(1).get("published").asText());

        Map<String, String> split = listOf(out);
        assertEquals(7, split.size());
        assertEquals(split.get("a1"), split.get("a2"));
        assertEquals(split.get("b1"), split.get("b2"));
        assertEquals(json.get("copies").get(1).get("split").asText(), split.get("b1"));
        // The same seed draws the same grouped split.
        assertEquals(0, CliRun.of("check", root.toString(), "--out", out.toString(), "--seed", "3").code());
        assertEquals(split, listOf(out));
    }

    /** bench transfer's grouped source split, drawn in-process, is the one check writes for the same seed. */
    @Test
    void groupedVocSplit_inProcess_equalsTheListsCheckWrites() throws Exception {
        Path root = leakySet();
        Path out = tmp.resolve("grouped");
        assertEquals(0, CliRun.of("check", root.toString(), "--out", out.toString(), "--seed", "3").code());
        DatasetSplit split = CheckCommand.groupedVocSplit(root, SplitRatios.parse("6:2:2"), 3,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(Files.readAllLines(out.resolve("train.txt")), split.train());
        assertEquals(Files.readAllLines(out.resolve("val.txt")), split.val());
        assertEquals(Files.readAllLines(out.resolve("test.txt")), split.test());
        Map<String, String> listOf = listOf(out);
        assertEquals(listOf.get("a1"), listOf.get("a2"));
    }

    @Test
    void outputInsideTheDataFolder_isRefusedBeforeAnythingIsWritten() throws Exception {
        Path root = leakySet();
        Map<String, String> before = contents(root);

        CliRun r = CliRun.of("check", root.toString(), "--out", root.resolve("ImageSets/grouped").toString());

        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: " + root.resolve("ImageSets/grouped") + ": inside the data folder "
                + root + "; check never writes into a data set, so choose --out elsewhere"), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace:\n" + r.err());
        assertEquals(before, contents(root));
    }

    @Test
    void missingFolder_isOneClearError() {
        CliRun r = CliRun.of("check", tmp.resolve("nowhere").toString());
        assertEquals(2, r.code());
        assertEquals("error: " + tmp.resolve("nowhere") + ": data folder not found", r.err().strip());
    }

    /**
     * NEU-Seg holds each photo with its three rotations, spread over its published lists. The overlap file beside
     * NEU-DET lists, per NEU-DET photo, its NEU-Seg copies: the photos it finds in two or more NEU-Seg lists are
     * what {@code check} must find too, and its grouped split must keep every group in one list.
     */
    @Test
    void neuSeg_leakOfTheOverlapFileIsFoundAndTheGroupedSplitHasNoGroupAcrossLists() throws Exception {
        Path neu = SharedFiles.require("data/neu-seg");
        Path overlap = SharedFiles.require("data/neu-det/overlap-with-neu-seg.tsv");
        Map<String, String> listsBefore = contents(neu.resolve("ImageSets"));
        Path out = tmp.resolve("neu-check");

        CliRun r = CliRun.of("check", neu.toString(), "--out", out.toString());

        assertEquals(0, r.code(), r.err());
        // The file's photos: NEU-Seg ids joined through a NEU-DET id they copy (patches_101 and _105 share two).
        Map<String, String> photoOf = new HashMap<>();
        Map<String, String> listOfSeg = new HashMap<>();
        Map<String, List<String>> byDet = new HashMap<>();
        List<String> rows = Files.readAllLines(overlap, StandardCharsets.UTF_8);
        for (String line : rows.subList(1, rows.size())) {
            String[] f = line.split("\t");
            byDet.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f[2]);
            listOfSeg.put(f[2], f[3]);
        }
        Map<String, String> parent = new HashMap<>();
        for (List<String> copies : byDet.values()) {
            for (String id : copies) {
                union(parent, copies.get(0), id);
            }
        }
        Map<String, Set<String>> listsByPhoto = new HashMap<>();
        for (String id : listOfSeg.keySet()) {
            String photo = find(parent, id);
            photoOf.put(id, photo);
            listsByPhoto.computeIfAbsent(photo, k -> new HashSet<>()).add(listOfSeg.get(id));
        }
        long fileStraddling = listsByPhoto.values().stream().filter(s -> s.size() > 1).count();

        JsonNode json = new ObjectMapper().readTree(out.resolve("groups.json").toFile());
        int found = 0;
        long pairsInFile = 0;
        long pairsJoined = 0;
        long photosMerged = 0;
        Map<String, Integer> photoSizes = new HashMap<>();
        photoOf.values().forEach(p -> photoSizes.merge(p, 1, Integer::sum));
        for (int n : photoSizes.values()) {
            pairsInFile += (long) n * (n - 1) / 2;
        }
        Map<String, String> split = listOf(out);
        for (JsonNode group : json.get("copies")) {
            Map<String, Integer> photos = new HashMap<>();
            Set<String> splitLists = new HashSet<>();
            for (JsonNode m : group.get("members")) {
                String id = m.get("id").asText();
                splitLists.add(split.get(id));
                if (photoOf.containsKey(id)) {
                    photos.merge(photoOf.get(id), 1, Integer::sum);
                }
            }
            assertEquals(1, splitLists.size(), "group " + group.get("members") + " across grouped lists " + splitLists);
            if (!photos.isEmpty() && group.get("published_lists").size() > 1) {
                found++;
            }
            photosMerged += Math.max(0, photos.size() - 1);
            for (int n : photos.values()) {
                pairsJoined += (long) n * (n - 1) / 2;
            }
        }
        // Measured: 670 groups, as the file's 670 (its 672 NEU-DET photos, two pairs of which share NEU-Seg copies);
        // every pair of copies the file implies shares a group, and no group joins two of its photos.
        assertTrue(Math.abs(found - fileStraddling) <= fileStraddling / 100, found + " groups straddle the "
                + "published lists, the overlap file implies " + fileStraddling + "\n" + r.out());
        assertTrue(pairsJoined >= pairsInFile * 995 / 1000, pairsJoined + " of the file's " + pairsInFile
                + " copy pairs share a group");
        assertEquals(0, photosMerged, "groups joining two of the file's photos");
        assertEquals(4470, split.size());
        assertEquals(listsBefore, contents(neu.resolve("ImageSets")), "the published lists are unchanged");
        assertFalse(Files.exists(neu.resolve("duplicates.csv")));
    }

    private static String find(Map<String, String> parent, String id) {
        String p = parent.getOrDefault(id, id);
        return p.equals(id) ? id : find(parent, p);
    }

    private static void union(Map<String, String> parent, String a, String b) {
        String ra = find(parent, a);
        String rb = find(parent, b);
        if (!ra.equals(rb)) {
            parent.put(rb, ra);
        }
    }
}
