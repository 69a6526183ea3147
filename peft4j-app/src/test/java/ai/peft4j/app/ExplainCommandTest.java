package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j explain} on a Swin-Att-UNet fixture trained for six short epochs to find bright squares. */
class ExplainCommandTest {
    @TempDir
    static Path tmp;

    private static final int W = 40;
    private static final int H = 32;
    private static Path run;
    private static Path images;

    /** A dim image with a bright square whose corner moves with {@code i}, and its mask. */
    private static void sample(Path root, String id, int i) throws Exception {
        byte[] px = new byte[3 * W * H];
        int[] mask = new int[W * H];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                boolean inside = x >= 4 + 5 * i && x < 14 + 5 * i && y >= 6 + 2 * i && y < 16 + 2 * i;
                mask[y * W + x] = inside ? 1 : 0;
                for (int c = 0; c < 3; c++) {
                    px[3 * (y * W + x) + c] = (byte) (inside ? 230 : 70 + (x * 7 + y * 3 + c) % 20);
                }
            }
        }
        ImageEncoder.writePng(new RgbImage(W, H, px), root.resolve("JPEGImages/" + id + ".png"));
        ImageEncoder.writeIndexPng(mask, W, H, Palette.voc(), root.resolve("SegmentationClass/" + id + ".png"));
    }

    @BeforeAll
    static void trainTinyRun() throws Exception {
        Path data = tmp.resolve("voc");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add("s" + i);
            sample(data, "s" + i, i);
        }
        Files.createDirectories(data.resolve("ImageSets/Segmentation"));
        Files.write(data.resolve("ImageSets/Segmentation/train.txt"), ids.subList(0, 4));
        Files.write(data.resolve("ImageSets/Segmentation/val.txt"), ids.subList(4, 6));
        Files.write(data.resolve("ImageSets/Segmentation/test.txt"), ids.subList(4, 6));
        run = tmp.resolve("run");
        Path f = TinyRuns.RunFile.voc(data, "background", "defect").training("epochs", "6").training("lr", "5.0e-3")
                .training("loss", "ce+dice").training("val_every", "6").write(tmp.resolve("run.yaml"), run);
        CliRun train = CliRun.of("train", "--config", f.toString());
        assertEquals(0, train.code(), train.err() + train.out());
        images = data.resolve("JPEGImages");
    }

    private static List<String> listing(Path folder) throws Exception {
        try (Stream<Path> s = Files.walk(folder)) {
            return s.map(p -> folder.relativize(p) + " " + p.toFile().length()).sorted().toList();
        }
    }

    @Test
    void explain_writesAMapPerModuleAndClassAtTheImageSize_aGridAndTheJson() throws Exception {
        List<String> before = listing(tmp.resolve("voc"));
        Path out = tmp.resolve("explained");
        CliRun r = CliRun.of("explain", "--checkpoint", run.resolve("last.safetensors").toString(),
                images.resolve("s1.png").toString(), images.resolve("s2.png").toString(), "--class", "defect",
                "--modules", "final_conv", "--modules", "re:conv[1-4]", "--modules",
                "swin_backbone.layers.0.blocks.0.mlp",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("2 images, 12 maps (layercam) -> " + out), r.out());
        List<String> modules = List.of("swin_backbone.layers.0.blocks.0.mlp", "conv4", "conv3", "conv2", "conv1",
                "final_conv");
        for (String image : List.of("s1", "s2")) {
            for (String module : modules) {
                RgbImage map = ImageDecoder.readRgb(out.resolve(image + "/" + module + "_defect.png"));
                assertEquals(W, map.width(), module);
                assertEquals(H, map.height(), module);
            }
            // Six module rows and the columns image, prediction, defect, 160 pixels a tile.
            RgbImage grid = ImageDecoder.readRgb(out.resolve(image + "/grid.png"));
            assertEquals(3 * 160 + 4 * 6, grid.width());
            assertEquals(18 + 6 * (18 + 160 + 6), grid.height());
        }
        JsonNode json = new ObjectMapper().readTree(out.resolve("explain.json").toFile());
        assertEquals("layercam", json.get("method").asText());
        assertEquals(modules, new ObjectMapper().convertValue(json.get("modules"), List.class));
        JsonNode first = json.get("images").get(0);
        assertEquals(images.resolve("s1.png").toString(), first.get("image").asText());
        JsonNode defect = first.get("classes").get(0);
        assertEquals("defect", defect.get("name").asText());
        assertEquals(1, defect.get("index").asInt());
        assertEquals(6, defect.get("maps").size());
        assertEquals("s1/final_conv_defect.png", defect.get("maps").get(5).get("file").asText());
        assertEquals("tokens", defect.get("maps").get(0).get("layout").asText());
        assertEquals("8x8", defect.get("maps").get(0).get("grid").asText());
        assertEquals(0, first.get("skipped_modules").size());
        assertEquals(before, listing(tmp.resolve("voc")), "the inputs are unchanged");
    }

    @Test
    void gradCam_byDefaultMapsTheDecoderForEachPredictedDefect_ofEveryImageInAFolder() throws Exception {
        Path out = tmp.resolve("gradcam");
        CliRun r = CliRun.of("explain", "--checkpoint", run.resolve("last.safetensors").toString(),
                images.toString(), "--method", "gradcam", "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        JsonNode json = new ObjectMapper().readTree(out.resolve("explain.json").toFile());
        assertEquals("gradcam", json.get("method").asText());
        assertEquals(List.of("conv4", "conv3", "conv2", "conv1", "final_conv"),
                new ObjectMapper().convertValue(json.get("modules"), List.class));
        assertEquals(6, json.get("images").size());
        int maps = 0;
        for (JsonNode image : json.get("images")) {
            for (JsonNode cls : image.get("classes")) {
                assertEquals("defect", cls.get("name").asText(), "only defect classes by default");
                assertTrue(cls.get("pixels").asInt() > 0, "a class is explained where it is predicted");
                for (JsonNode map : cls.get("maps")) {
                    assertTrue(Files.isRegularFile(out.resolve(map.get("file").asText())), map.toString());
                    maps++;
                }
            }
            assertTrue(Files.isRegularFile(Path.of(image.get("folder").asText()).resolve("grid.png")));
        }
        assertTrue(maps > 0, "the trained run finds some squares: " + r.out());
        assertTrue(r.out().contains("6 images, " + maps + " maps (gradcam)"), r.out());
    }

    @Test
    void unknownClassOrModule_isOneLineErrorWithExit2() throws Exception {
        Path out = tmp.resolve("bad");
        String ckpt = run.resolve("last.safetensors").toString();
        String image = images.resolve("s1.png").toString();
        CliRun cls = CliRun.of("explain", "--checkpoint", ckpt, image, "--class", "rust", "--out", out.toString());
        assertEquals(2, cls.code());
        assertEquals("error: --class rust: no such class; the classes are background, defect (or their indices 0..1)",
                cls.err().strip());
        CliRun index = CliRun.of("explain", "--checkpoint", ckpt, image, "--class", "5", "--out", out.toString());
        assertEquals(2, index.code());
        assertEquals("error: --class 5: the model has 2 classes (0..1)", index.err().strip());
        CliRun module = CliRun.of("explain", "--checkpoint", ckpt, image, "--modules", "*.lora*", "--out",
                out.toString());
        assertEquals(2, module.code());
        assertTrue(module.err().strip().startsWith("error: no module of the model matches '*.lora*' (top-level "
                + "modules: swin_backbone, "), module.err());
        assertEquals(1, module.err().strip().lines().count(), module.err());
        CliRun method = CliRun.of("explain", "--checkpoint", ckpt, image, "--method", "scorecam", "--out",
                out.toString());
        assertEquals(2, method.code());
        assertEquals("error: unknown CAM method 'scorecam'; use layercam or gradcam", method.err().strip());
        assertFalse(Files.exists(out.resolve("explain.json")));
    }

    @Test
    void help_describesTheOptions() {
        CliRun r = CliRun.of("explain", "--help");
        assertEquals(0, r.code());
        for (String option : List.of("--checkpoint", "--adapter", "--modules", "--class", "--method", "--out",
                "--config")) {
            assertTrue(r.out().contains(option), option + " in\n" + r.out());
        }
    }
}
