package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.MaskRaster;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crop training on large images, then eval and predict by sliding windows at the images' own size. */
class CropTrainingCliTest {
    @TempDir
    Path tmp;

    private static final int WIDTH = 384;
    private static final int HEIGHT = 256;

    /**
     * A VOC folder of 384x256 grey-textured images, each with two dark lines one or two pixels wide (class 1,
     * crack): defects that a 32x32 letterbox would shrink below a pixel. Images are PNG, so the lines stay crisp.
     */
    private Path cracks(int train, int val, int test) throws Exception {
        return cracks(train, val, test, false);
    }

    /** As above; with {@code binary}, the masks are grey PNGs of 0 and 255, as many crack data sets ship them. */
    private Path cracks(int train, int val, int test, boolean binary) throws Exception {
        Path root = tmp.resolve(binary ? "binary-cracks" : "cracks");
        Files.createDirectories(root.resolve("JPEGImages"));
        Files.createDirectories(root.resolve("SegmentationClass"));
        Files.createDirectories(root.resolve("ImageSets/Segmentation"));
        Random r = new Random(5);
        int[] counts = {train, val, test};
        String[] splits = {"train", "val", "test"};
        int n = 0;
        for (int s = 0; s < 3; s++) {
            List<String> ids = new ArrayList<>();
            for (int k = 0; k < counts[s]; k++) {
                String id = "img" + n++;
                byte[] p = new byte[3 * WIDTH * HEIGHT];
                int[] mask = new int[WIDTH * HEIGHT];
                for (int i = 0; i < WIDTH * HEIGHT; i++) {
                    int v = 170 + r.nextInt(30);
                    p[3 * i] = (byte) v;
                    p[3 * i + 1] = (byte) v;
                    p[3 * i + 2] = (byte) v;
                }
                int row = 20 + r.nextInt(HEIGHT - 40);
                int col = 20 + r.nextInt(WIDTH - 40);
                for (int x = 0; x < WIDTH; x++) {
                    for (int t = 0; t < 2; t++) {
                        int i = (row + t) * WIDTH + x;
                        mask[i] = 1;
                        p[3 * i] = p[3 * i + 1] = p[3 * i + 2] = 40;
                    }
                }
                for (int y = 0; y < HEIGHT; y++) {
                    int i = y * WIDTH + col;
                    mask[i] = 1;
                    p[3 * i] = p[3 * i + 1] = p[3 * i + 2] = 40;
                }
                ImageEncoder.writePng(new RgbImage(WIDTH, HEIGHT, p), root.resolve("JPEGImages/" + id + ".png"));
                Path maskFile = root.resolve("SegmentationClass/" + id + ".png");
                if (binary) {
                    java.awt.image.BufferedImage grey = new java.awt.image.BufferedImage(WIDTH, HEIGHT,
                            java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
                    for (int i = 0; i < mask.length; i++) {
                        grey.getRaster().setSample(i % WIDTH, i / WIDTH, 0, 255 * mask[i]);
                    }
                    javax.imageio.ImageIO.write(grey, "png", maskFile.toFile());
                } else {
                    ImageEncoder.writeIndexPng(mask, WIDTH, HEIGHT, Palette.voc(), maskFile);
                }
                ids.add(id);
            }
            Files.write(root.resolve("ImageSets/Segmentation/" + splits[s] + ".txt"), ids);
        }
        return root;
    }

    private static TinyRuns.RunFile cracksRun(Path data) {
        return TinyRuns.RunFile.voc(data, "background", "crack").training("lr", "2.0e-3").training("val_every", "1");
    }

    private Path runFile(TinyRuns.RunFile run, Path out) throws Exception {
        return run.write(tmp.resolve("cracks.yaml"), out);
    }

    @Test
    void trainOnCrops_thenEvalAndPredictBySlidingWindowsAtTheOriginalSize() throws Exception {
        Path data = cracks(4, 1, 2);
        Path run = tmp.resolve("runs/cracks");
        Path config = runFile(cracksRun(data), run);
        CliRun train = CliRun.of("train", "--config", config.toString(), "--crops", "64");
        assertEquals(0, train.code(), train.err() + train.out());
        assertTrue(train.out().contains("Crops     64x64 at scale 1.0, 50% centred on a defect of crack (each class "
                + "equally often); defect pixels of 4 images indexed in"), train.out());
        assertFalse(train.out().contains("Padding"), train.out());
        String resolved = Files.readString(run.resolve("config.yaml"));
        assertTrue(resolved.contains("#   --crops 64") && resolved.contains("sampling: crops")
                && resolved.contains("crop_size: 64"), resolved);

        Path eval = tmp.resolve("eval");
        CliRun ev = CliRun.of("eval", "--config", run.resolve("config.yaml").toString(), "--checkpoint",
                run.resolve("last.safetensors").toString(), "--out", eval.toString(), "--tile-overlap", "0.5");
        assertEquals(0, ev.code(), ev.err() + ev.out());
        assertTrue(ev.out().contains("Inference sliding windows 64x64, overlap 0.5, scale 1.0"), ev.out());
        JsonNode json = new ObjectMapper().readTree(eval.resolve("metrics.json").toFile());
        assertEquals("sliding windows 64x64, overlap 0.5, scale 1.0, Hann-blended logits",
                json.path("inference").asText());
        for (String id : List.of("img5", "img6")) {
            MaskRaster pred = ImageDecoder.readMask(eval.resolve("predictions/" + id + ".png"));
            assertEquals(WIDTH, pred.width());
            assertEquals(HEIGHT, pred.height());
        }

        // predict finds config.yaml beside the checkpoint and slides windows too.
        Path out = tmp.resolve("predict");
        CliRun pr = CliRun.of("predict", data.resolve("JPEGImages/img5.png").toString(), "--checkpoint",
                run.resolve("last.safetensors").toString(), "--out", out.toString(), "--tile-overlap", "0.5",
                "--tile-batch", "4");
        assertEquals(0, pr.code(), pr.err() + pr.out());
        assertTrue(pr.out().contains("Inference sliding windows 64x64, overlap 0.5, scale 1.0"), pr.out());
        MaskRaster mask = ImageDecoder.readMask(out.resolve("masks/img5.png"));
        assertEquals(WIDTH, mask.width());
        assertEquals(HEIGHT, mask.height());
        // The same model, tiles and batches give the same class map in eval and predict.
        assertArrayEquals(ImageDecoder.readMask(eval.resolve("predictions/img5.png")).values(), mask.values());
        assertTrue(Files.isRegularFile(out.resolve("overlays/img5.png")));
    }

    @Test
    void imagesSmallerThanACropAtTheScale_arePaddedAndNamedOnce() throws Exception {
        Path data = cracks(2, 0, 0);
        Path run = tmp.resolve("runs/small");
        Path config = runFile(cracksRun(data).data("val_split", "\"\""), run);
        CliRun train = CliRun.of("train", "--config", config.toString(), "--crops", "64", "--scale", "0.2");
        assertEquals(0, train.code(), train.err() + train.out());
        String out = train.out();
        assertTrue(out.contains("Padding   2 of 2 training images are smaller than a 64x64 crop at scale 0.2 and are "
                + "padded with grey, the padding ignored by the loss: img0 (384x256, 77x51 at scale 0.2), img1 "
                + "(384x256, 77x51 at scale 0.2)"), out);
        assertEquals(out.indexOf("Padding"), out.lastIndexOf("Padding"), out);
    }

    @Test
    void bnRecalibrate_trainsFromScratchAndWithUpdatedStatistics_andIsRefusedUnderFrozenOnes() throws Exception {
        Path data = cracks(2, 1, 0);
        Path run = tmp.resolve("runs/base");
        Path config = runFile(cracksRun(data), run);
        CliRun train = CliRun.of("train", "--config", config.toString(), "--crops", "64", "--bn-recalibrate", "2");
        assertEquals(0, train.code(), train.err() + train.out());
        assertTrue(Files.readString(run.resolve("config.yaml")).contains("  bn_recalibrate: 2\n"));
        String base = run.resolve("last.safetensors").toString();

        // LoRA keeps the base's statistics frozen by default: nothing to re-estimate, refused before any file.
        Path frozen = tmp.resolve("runs/frozen");
        CliRun refused = CliRun.of("finetune", "--config", config.toString(), "--crops", "64", "--method", "lora",
                "--base", base, "--out", frozen.toString(), "--bn-recalibrate", "2");
        assertEquals(2, refused.code(), refused.out());
        assertTrue(refused.err().startsWith("error: ") && refused.err().contains("training.bn_recalibrate 2: "
                + "method 'lora' holds the base's BatchNorm statistics frozen (bn_stats: frozen), so there is nothing "
                + "to re-estimate; set method.options.bn_stats=update or training.bn_recalibrate=0"), refused.err());
        assertEquals(1, refused.err().strip().lines().count(), refused.err());
        assertFalse(Files.exists(frozen));

        // Under the frozen statistics, micro-batches of one image give the batch's update with less memory.
        Path parts = tmp.resolve("runs/parts");
        CliRun micro = CliRun.of("finetune", "--config", config.toString(), "--crops", "64", "--method", "lora",
                "--base", base, "--out", parts.toString(), "--micro-batch", "1");
        assertEquals(0, micro.code(), micro.err() + micro.out());
        assertTrue(Files.readString(parts.resolve("config.yaml")).contains("  micro_batch: 1\n"));
        assertTrue(Files.isRegularFile(parts.resolve("adapter/adapter_config.json")));

        // With the statistics updated, the re-estimated ones travel with the adapter.
        Path updated = tmp.resolve("runs/updated");
        CliRun fine = CliRun.of("finetune", "--config", config.toString(), "--crops", "64", "--method", "lora",
                "--base", base, "--out", updated.toString(), "--bn-recalibrate", "2", "--set",
                "method.options.bn_stats=update");
        assertEquals(0, fine.code(), fine.err() + fine.out());
        JsonNode adapter = new ObjectMapper().readTree(updated.resolve("adapter/adapter_config.json").toFile());
        assertEquals("update", adapter.path("bn_stats").asText(), adapter.toString());
    }

    @Test
    void binaryMasks_areReadWhenAsked_andTheErrorWithoutThemSaysHow() throws Exception {
        Path data = cracks(2, 0, 0, true);
        Path run = tmp.resolve("runs/binary");
        Path config = runFile(cracksRun(data).data("val_split", "\"\""), run);
        CliRun ids = CliRun.of("train", "--config", config.toString(), "--crops", "64", "--epochs", "1");
        assertEquals(2, ids.code(), ids.err() + ids.out());
        assertTrue(ids.err().startsWith("error: " + data.resolve("SegmentationClass/img0.png") + ": mask value 255 "),
                ids.err());
        assertTrue(ids.err().endsWith("This looks like a binary mask (defect bright, background dark): read the "
                + "masks as binary (binary_masks: true in the run file's data section)\n"), ids.err());
        CliRun three = CliRun.of("train", "--config", config.toString(), "--set", "data.binary_masks=true", "--set",
                "data.class_names=[background,crack,hole]", "--crops", "64", "--epochs", "1");
        assertEquals(2, three.code(), three.err() + three.out());
        assertTrue(three.err().contains("data.binary_masks reads masks with one defect class, but "
                + "data.class_names names 3: [background, crack, hole]"), three.err());
        CliRun binary = CliRun.of("train", "--config", config.toString(), "--set", "data.binary_masks=true",
                "--crops", "64", "--epochs", "1");
        assertEquals(0, binary.code(), binary.err() + binary.out());
        // Every crack pixel (two rows and a column an image) is indexed as class 1.
        assertTrue(binary.out().contains("50% centred on a defect of crack (each class equally often); defect "
                + "pixels of 2 images indexed"), binary.out());
        assertTrue(Files.readString(run.resolve("config.yaml")).contains("binary_masks: true"));
    }

    @Test
    void badCropSettings_exitTwoWithOneLineNamingTheKey_andWriteNothing() throws Exception {
        Path data = cracks(2, 0, 0);
        Path run = tmp.resolve("runs/bad");
        Path config = runFile(cracksRun(data).data("sampling", "crops").data("defect_share", "1.5"), run);
        CliRun share = CliRun.of("train", "--config", config.toString());
        assertEquals(2, share.code());
        assertEquals("error: " + config + ": data.defect_share must be between 0 and 1 (a share of the crops), got "
                + "1.5\n", share.err());
        config = runFile(cracksRun(data).data("sampling", "crops"), run);
        String[][] cases = {
            {"--set", "data.scale=0", "error: --set data.scale=0: data.scale must be a positive factor (1 keeps "
                + "native pixels), got 0.0\n"},
            {"--scale", "-0.5", "error: --scale -0.5: data.scale must be a positive factor (1 keeps native pixels), "
                + "got -0.5\n"},
            {"--set", "data.tile_overlap=1", "error: --set data.tile_overlap=1: data.tile_overlap is a share of the "
                + "tile, at least 0 and smaller than 1 (e.g. 0.25), got 1.0\n"},
            {"--crops", "40", "error: --crops 40: data.crop_size must be 0 (model.image_size) or a multiple of 16 "
                + "(the decoders start at 1/16 of the input), got 40\n"},
            {"--set", "data.sampling=tiles", "error: --set data.sampling=tiles: data.sampling must be letterbox or "
                + "crops, got 'tiles'\n"},
            {"--bn-recalibrate", "-1", "error: --bn-recalibrate -1: training.bn_recalibrate must be 0 (off) or a "
                + "number of training batches, got -1\n"},
            {"--micro-batch", "-2", "error: --micro-batch -2: training.micro_batch must be 0 (the whole batch at "
                + "once) or a number of images per part, got -2\n"},
        };
        for (String[] c : cases) {
            CliRun r = CliRun.of("train", "--config", config.toString(), c[0], c[1]);
            assertEquals(2, r.code(), r.err());
            assertEquals(c[2], r.err());
        }
        assertFalse(Files.exists(run), "nothing is written for a refused setting");
    }

    @Test
    void classWeights_trainAndAreRecorded_andBadOnesAreRefusedBeforeAnyFile() throws Exception {
        Path data = cracks(2, 1, 1);
        Path run = tmp.resolve("runs/weighted");
        Path config = runFile(cracksRun(data), run);
        CliRun train = CliRun.of("train", "--config", config.toString(), "--crops", "64", "--set",
                "training.class_weights=[1, 4]");
        assertEquals(0, train.code(), train.err() + train.out());
        assertTrue(Files.readString(run.resolve("config.yaml")).contains("  class_weights:\n  - 1.0\n  - 4.0\n"),
                Files.readString(run.resolve("config.yaml")));
        // Another weighting changes what the run learns: the same folder refuses to continue under it.
        CliRun other = CliRun.of("train", "--config", config.toString(), "--crops", "64", "--epochs", "2", "--set",
                "training.class_weights=[1, 8]");
        assertEquals(2, other.code(), other.out());
        assertTrue(other.err().contains("training.class_weights"), other.err());

        // eval and predict take the weighting's prior out on request: crack's logits lowered by ln 4.
        String shifted = "sliding windows 64x64, overlap 0.25, scale 1.0, Hann-blended logits, logits shifted by "
                + "[0.000, -1.386] (class weights' prior taken out)";
        Path eval = tmp.resolve("eval-adjusted");
        CliRun ev = CliRun.of("eval", "--config", run.resolve("config.yaml").toString(), "--checkpoint",
                run.resolve("last.safetensors").toString(), "--out", eval.toString(), "--logit-adjust");
        assertEquals(0, ev.code(), ev.err() + ev.out());
        assertTrue(ev.out().contains("Inference " + shifted + "\n"), ev.out());
        assertEquals(shifted, new ObjectMapper().readTree(eval.resolve("metrics.json").toFile()).path("inference")
                .asText());
        CliRun pr = CliRun.of("predict", data.resolve("JPEGImages/img3.png").toString(), "--checkpoint",
                run.resolve("last.safetensors").toString(), "--out", tmp.resolve("predict-adjusted").toString(),
                "--logit-adjust");
        assertEquals(0, pr.code(), pr.err() + pr.out());
        assertTrue(pr.out().contains("Inference " + shifted + "\n"), pr.out());
        CliRun video = CliRun.of("predict", "--video", tmp.resolve("line.mp4").toString(), "--checkpoint",
                run.resolve("last.safetensors").toString(), "--out", tmp.resolve("video-adjusted").toString(),
                "--logit-adjust");
        assertEquals(2, video.code(), video.out());
        assertEquals("error: --logit-adjust applies to images, not to --video, --mjpeg or --camera streams\n",
                video.err());
        // A run file without weights has no prior to take out.
        CliRun unweighted = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                run.resolve("last.safetensors").toString(), "--out", tmp.resolve("eval-none").toString(),
                "--logit-adjust");
        assertEquals(2, unweighted.code(), unweighted.out());
        assertEquals("error: --logit-adjust: the run trained without training.class_weights, so its scores carry no "
                + "weighting to take out\n", unweighted.err());

        Path none = tmp.resolve("runs/none");
        Path fresh = runFile(cracksRun(data), none);
        String[][] cases = {
            {"training.class_weights=[1, 0]", "error: --set training.class_weights=[1, 0]: training.class_weights "
                + "must be positive numbers, one per class (e.g. [1, 10, 10]), got [1.0, 0.0]\n"},
            {"training.class_weights=[1, 4, 4]", "error: training.class_weights has 3 values, the data has 2 "
                + "classes (background, crack): give one weight per class, in order\n"},
        };
        for (String[] c : cases) {
            CliRun r = CliRun.of("train", "--config", fresh.toString(), "--crops", "64", "--set", c[0]);
            assertEquals(2, r.code(), r.err());
            assertEquals(c[1], r.err());
        }
        assertFalse(Files.exists(none), "nothing is written for refused weights");
    }

    @Test
    void evalTileOverlapOfOne_isRefusedNamingTheOption() throws Exception {
        Path data = cracks(0, 0, 1);
        Path config = runFile(cracksRun(data).data("sampling", "crops"), tmp.resolve("runs/x"));
        Path ckpt = tmp.resolve("none.safetensors");
        CliRun r = CliRun.of("eval", "--config", config.toString(), "--checkpoint", ckpt.toString(),
                "--tile-overlap", "1.0");
        assertEquals(2, r.code());
        assertEquals("error: --tile-overlap 1.0: data.tile_overlap is a share of the tile, at least 0 and smaller "
                + "than 1 (e.g. 0.25), got 1.0\n", r.err());
    }

    @Test
    void tileBatchBelowOne_isRefusedAlikeByEvalAndPredict() throws Exception {
        Path data = cracks(0, 0, 1);
        Path config = runFile(cracksRun(data).data("sampling", "crops"), tmp.resolve("runs/x"));
        Path ckpt = tmp.resolve("none.safetensors");
        Path image = data.resolve("JPEGImages/img0.png");
        for (String[] args : List.of(new String[] {"eval", "--config", config.toString()},
                new String[] {"predict", image.toString(), "--config", config.toString(), "--out",
                    tmp.resolve("pred").toString()})) {
            List<String> line = new ArrayList<>(List.of(args));
            line.addAll(List.of("--checkpoint", ckpt.toString(), "--tile-batch", "0"));
            CliRun r = CliRun.of(line.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            assertEquals("error: --tile-batch must be at least 1, got 0\n", r.err(), args[0]);
        }
        assertFalse(Files.exists(tmp.resolve("pred")), "predict refuses before writing");
    }
}
