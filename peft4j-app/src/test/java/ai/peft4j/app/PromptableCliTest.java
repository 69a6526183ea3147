package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.app.config.RunConfigFile;
import ai.peft4j.app.run.AdaLoraSteps;
import ai.peft4j.app.run.MethodFactory;
import ai.peft4j.app.run.PromptableOutput;
import ai.peft4j.app.run.SegmentationNet;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.MaskRaster;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.models.sam.PromptableSegmenter;
import ai.peft4j.train.loop.Checkpoint;
import ai.peft4j.train.promptable.MaskPrompt;
import ai.peft4j.train.promptable.PromptMode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A promptable run end to end on a few NEU-Seg images with the fixture-sized SAM at 64x64: train with box prompts,
 * finetune with sam-lora, eval with prompts from the test masks and prompt-free, predict from a box file, bad input.
 */
class PromptableCliTest {
    @TempDir
    Path tmp;

    private Path neuSubset(int train, int val, int test) throws Exception {
        Path neu = SharedFiles.require("data/neu-seg");
        Path root = tmp.resolve("neu");
        Files.createDirectories(root.resolve("JPEGImages"));
        Files.createDirectories(root.resolve("SegmentationClass"));
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
            TinyRuns.splitList(root, splits[s], ids.toArray(String[]::new));
        }
        return root;
    }

    private Path runFile(Path data, Path out, String epochs, String lr) throws Exception {
        return runFile(data, out, epochs, lr, "background, inclusion, patches, scratches", "  prompt: box\n");
    }

    /** A run file with those class names and that promptable section's body. */
    private Path runFile(Path data, Path out, String epochs, String lr, String classNames, String promptable)
            throws Exception {
        Path file = tmp.resolve(out.getFileName() + ".yaml");
        Files.writeString(file, "task: promptable\nmodel:\n  name: sam-fixture\n  image_size: 64\n"
                + "data:\n  layout: voc\n  root: " + data + "\n  class_names: [" + classNames + "]\n"
                + "  out_of_range: ignore\ntraining:\n  epochs: " + epochs + "\n  batch: 2\n  workers: 1\n  lr: "
                + lr + "\n  schedule: constant\n  augment: false\n  val_every: 1\npromptable:\n" + promptable
                + "output: " + out + "\n");
        return file;
    }

    private static double[] trainLosses(Path history) throws Exception {
        List<String> lines = Files.readAllLines(history);
        int col = List.of(lines.get(0).split(",")).indexOf("train_loss");
        return lines.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[col])).toArray();
    }

    @Test
    void trainFinetuneEvalPredict_lossFallsAndTheSavedAdapterPredictsAsTheTrainedModel() throws Exception {
        Path data = neuSubset(4, 2, 2);
        Path base = tmp.resolve("base");
        CliRun train = CliRun.of("train", "--config", runFile(data, base, "2", "1.0e-3").toString());
        assertEquals(0, train.code(), train.err() + train.out());
        assertTrue(Files.isRegularFile(base.resolve("last.safetensors")), train.out());

        Path run = tmp.resolve("lora");
        Path config = runFile(data, run, "4", "5.0e-3");
        CliRun ft = CliRun.of("finetune", "--config", config.toString(), "--method", "sam-lora", "--base",
                base.resolve("last.safetensors").toString());
        assertEquals(0, ft.code(), ft.err() + ft.out());
        double[] losses = trainLosses(run.resolve("history.csv"));
        assertEquals(4, losses.length);
        assertTrue(losses[3] < losses[0], "training loss falls: " + java.util.Arrays.toString(losses));
        assertTrue(Files.isRegularFile(run.resolve("adapter/adapter_config.json")), ft.out());
        // The same command again continues the run from its config.yaml and last checkpoint: nothing left to do.
        CliRun again = CliRun.of("finetune", "--config", config.toString(), "--method", "sam-lora", "--base",
                base.resolve("last.safetensors").toString());
        assertEquals(0, again.code(), again.err() + again.out());
        assertTrue(again.out().contains("Resuming " + run + " after epoch 4 of 4"), again.out());
        assertTrue(Files.readString(run.resolve("config.yaml")).contains("task: promptable"));

        // The adapter directory on the base predicts what the trained model (last checkpoint) predicts.
        String id = Files.readAllLines(data.resolve("ImageSets/Segmentation/test.txt")).get(0).strip();
        RgbImage image = ImageDecoder.readRgb(data.resolve("JPEGImages/" + id + ".jpg"));
        List<MaskPrompt> box = List.of(new MaskPrompt(PromptMode.BOX, new float[] {20, 30, 150, 120}, 1,
                new int[0]));
        var c = RunConfigFile.read(config, List.of()).config();
        try (NDManager m = EngineSetup.newManager()) {
            PromptableSegmenter reloaded = PromptableRuns.restore(c, base.resolve("last.safetensors"),
                    run.resolve("adapter"), false, m);
            Module trained = PromptableRuns.build(c, m);
            SegmentationNet.loadStrict(trained, Weights.read(base.resolve("last.safetensors"), m));
            MethodFactory.create("sam-lora", Map.of(), m).attach(trained);
            trained.loadStateDict(Checkpoint.read(run.resolve("last.safetensors"), m).modelState(), true);
            trained.eval();
            for (PromptMode mode : List.of(PromptMode.BOX, PromptMode.NONE)) {
                float[] a = PromptableRuns.predict(reloaded, m, image, box, mode).get(0);
                float[] b = PromptableRuns.predict((PromptableSegmenter) trained, m, image, box, mode).get(0);
                assertEquals(200 * 200, a.length);
                assertArrayEquals(b, a, mode + " prompt");
            }
        }

        for (String prompts : List.of("box", "none")) {
            Path eval = tmp.resolve("eval-" + prompts);
            CliRun ev = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                    base.resolve("last.safetensors").toString(), "--adapter", run.resolve("adapter").toString(),
                    "--prompts", prompts, "--out", eval.toString());
            assertEquals(0, ev.code(), ev.err() + ev.out());
            JsonNode j = new ObjectMapper().readTree(eval.resolve("metrics.json").toFile());
            assertEquals(2, j.path("images").asInt());
            assertEquals(prompts, j.path("prompts").asText());
            assertTrue(j.path("masks").asInt() >= (prompts.equals("none") ? 2 : 1), j.toString());
            double dice = j.path("dice").asDouble();
            assertTrue(dice >= 0 && dice <= 1, j.toString());
        }

        // predict from a box file: one mask per row at the image's size; prompt-free: one per image.
        Path boxes = tmp.resolve("boxes.csv");
        Files.writeString(boxes, "image,x0,y0,x1,y1\n" + data.resolve("JPEGImages/" + id + ".jpg")
                + ",20,30,150,120\n" + data.resolve("JPEGImages/" + id + ".jpg") + ",0,0,199,199\n");
        Path pred = tmp.resolve("pred");
        CliRun pr = CliRun.of("predict", "--config", config.toString(), "--checkpoint",
                base.resolve("last.safetensors").toString(), "--adapter", run.resolve("adapter").toString(),
                "--prompts", boxes.toString(), "--out", pred.toString());
        assertEquals(0, pr.code(), pr.err() + pr.out());
        for (int k = 0; k < 2; k++) {
            MaskRaster mask = ImageDecoder.readMask(pred.resolve("masks/" + id + "_" + k + ".png"));
            assertEquals(200, mask.width());
            assertEquals(200, mask.height());
        }
        MaskRaster first = ImageDecoder.readMask(pred.resolve("masks/" + id + "_0.png"));
        float[] expected;
        try (NDManager m = EngineSetup.newManager()) {
            expected = PromptableRuns.predict(PromptableRuns.restore(c, base.resolve("last.safetensors"),
                    run.resolve("adapter"), false, m), m, image, box, PromptMode.BOX).get(0);
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i] > 0 ? 1 : 0, first.values()[i], "pixel " + i);
        }
        // --box on the command line asks the same of each image given.
        Path byOption = tmp.resolve("by-option");
        CliRun bo = CliRun.of("predict", "--config", config.toString(), "--checkpoint",
                base.resolve("last.safetensors").toString(), "--adapter", run.resolve("adapter").toString(),
                "--box", "20,30,150,120", data.resolve("JPEGImages/" + id + ".jpg").toString(), "--out",
                byOption.toString());
        assertEquals(0, bo.code(), bo.err() + bo.out());
        assertArrayEquals(first.values(), ImageDecoder.readMask(byOption.resolve("masks/" + id + "_0.png")).values());
        // --point: one mask per click, the click mapped into the letterbox as the model saw its training clicks;
        // the same clicks as rows of a prompt file give the same masks.
        Path byPoint = tmp.resolve("by-point");
        CliRun po = CliRun.of("predict", "--config", config.toString(), "--checkpoint",
                base.resolve("last.safetensors").toString(), "--adapter", run.resolve("adapter").toString(),
                "--point", "60,70", "--point", "150.5,20,0", data.resolve("JPEGImages/" + id + ".jpg").toString(),
                "--out", byPoint.toString());
        assertEquals(0, po.code(), po.err() + po.out());
        assertTrue(po.out().contains("point 60,70 label 1") && po.out().contains("point 150.5,20 label 0"),
                po.out());
        List<MaskPrompt> clicks = List.of(MaskPrompt.point(60, 70, 1), MaskPrompt.point(150.5f, 20, 0));
        List<float[]> clickLogits;
        try (NDManager m = EngineSetup.newManager()) {
            clickLogits = PromptableRuns.predict(PromptableRuns.restore(c, base.resolve("last.safetensors"),
                    run.resolve("adapter"), false, m), m, image, clicks, PromptMode.POINT);
        }
        Path clickFile = tmp.resolve("clicks.csv");
        Files.writeString(clickFile, "image,x,y,label\n" + data.resolve("JPEGImages/" + id + ".jpg") + ",60,70\n"
                + data.resolve("JPEGImages/" + id + ".jpg") + ",150.5,20,0\n");
        Path byClickFile = tmp.resolve("by-click-file");
        CliRun pcf = CliRun.of("predict", "--config", config.toString(), "--checkpoint",
                base.resolve("last.safetensors").toString(), "--adapter", run.resolve("adapter").toString(),
                "--prompts", clickFile.toString(), "--out", byClickFile.toString());
        assertEquals(0, pcf.code(), pcf.err() + pcf.out());
        for (int k = 0; k < 2; k++) {
            int[] written = ImageDecoder.readMask(byPoint.resolve("masks/" + id + "_" + k + ".png")).values();
            float[] l = clickLogits.get(k);
            int area = 0;
            for (int i = 0; i < l.length; i++) {
                assertEquals(l[i] > 0 ? 1 : 0, written[i], "click " + k + " pixel " + i);
                area += written[i];
            }
            assertTrue(po.out().contains(", " + area + " defect pixels -> "), po.out());
            assertArrayEquals(written, ImageDecoder.readMask(byClickFile.resolve("masks/" + id + "_" + k + ".png"))
                    .values());
        }
        String badLabel = TinyRuns.assertOneLineError(CliRun.of("predict", "--config", config.toString(),
                "--checkpoint", base.resolve("last.safetensors").toString(), "--point", "5,5,2",
                data.resolve("JPEGImages/" + id + ".jpg").toString(), "--out", tmp.resolve("bad").toString()));
        assertTrue(badLabel.startsWith("--point 5,5,2: point label must be 1") && badLabel.contains("got '2'"),
                badLabel);
        String offImage = TinyRuns.assertOneLineError(CliRun.of("predict", "--config", config.toString(),
                "--checkpoint", base.resolve("last.safetensors").toString(), "--point", "200,5",
                data.resolve("JPEGImages/" + id + ".jpg").toString(), "--out", tmp.resolve("bad").toString()));
        assertTrue(offImage.startsWith("--point: point 200,5 of ") && offImage.contains("outside the 200x200 image"),
                offImage);
        Files.writeString(clickFile, data.resolve("JPEGImages/" + id + ".jpg") + ",3,4,-1\n");
        String badRow = TinyRuns.assertOneLineError(CliRun.of("predict", "--config", config.toString(),
                "--checkpoint", base.resolve("last.safetensors").toString(), "--prompts", clickFile.toString(),
                "--out", tmp.resolve("bad").toString()));
        assertTrue(badRow.startsWith(clickFile + " line 1: point label must be"), badRow);
        assertTrue(!Files.exists(tmp.resolve("bad/masks")), "nothing written on bad prompts");
        Path free = tmp.resolve("free");
        CliRun pf = CliRun.of("predict", "--config", config.toString(), "--checkpoint",
                base.resolve("last.safetensors").toString(), data.resolve("JPEGImages/" + id + ".jpg").toString(),
                "--out", free.toString());
        assertEquals(0, pf.code(), pf.err() + pf.out());
        assertTrue(Files.isRegularFile(free.resolve("masks/" + id + ".png")), pf.out());

        // Bad input: a box outside the image, a prompt file naming a missing image; exit 2, one line, no trace.
        Files.writeString(boxes, data.resolve("JPEGImages/" + id + ".jpg") + ",10,10,250,20\n");
        String outside = TinyRuns.assertOneLineError(CliRun.of("predict", "--config", config.toString(),
                "--checkpoint", base.resolve("last.safetensors").toString(), "--prompts", boxes.toString(), "--out",
                tmp.resolve("bad").toString()));
        assertTrue(outside.contains("box 10,10,250,20") && outside.contains("outside the 200x200 image"), outside);
        Files.writeString(boxes, "image,x0,y0,x1,y1\nnot-there.jpg,1,1,5,5\n");
        String missing = TinyRuns.assertOneLineError(CliRun.of("predict", "--config", config.toString(),
                "--checkpoint", base.resolve("last.safetensors").toString(), "--prompts", boxes.toString(), "--out",
                tmp.resolve("bad").toString()));
        assertTrue(missing.startsWith(boxes + " line 2: image not-there.jpg not found"), missing);
        Files.writeString(boxes, data.resolve("JPEGImages/" + id + ".jpg") + ",50,10,20,30\n");
        String reversed = TinyRuns.assertOneLineError(CliRun.of("predict", "--config", config.toString(),
                "--checkpoint", base.resolve("last.safetensors").toString(), "--prompts", boxes.toString(), "--out",
                tmp.resolve("bad").toString()));
        assertTrue(reversed.contains("x1 < x0"), reversed);
    }

    @Test
    void promptFreeClasses_oneTokenPerClass_trainsEvaluatesAndPredictsAsASegmenter_andEachModeRefusesTheOther()
            throws Exception {
        Path data = neuSubset(4, 2, 2);
        String four = "background, inclusion, patches, scratches";
        String allClasses = "  prompt: none\n  classes: all\n";
        Path base = tmp.resolve("classes");
        Path config = runFile(data, base, "4", "1.0e-3", four, allClasses);
        CliRun train = CliRun.of("train", "--config", config.toString());
        assertEquals(0, train.code(), train.err() + train.out());
        assertTrue(train.out().contains("one decoder mask token per class"), train.out());
        double[] losses = trainLosses(base.resolve("history.csv"));
        assertEquals(4, losses.length);
        assertTrue(losses[3] < losses[0], "cross-entropy falls: " + java.util.Arrays.toString(losses));
        assertEquals(PromptableOutput.CLASSES, PromptableOutput.ofCheckpoint(base.resolve("last.safetensors")));

        // eval scores it as a segmenter; predict writes class maps whose confusion matrix is eval's, pixel for pixel.
        Path ev = tmp.resolve("classes-eval");
        CliRun e = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                base.resolve("last.safetensors").toString(), "--out", ev.toString());
        assertEquals(0, e.code(), e.err() + e.out());
        JsonNode j = new ObjectMapper().readTree(ev.resolve("metrics.json").toFile());
        assertEquals(4, j.path("per_class").size(), j.toString());
        assertEquals(2, j.path("image_level").path("images").asInt(), j.toString());
        List<String> ids = Files.readAllLines(data.resolve("ImageSets/Segmentation/test.txt")).stream()
                .map(String::strip).filter(x -> !x.isEmpty()).toList();
        Path pred = tmp.resolve("classes-pred");
        List<String> args = new java.util.ArrayList<>(List.of("predict", "--config", config.toString(),
                "--checkpoint", base.resolve("last.safetensors").toString(), "--out", pred.toString()));
        ids.forEach(id -> args.add(data.resolve("JPEGImages/" + id + ".jpg").toString()));
        CliRun pr = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, pr.code(), pr.err() + pr.out());
        ConfusionMatrix cm = new ConfusionMatrix(4);
        for (String id : ids) {
            MaskRaster p = ImageDecoder.readMask(pred.resolve("masks/" + id + ".png"));
            MaskRaster gt = ImageDecoder.readMask(data.resolve("SegmentationClass/" + id + ".png"));
            assertEquals(gt.width(), p.width());
            cm.add(gt.values(), p.values());
            assertTrue(Files.isRegularFile(pred.resolve("overlays/" + id + ".png")));
        }
        assertEquals(2L * 200 * 200, cm.total());
        long[][] expected = cm.toArray();
        for (int g = 0; g < 4; g++) {
            for (int q = 0; q < 4; q++) {
                assertEquals(expected[g][q], j.path("confusion_matrix").get(g).get(q).asLong(), g + "," + q);
            }
        }
        assertEquals(cm.scores().meanIou(), j.path("miou").asDouble(), 1e-12);

        // The two modes refuse each other's weights; a classes run takes no prompts.
        Path masks = tmp.resolve("masks");
        Path masksConfig = runFile(data, masks, "1", "1.0e-3");
        CliRun mt = CliRun.of("train", "--config", masksConfig.toString());
        assertEquals(0, mt.code(), mt.err() + mt.out());
        assertEquals(PromptableOutput.MASK, PromptableOutput.ofCheckpoint(masks.resolve("last.safetensors")));
        String promptsOnClasses = TinyRuns.assertOneLineError(CliRun.of("eval", "--config", masksConfig.toString(),
                "--checkpoint", base.resolve("last.safetensors").toString(), "--out", tmp.resolve("bad").toString()));
        assertTrue(promptsOnClasses.contains("was trained prompt-free with one mask token per class"),
                promptsOnClasses);
        String classesOnPrompts = TinyRuns.assertOneLineError(CliRun.of("eval", "--config", config.toString(),
                "--checkpoint", masks.resolve("last.safetensors").toString(), "--out", tmp.resolve("bad").toString()));
        assertTrue(classesOnPrompts.contains("was trained with prompts (one binary mask per prompt), so it has no "
                + "class masks"), classesOnPrompts);
        String box = TinyRuns.assertOneLineError(CliRun.of("predict", "--config", config.toString(), "--checkpoint",
                base.resolve("last.safetensors").toString(), "--box", "1,1,20,20",
                data.resolve("JPEGImages/" + ids.get(0) + ".jpg").toString(), "--out", tmp.resolve("bad").toString()));
        assertTrue(box.contains("prompt-free") && box.endsWith("leave out --box"), box);
        String mixed = TinyRuns.assertOneLineError(CliRun.of("train", "--config", config.toString(), "--set",
                "promptable.prompt=box"));
        assertTrue(mixed.contains("set promptable.prompt: none"), mixed);

        // sam-lora from the prompt-trained base onto three classes: the base's 4-token decoder loads but its
        // per-token tensors, which start fresh and train; the adapter records the mode and evaluates.
        Path lora = tmp.resolve("classes-lora");
        Path loraConfig = runFile(data, lora, "2", "1.0e-3", "background, inclusion, patches", allClasses);
        CliRun ft = CliRun.of("finetune", "--config", loraConfig.toString(), "--method", "sam-lora", "--base",
                masks.resolve("last.safetensors").toString());
        assertEquals(0, ft.code(), ft.err() + ft.out());
        assertTrue(ft.out().contains("per-token tensors of the base do not fit 3 classes"), ft.out());
        PromptableOutput.Recorded rec = PromptableOutput.ofAdapter(lora.resolve("adapter"));
        assertEquals(new PromptableOutput.Recorded(PromptableOutput.CLASSES, 3), rec);
        Path le = tmp.resolve("classes-lora-eval");
        CliRun lev = CliRun.of("eval", "--config", loraConfig.toString(), "--checkpoint",
                masks.resolve("last.safetensors").toString(), "--adapter", lora.resolve("adapter").toString(),
                "--out", le.toString());
        assertEquals(0, lev.code(), lev.err() + lev.out());
        JsonNode lj = new ObjectMapper().readTree(le.resolve("metrics.json").toFile());
        assertEquals(3, lj.path("per_class").size(), lj.toString());
        long pixels = 0;
        for (JsonNode row : lj.path("confusion_matrix")) {
            for (JsonNode v : row) {
                pixels += v.asLong();
            }
        }
        // Scratches (class 3) are ignored under three class names, so fewer pixels than the two images hold count.
        assertTrue(pixels > 0 && pixels <= 2L * 200 * 200, lj.toString());
    }

    @Test
    void samAdaLora_budgetPerStepIsLoggedAndPlotted_andReachesTheTargetInTheSavedAdapter() throws Exception {
        Path data = neuSubset(4, 2, 2);
        Path base = tmp.resolve("base");
        CliRun train = CliRun.of("train", "--config", runFile(data, base, "1", "1.0e-3").toString());
        assertEquals(0, train.code(), train.err() + train.out());
        // 4 images in batches of 2 for 6 epochs: steps 0-11; full rank to step 2, the target from step 8.
        Path run = tmp.resolve("adalora");
        CliRun ft = CliRun.of("finetune", "--config", runFile(data, run, "6", "1.0e-3").toString(), "--method",
                "sam-adalora", "--base", base.resolve("last.safetensors").toString(), "--set",
                "method.options.target_rank=1", "--set", "method.options.init_warmup=2", "--set",
                "method.options.final_warmup=4", "--set", "method.options.mask_interval=1", "--set",
                "method.options.total_step=12");
        assertEquals(0, ft.code(), ft.err() + ft.out());
        // sam-fixture: 2 encoder blocks, SVD factors on qkv, lin1 and lin2 of each, rank 4 -> 1 each.
        assertTrue(ft.out().contains("rank budget 24 -> 6 singular values over steps 2-8"), ft.out());
        List<String> rows = Files.readAllLines(run.resolve(AdaLoraSteps.CSV));
        assertEquals("step,epoch,budget,masked,kept_ranks", rows.get(0));
        assertEquals(13, rows.size(), rows.toString());
        int previous = Integer.MAX_VALUE;
        for (int i = 1; i < rows.size(); i++) {
            String[] f = rows.get(i).split(",");
            assertEquals(i - 1, Integer.parseInt(f[0]));
            assertEquals((i + 1) / 2, Integer.parseInt(f[1]), rows.get(i));
            int budget = Integer.parseInt(f[2]);
            assertTrue(budget <= previous, "the budget never grows: " + rows);
            previous = budget;
            if (i - 1 <= 2) {
                assertEquals("24", f[2], rows.get(i));
                assertEquals("24", f[4], rows.get(i));
            }
            if (i - 1 >= 8) {
                assertEquals("6", f[2], rows.get(i));
                assertEquals("6", f[4], "kept ranks reach the target: " + rows.get(i));
            }
        }
        assertTrue(rows.stream().skip(1).map(r -> Integer.parseInt(r.split(",")[2])).anyMatch(b -> b > 6 && b < 24),
                "the cubic schedule passes between the two budgets: " + rows);
        java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(run.resolve(AdaLoraSteps.PNG).toFile());
        assertEquals(640, png.getWidth());
        // The saved adapter holds the pruned pattern: exactly 6 of the 24 singular values are not zero.
        int nonZero = 0;
        int total = 0;
        try (NDManager m = EngineSetup.newManager()) {
            var tensors = ai.peft4j.core.state.SafetensorsFile.read(run.resolve("adapter/adapter_model.safetensors"),
                    m).tensors();
            for (var e : tensors.entrySet()) {
                if (e.getKey().endsWith("lora_E")) {
                    for (float v : e.getValue().toFloatArray()) {
                        nonZero += v != 0 ? 1 : 0;
                        total++;
                    }
                }
            }
        }
        assertEquals(24, total);
        assertEquals(6, nonZero);
    }
}
