package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.metrics.SegmentationScores;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.MaskRaster;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import ai.peft4j.infer.render.Overlay;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line end to end on a few NEU-Seg images: train, resume, eval, predict, finetune with LoRA. */
class TrainEvalPredictCliTest {
    @TempDir
    Path tmp;

    private static final List<String> CLASSES = List.of("background", "inclusion", "patches", "scratches");

    /** A VOC folder holding the first {@code n} ids of each published split, linked to the shared files. */
    private Path neuSubset(int train, int val, int test) throws Exception {
        Path neu = SharedFiles.require("data/neu-seg");
        Path root = tmp.resolve("neu");
        Files.createDirectories(root.resolve("JPEGImages"));
        Files.createDirectories(root.resolve("SegmentationClass"));
        Files.createDirectories(root.resolve("ImageSets/Segmentation"));
        int[] counts = {train, val, test};
        String[] splits = {"train", "val", "test"};
        for (int s = 0; s < 3; s++) {
            List<String> ids = Files.readAllLines(neu.resolve("ImageSets/Segmentation/" + splits[s] + ".txt"))
                    .stream().map(String::strip).filter(x -> !x.isEmpty()).limit(counts[s]).toList();
            for (String id : ids) {
                Files.createSymbolicLink(root.resolve("JPEGImages/" + id + ".jpg"),
                        neu.resolve("JPEGImages/" + id + ".jpg"));
                Files.createSymbolicLink(root.resolve("SegmentationClass/" + id + ".png"),
                        neu.resolve("SegmentationClass/" + id + ".png"));
            }
            Files.write(root.resolve("ImageSets/Segmentation/" + splits[s] + ".txt"), ids);
        }
        return root;
    }

    private Path runFile(Path data, Path out) throws Exception {
        return TinyRuns.RunFile.voc(data, CLASSES).data("palette", "[[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]")
                .training("epochs", "2").training("batch", "4").training("lr", "2.0e-3").training("loss", "ce+dice")
                .training("val_every", "1").write(tmp.resolve("neu.yaml"), out);
    }

    @Test
    void trainEvalPredictFinetune_writeTheirFilesAndEvalMetricsEqualThoseOfThePredictionPngs() throws Exception {
        Path data = neuSubset(4, 2, 3);
        Path run = tmp.resolve("runs/neu");
        Path config = runFile(data, run);

        CliRun train = CliRun.of("train", "--config", config.toString(), "--set", "training.seed=3");
        assertEquals(0, train.code(), train.err() + train.out());
        for (String f : List.of("config.yaml", "last.safetensors", "best.safetensors", "history.csv", "curves.png")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f + " missing; " + train.out());
        }
        String resolved = Files.readString(run.resolve("config.yaml"));
        assertTrue(resolved.contains("#   --set training.seed=3") && resolved.contains("seed: 3"), resolved);
        assertEquals(3, Files.readAllLines(run.resolve("history.csv")).size(), "header and 2 epochs");

        // The same command again continues from the last checkpoint: nothing left to do, history unchanged.
        byte[] last = Files.readAllBytes(run.resolve("last.safetensors"));
        CliRun again = CliRun.of("train", "--config", config.toString(), "--set", "training.seed=3");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("Resuming " + run + " after epoch 2 of 2"), again.out());
        assertArrayEquals(last, Files.readAllBytes(run.resolve("last.safetensors")));
        resolved = Files.readString(run.resolve("config.yaml"));
        // Other settings in the same directory are refused before anything is overwritten.
        CliRun other = CliRun.of("train", "--config", config.toString(), "--set", "training.seed=3", "--lr", "1e-3");
        assertEquals(2, other.code());
        assertTrue(other.err().contains(run + " holds a run with other settings (saved in " + run.resolve("config.yaml")
                + "; saved -> now): training.lr: 0.002 -> 0.001. "), other.err());
        assertEquals(resolved, Files.readString(run.resolve("config.yaml")));

        Path eval = tmp.resolve("eval");
        CliRun ev = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                run.resolve("best.safetensors").toString(), "--out", eval.toString(), "--overlays", "3");
        assertEquals(0, ev.code(), ev.err() + ev.out());
        for (String f : List.of("metrics.json", "report.md", "report.html", "class_scores.png", "confusion_matrix.png",
                "confusion_matrix.csv", "overlays.png", "curves.png")) {
            assertTrue(Files.isRegularFile(eval.resolve(f)), f + " missing");
        }
        // Recompute every metric from the prediction PNGs and the original masks.
        VocDataset test = VocDataset.open(data, "test", new VocConfig(CLASSES, null, null, false));
        ConfusionMatrix cm = new ConfusionMatrix(4);
        for (int i = 0; i < test.size(); i++) {
            LabelledImage gt = test.read(i);
            MaskRaster pred = ImageDecoder.readMask(eval.resolve("predictions/" + gt.id() + ".png"));
            assertEquals(200, pred.width());
            assertEquals(200, pred.height());
            cm.add(gt.mask(), pred.values());
        }
        SegmentationScores s = cm.scores();
        JsonNode json = new ObjectMapper().readTree(eval.resolve("metrics.json").toFile());
        assertEquals(3, json.path("images").asInt());
        assertEquals(s.meanIou(), json.path("miou").asDouble(), 1e-12);
        assertEquals(s.meanRecall(), json.path("mpa").asDouble(), 1e-12);
        assertEquals(s.meanPrecision(), json.path("mprecision").asDouble(), 1e-12);
        assertEquals(s.meanDice(), json.path("dice").asDouble(), 1e-12);
        assertEquals(s.accuracy(), json.path("accuracy").asDouble(), 1e-12);
        for (int c = 0; c < 4; c++) {
            assertEquals(CLASSES.get(c), json.path("per_class").get(c).path("name").asText());
            assertEquals(s.iou()[c], json.path("per_class").get(c).path("iou").asDouble(), 1e-12);
            for (int p = 0; p < 4; p++) {
                assertEquals(cm.count(c, p), json.path("confusion_matrix").get(c).get(p).asLong());
            }
        }
        assertEquals(3L * 200 * 200, cm.total());

        // predict finds the model in the run's config.yaml; its mask equals eval's prediction of the same image.
        String id = test.ids().get(0);
        Path pred = tmp.resolve("pred");
        CliRun pr = CliRun.of("predict", "--checkpoint", run.resolve("best.safetensors").toString(),
                data.resolve("JPEGImages/" + id + ".jpg").toString(), "--out", pred.toString());
        assertEquals(0, pr.code(), pr.err() + pr.out());
        MaskRaster mask = ImageDecoder.readMask(pred.resolve("masks/" + id + ".png"));
        assertArrayEquals(ImageDecoder.readMask(eval.resolve("predictions/" + id + ".png")).values(), mask.values());
        RgbImage image = ImageDecoder.readRgb(data.resolve("JPEGImages/" + id + ".jpg"));
        RgbImage overlay = ImageDecoder.readRgb(pred.resolve("overlays/" + id + ".png"));
        Palette palette = Palette.of(0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255);
        assertArrayEquals(Overlay.blend(image, mask.values(), palette).pixels(), overlay.pixels());

        // predict --video: a clip of the test images through the stream pipeline, one stats row per frame.
        Path clip = tmp.resolve("test-images.mp4");
        CliRun cl = CliRun.of("clip", data.resolve("JPEGImages").toString(), "--ids",
                data.resolve("ImageSets/Segmentation/test.txt").toString(), "--out", clip.toString());
        assertEquals(0, cl.code(), cl.err() + cl.out());
        Path vout = tmp.resolve("video");
        CliRun pv = CliRun.of("predict", "--checkpoint", run.resolve("best.safetensors").toString(), "--video",
                clip.toString(), "--out", vout.toString());
        assertEquals(0, pv.code(), pv.err() + pv.out());
        List<String> stats = Files.readAllLines(vout.resolve("stats.csv"));
        assertEquals(test.size() + 1, stats.size(), String.join("\n", stats));
        assertTrue(stats.get(0).contains("inclusion"), stats.get(0));
        assertEquals(test.size(), new ObjectMapper().readTree(vout.resolve("stream-report.json").toFile())
                .path("frames_written").asInt());
        assertTrue(Files.size(vout.resolve("overlay.mp4")) > 0);

        // predict --mjpeg: the same images as a motion-JPEG stream, one stats row per image, in order.
        Path mjpeg = tmp.resolve("test-images.mjpeg");
        try (java.io.OutputStream o = Files.newOutputStream(mjpeg)) {
            for (String testId : test.ids()) {
                o.write(Files.readAllBytes(data.resolve("JPEGImages/" + testId + ".jpg")));
            }
        }
        Path mout = tmp.resolve("mjpeg");
        CliRun pm = CliRun.of("predict", "--checkpoint", run.resolve("best.safetensors").toString(), "--mjpeg",
                mjpeg.toString(), "--out", mout.toString());
        assertEquals(0, pm.code(), pm.err() + pm.out());
        assertEquals(test.size() + 1, Files.readAllLines(mout.resolve("stats.csv")).size());
        CliRun both = CliRun.of("predict", "--checkpoint", run.resolve("best.safetensors").toString(), "--mjpeg",
                mjpeg.toString(), "--video", clip.toString(), "--out", mout.toString());
        assertEquals(2, both.code());
        assertTrue(both.err().contains("give one of --video, --mjpeg and --camera"), both.err());

        // LoRA on the trained base, then eval and predict with its adapter directory.
        Path ft = tmp.resolve("runs/neu-lora");
        CliRun fine = CliRun.of("finetune", "--config", config.toString(), "--method", "lora", "--base",
                run.resolve("best.safetensors").toString(), "--out", ft.toString(), "--epochs", "1");
        assertEquals(0, fine.code(), fine.err() + fine.out());
        assertTrue(Files.isRegularFile(ft.resolve("adapter/adapter_config.json")), fine.out());
        assertTrue(Files.isRegularFile(ft.resolve("adapter-best/adapter_model.safetensors")), fine.out());
        assertTrue(Files.readString(ft.resolve("config.yaml")).contains("#   --method lora"));
        // Another method in the same run folder is refused: the adapter there is LoRA's.
        byte[] ftLast = Files.readAllBytes(ft.resolve("last.safetensors"));
        CliRun otherMethod = CliRun.of("finetune", "--config", config.toString(), "--method", "bitfit", "--base",
                run.resolve("best.safetensors").toString(), "--out", ft.toString(), "--epochs", "1");
        assertEquals(2, otherMethod.code(), otherMethod.err() + otherMethod.out());
        assertTrue(otherMethod.err().contains("): method.name: lora -> bitfit. "), otherMethod.err());
        assertTrue(Files.readString(ft.resolve("config.yaml")).contains("#   --method lora"));
        assertArrayEquals(ftLast, Files.readAllBytes(ft.resolve("last.safetensors")));
        Path evalFt = tmp.resolve("eval-lora");
        CliRun ev2 = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                run.resolve("best.safetensors").toString(), "--adapter", ft.resolve("adapter-best").toString(),
                "--out", evalFt.toString());
        assertEquals(0, ev2.code(), ev2.err() + ev2.out());
        double miou = new ObjectMapper().readTree(evalFt.resolve("metrics.json").toFile()).path("miou").asDouble();
        assertTrue(miou >= 0 && miou <= 1, "mIoU " + miou);
        Path folder = Files.createDirectories(tmp.resolve("to-predict"));
        for (String t : test.ids().subList(0, 2)) {
            Files.createSymbolicLink(folder.resolve(t + ".jpg"), data.resolve("JPEGImages/" + t + ".jpg"));
        }
        Files.writeString(folder.resolve("notes.txt"), "not an image: skipped by extension");
        CliRun pr2 = CliRun.of("predict", "--checkpoint", run.resolve("best.safetensors").toString(), "--adapter",
                ft.resolve("adapter-best").toString(), folder.toString(), "--out",
                tmp.resolve("pred-lora").toString());
        assertEquals(0, pr2.code(), pr2.err() + pr2.out());
        assertArrayEquals(ImageDecoder.readMask(evalFt.resolve("predictions/" + id + ".png")).values(),
                ImageDecoder.readMask(tmp.resolve("pred-lora/masks/" + id + ".png")).values());
        assertEquals(2, Files.list(tmp.resolve("pred-lora/masks")).count());
    }

    @Test
    void badInput_givesOneLineNamingTheFile() throws Exception {
        CliRun noFile = CliRun.of("train", "--config", tmp.resolve("missing.yaml").toString());
        assertEquals(2, noFile.code());
        assertTrue(noFile.err().contains(tmp.resolve("missing.yaml") + ": run file not found"), noFile.err());

        Path bad = tmp.resolve("typo.yaml");
        Files.writeString(bad, "training:\n  epoch: 3\n");
        CliRun typo = CliRun.of("train", "--config", bad.toString());
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains(bad + ": unknown key 'training.epoch'"), typo.err());

        Path noData = tmp.resolve("nodata.yaml");
        Files.writeString(noData, "data:\n  root: " + tmp.resolve("nowhere") + "\n  class_names: [a, b]\n");
        CliRun nd = CliRun.of("train", "--config", noData.toString());
        assertEquals(2, nd.code());
        assertTrue(nd.err().contains(tmp.resolve("nowhere") + ": data folder not found"), nd.err());

        Path notImage = tmp.resolve("notes.jpg");
        Files.writeString(notImage, "not an image");
        Path ckpt = tmp.resolve("none.safetensors");
        CliRun p = CliRun.of("predict", "--checkpoint", ckpt.toString(), "--config", noData.toString(),
                notImage.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, p.code());
        assertTrue(p.err().contains(ckpt + ": weights file not found"), p.err());
        assertTrue(!p.err().contains("\tat "), p.err());
    }
}
