package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.core.testing.SharedFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forgetting study end to end on a few real NEU-DET images as the source and a generated target in magnetic
 * tile's layout: its rows, their exact trainable counts, adapter off equal to the base, and a rerun that resumes.
 */
class BenchForgettingCommandTest {
    @TempDir
    Path tmp;

    /** {@code MT_<Class>/Imgs/<n>.jpg} with a mask PNG beside each, as magnetic tile: grey noise, a bright bar. */
    private Path tiles(int perClass) throws Exception {
        Path root = tmp.resolve("tiles");
        Random r = new Random(3);
        String[] classes = {"Crack", "Free", "Uneven"};
        for (int c = 0; c < classes.length; c++) {
            Path dir = Files.createDirectories(root.resolve("MT_" + classes[c]).resolve("Imgs"));
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(48, 40, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 40; y++) {
                    for (int x = 0; x < 48; x++) {
                        int g = 60 + r.nextInt(60) + (x / 16 == c ? 120 : 0);
                        img.setRGB(x, y, g << 16 | g << 8 | g);
                    }
                }
                ImageIO.write(img, "jpg", dir.resolve("t" + i + ".jpg").toFile());
                ImageIO.write(new BufferedImage(48, 40, BufferedImage.TYPE_BYTE_GRAY), "png",
                        dir.resolve("t" + i + ".png").toFile());
            }
        }
        return root;
    }

    @Test
    void study_writesExactRows_adapterOffEqualsTheBase_andResumes() throws Exception {
        Path source = NeuDetSubset.write(tmp, 4, 2);
        Path target = tiles(10);
        Path out = tmp.resolve("study");
        String[] args = {"bench", "forgetting", "--source", source.toString(), "--source-classes", "all",
            "--target", target.toString(), "--out", out.toString(), "--size", "32", "--pretrain-epochs", "1", "--adapt-epochs", "1", "--batch", "4",
            "--methods", "classify,vit-block", "--block-p", "1", "--method-lr", "classify=1e-2", "--knn-k", "1,3",
            "--table-k", "3", "--target-per-class", "8"};
        CliRun run = CliRun.of(args);
        assertEquals(0, run.code(), run.err() + run.out());
        assertTrue(run.out().contains("Target    " + out.resolve("target-data") + ": Crack 8, Free 8, Uneven 8"),
                run.out());

        List<String> lines = Files.readAllLines(out.resolve("rows.jsonl"));
        assertEquals(3, lines.size(), String.join("\n", lines));
        ObjectMapper json = new ObjectMapper();
        JsonNode base = json.readTree(lines.get(0));
        JsonNode linear = json.readTree(lines.get(1));
        JsonNode block = json.readTree(lines.get(2));
        assertEquals(List.of("pretrained", "linear", "block-p1"), List.of(base.path("run").asText(),
                linear.path("run").asText(), block.path("run").asText()));
        // vit-mini at 32x32 (16 patches) on NEU-DET's 6 classes: 696,678 at 64x64 less 48 positions x 96; the linear
        // probe trains the 3-class head (96 x 3 + 3); block expansion one block (2 norms 384, qkv 27,936, proj 9,312,
        // fc1 37,248, fc2 36,960) and the head.
        assertEquals(696_678 - 48 * 96, base.path("trainable").asLong());
        assertEquals(291, linear.path("trainable").asLong());
        assertEquals(111_840 + 291, block.path("trainable").asLong());
        assertTrue(base.path("target_top1").isNull());
        // 12 source test images: every k-NN accuracy is a whole number of twelfths.
        for (JsonNode row : List.of(base, linear, block)) {
            for (String k : List.of("1", "3")) {
                double top1 = row.path("source_knn_top1").path(k).asDouble();
                assertEquals(Math.round(top1 * 12), top1 * 12, 1e-9, row.toString());
            }
        }
        // The target's test split: 8 per class split 6:2:2 -> 2 of each of 3 classes, so sixths.
        double t = linear.path("target_top1").asDouble();
        assertEquals(Math.round(t * 6), t * 6, 1e-9);
        // Switched off, both adapters leave the pretrained base's features: the same votes, exactly.
        assertEquals(base.path("source_knn_top1"), linear.path("source_knn_top1_adapter_off"));
        assertEquals(base.path("source_knn_top1"), block.path("source_knn_top1_adapter_off"));
        // The linear probe leaves every backbone weight alone, so its features are the base's with it on too.
        assertEquals(base.path("source_knn_top1"), linear.path("source_knn_top1"));

        String md = Files.readString(out.resolve("forgetting.md"));
        assertTrue(md.startsWith("`./peft4j bench forgetting --source " + source + " --source-classes all"), md);
        assertEquals(7, md.strip().split("\n").length, "heading, blank, header, rule, 3 rows: " + md);
        assertTrue(md.contains("| linear | 291 | 0.04 | "), md);
        JsonNode all = json.readTree(out.resolve("forgetting.json").toFile());
        assertEquals(3, all.path("rows").size());
        assertEquals(3, all.path("table_k").asInt());
        assertTrue(Files.size(out.resolve("forgetting.png")) > 1000);

        // Again: every row is done, nothing is trained or evaluated again.
        FileTime trained = Files.getLastModifiedTime(out.resolve("linear/last.safetensors"));
        CliRun again = CliRun.of(args);
        assertEquals(0, again.code(), again.err() + again.out());
        assertTrue(again.out().contains("Resuming: pretrained, linear, block-p1 done"), again.out());
        assertTrue(!again.out().contains("== linear"), again.out());
        assertEquals(trained, Files.getLastModifiedTime(out.resolve("linear/last.safetensors")));
        assertEquals(lines, Files.readAllLines(out.resolve("rows.jsonl")));
    }

    @Test
    void theDefaultPair_neuDetSplitByClass_pretrainsOnThreeClassesAndAdaptsToTheOtherThree() throws Exception {
        Path neu = NeuDetSubset.write(tmp, 4, 2);
        Path out = tmp.resolve("study");
        CliRun run = CliRun.of("bench", "forgetting", "--source", neu.toString(), "--target", neu.toString(),
                "--out", out.toString(), "--size", "32", "--pretrain-epochs", "1", "--adapt-epochs", "1", "--batch",
                "4", "--methods", "vit-linear", "--knn-k", "1,3", "--table-k", "3");
        assertEquals(0, run.code(), run.err() + run.out());
        assertTrue(!Files.exists(out.resolve("target-data")), "a name-class target is read in place");
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(out.resolve("rows.jsonl"));
        assertEquals(2, lines.size(), String.join("\n", lines));
        JsonNode base = json.readTree(lines.get(0));
        JsonNode linear = json.readTree(lines.get(1));
        // vit-mini at 32x32 with a 3-class head: 696,678 (64x64, 6 classes) less 48 positions x 96 and 3 x 97.
        assertEquals(696_678 - 48 * 96 - 3 * 97, base.path("trainable").asLong());
        assertEquals(291, linear.path("trainable").asLong());
        // The target's test list: 2 of each of inclusion, patches, scratches, so sixths.
        double t = linear.path("target_top1").asDouble();
        assertEquals(Math.round(t * 6), t * 6, 1e-9);
        // The source k-NN scores the 3 source classes only: 6 test images over 12 training images.
        JsonNode src = json.readTree(out.resolve("linear/eval/metrics.json").toFile()).path("source_knn");
        assertEquals(6, src.path("test_images").asInt());
        assertEquals(12, src.path("train_images").asInt());
        assertEquals("[\"crazing\",\"pitted_surface\",\"rolled-in_scale\"]", src.path("class_names").toString());
        JsonNode tgt = json.readTree(out.resolve("linear/eval/metrics.json").toFile());
        assertEquals(6, tgt.path("images").asInt());
        assertTrue(Files.readString(out.resolve("linear.yaml")).contains(
                "  classes: ['inclusion', 'patches', 'scratches']\n"));
        assertEquals(base.path("source_knn_top1"), linear.path("source_knn_top1"));
    }

    @Test
    void sharedOrUnknownClasses_areRefusedBeforeAnyWork() throws Exception {
        Path neu = SharedFiles.require("data/neu-det");
        Path out = tmp.resolve("study");
        CliRun r = CliRun.of("bench", "forgetting", "--source", neu.toString(), "--target", neu.toString(),
                "--out", out.toString(), "--source-classes", "crazing,patches");
        assertEquals(2, r.code());
        assertEquals("error: --target is --source and both take class(es) [patches]; the target must be another "
                + "product line: give --source-classes and --target-classes disjoint sets\n", r.err());
        r = CliRun.of("bench", "forgetting", "--source", neu.toString(), "--target", neu.toString(),
                "--out", out.toString(), "--target-classes", "inclusion,rust");
        assertEquals(2, r.code());
        assertEquals("error: " + neu + ": data.classes names 'rust', which is not a class of this data set; its "
                + "classes are [crazing, inclusion, patches, pitted_surface, rolled-in_scale, scratches]\n", r.err());
        assertTrue(!Files.exists(out));
    }

    @Test
    void aBlockCountThatDoesNotDivideTheDepth_isRefusedBeforeAnyWork() {
        Path out = tmp.resolve("study");
        CliRun r = CliRun.of("bench", "forgetting", "--out", out.toString(), "--block-p", "4");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: vit-block {added=4}: vit-block: added 4 does not divide the model's 6 "
                + "blocks"), r.err());
        assertTrue(!Files.exists(out));
    }
}
