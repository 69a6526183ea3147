package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code task: classification} through train, finetune, eval and predict on coloured squares, and its errors. */
class ClassificationCliTest {
    @TempDir
    Path tmp;

    private static final String[] CLASSES = {"blue", "green", "red"};
    private static final int[] COLOURS = {0x2040E0, 0x20C040, 0xE02020};

    /** {@code root/<split>/<class>/<n>.png}: a square of the class colour at a random place on grey noise. */
    private Path squares(int perClassTrain, int perClassOther) throws Exception {
        Path root = tmp.resolve("squares");
        Random r = new Random(7);
        for (String split : List.of("train", "val", "test")) {
            int n = split.equals("train") ? perClassTrain : perClassOther;
            for (int c = 0; c < CLASSES.length; c++) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(CLASSES[c]));
                for (int i = 0; i < n; i++) {
                    BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 40; y++) {
                        for (int x = 0; x < 40; x++) {
                            int g = 100 + r.nextInt(40);
                            img.setRGB(x, y, g << 16 | g << 8 | g);
                        }
                    }
                    int x0 = r.nextInt(12);
                    int y0 = r.nextInt(12);
                    for (int y = y0; y < y0 + 28; y++) {
                        for (int x = x0; x < x0 + 28; x++) {
                            img.setRGB(x, y, COLOURS[c]);
                        }
                    }
                    ImageIO.write(img, "png", dir.resolve(split + i + ".png").toFile());
                }
            }
        }
        return root;
    }

    private Path runFile(Path data, Path out, String extra) throws Exception {
        Path f = tmp.resolve("squares.yaml");
        Files.writeString(f, """
                task: classification
                model:
                  name: vit
                  backbone: vit-mini
                  image_size: 32
                data:
                  layout: image-folder
                  root: %s
                training:
                  epochs: 4
                  batch: 6
                  optimizer: sgd
                  momentum: 0.9
                  schedule: cos-step
                  lr: 0.01
                  val_every: 2
                  workers: 1
                output: %s
                """.formatted(data, out) + extra);
        return f;
    }

    @Test
    void trainEvalFinetunePredict_onColouredSquares() throws Exception {
        Path data = squares(6, 3);
        Path run = tmp.resolve("runs/squares");
        Path config = runFile(data, run, "");

        CliRun train = CliRun.of("train", "--config", config.toString());
        assertEquals(0, train.code(), train.err() + train.out());
        assertTrue(train.out().contains("Data      " + data + ": 18 training images in 3 classes, 9 validation "
                + "images"), train.out());
        for (String f : List.of("config.yaml", "last.safetensors", "best.safetensors", "history.csv", "curves.png")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f + " missing; " + train.out());
        }
        assertEquals(5, Files.readAllLines(run.resolve("history.csv")).size(), "header and 4 epochs");
        assertTrue(train.out().contains("Best      epoch "), train.out());
        assertTrue(train.out().contains(", validation top-1 "), train.out());
        assertTrue(Files.readString(run.resolve("config.yaml")).contains("task: classification"));
        // The same command again continues from the last checkpoint, as segmentation runs do.
        byte[] last = Files.readAllBytes(run.resolve("last.safetensors"));
        CliRun again = CliRun.of("train", "--config", config.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("Resuming " + run + " after epoch 4 of 4"), again.out());
        assertArrayEquals(last, Files.readAllBytes(run.resolve("last.safetensors")));

        Path eval = tmp.resolve("eval");
        CliRun ev = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                run.resolve("last.safetensors").toString(), "--out", eval.toString());
        assertEquals(0, ev.code(), ev.err() + ev.out());
        JsonNode metrics = new ObjectMapper().readTree(eval.resolve("metrics.json").toFile());
        assertEquals(9, metrics.path("images").asInt());
        assertEquals(3, metrics.path("top_k").asInt(), "top-5 capped at the 3 classes");
        assertEquals(1.0, metrics.path("top_k_accuracy").asDouble(), "every class is within the top 3");
        // The per-class CSV and the confusion matrix count the same 9 images as top-1.
        List<String> perClass = Files.readAllLines(eval.resolve("per_class_accuracy.csv"));
        assertEquals("class,images,correct,accuracy", perClass.get(0));
        int correct = 0;
        for (int c = 0; c < 3; c++) {
            String[] f = perClass.get(c + 1).split(",");
            assertEquals(CLASSES[c], f[0]);
            assertEquals("3", f[1]);
            correct += Integer.parseInt(f[2]);
        }
        assertEquals(correct / 9.0, metrics.path("top1").asDouble(), 1e-12);
        assertTrue(ev.out().contains(String.format(java.util.Locale.ROOT, "squares/test, 9 images: top-1 %.2f",
                100 * correct / 9.0)), ev.out());
        List<String> matrix = Files.readAllLines(eval.resolve("confusion_matrix.csv"));
        assertEquals("ground_truth\\prediction,blue,green,red", matrix.get(0));
        assertTrue(Files.isRegularFile(eval.resolve("confusion_matrix.png")));

        // LoRA on query and value of the trained model (with MixUp, CutMix and label smoothing), then eval and
        // predict with the adapter.
        Path ft = tmp.resolve("runs/lora");
        CliRun fine = CliRun.of("finetune", "--config", config.toString(), "--base",
                run.resolve("last.safetensors").toString(), "--method", "vit-lora", "--set", "method.options.r=4",
                "--set", "training.epochs=1", "--set", "output=" + ft, "--set", "classification.mixup=0.8", "--set",
                "classification.cutmix=1.0", "--set", "classification.label_smoothing=0.1");
        assertEquals(0, fine.code(), fine.err() + fine.out());
        assertTrue(fine.out().contains("vit-lora {\"r\":4,\"lora_alpha\":8.0,\"lora_dropout\":0.0}"), fine.out());
        // 6 blocks x 2 updates x (96 x 4 + 4 x 96), and the head 96 x 3 + 3.
        assertTrue(fine.out().contains("Training  " + String.format("%,d", 6 * 2 * 768 + 291) + " of "), fine.out());
        Path adapter = ft.resolve("adapter");
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_config.json")));
        CliRun evA = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                run.resolve("last.safetensors").toString(), "--adapter", adapter.toString(), "--out",
                tmp.resolve("eval-lora").toString());
        assertEquals(0, evA.code(), evA.err() + evA.out());

        Path pred = tmp.resolve("pred");
        Path image = data.resolve("test/red/test0.png");
        byte[] before = Files.readAllBytes(image);
        CliRun p = CliRun.of("predict", "--config", config.toString(), "--checkpoint",
                run.resolve("last.safetensors").toString(), "--adapter", adapter.toString(), "--out", pred.toString(),
                image.toString());
        assertEquals(0, p.code(), p.err() + p.out());
        List<String> rows = Files.readAllLines(pred.resolve("predictions.csv"));
        assertEquals("image,class,probability,top_k", rows.get(0));
        assertEquals(2, rows.size());
        String[] f = rows.get(1).split(",");
        assertEquals(image.toString(), f[0]);
        assertTrue(List.of(CLASSES).contains(f[1]), rows.get(1));
        assertEquals(3, f[3].split("; ").length, "top-3 of 3 classes: " + rows.get(1));
        assertTrue(p.out().startsWith("test0.png: " + f[1] + " ("), p.out());
        assertArrayEquals(before, Files.readAllBytes(image), "the input is unchanged");
    }

    @Test
    void linearStepSchedule_historyRecordsTheFallingRateEachEpochStartsAt() throws Exception {
        Path data = squares(6, 1);
        Path run = tmp.resolve("runs/linear");
        Path config = runFile(data, run, "");
        CliRun train = CliRun.of("train", "--config", config.toString(), "--set", "training.schedule=linear-step",
                "--set", "training.epochs=3");
        assertEquals(0, train.code(), train.err() + train.out());
        // 18 images in batches of 6: 3 steps an epoch, 9 in all; lr 0.01 falls by 0.01 / 9 a step from step 0, so
        // epochs start at steps 0, 3 and 6: 0.01, 0.01 * 6 / 9 and 0.01 * 3 / 9.
        List<String> history = Files.readAllLines(run.resolve("history.csv"));
        assertEquals(4, history.size(), "header and 3 epochs: " + history);
        int lr = List.of(history.get(0).split(",")).indexOf("lr");
        double[] expected = {0.01, 0.01 * 6 / 9, 0.01 * 3 / 9};
        for (int e = 0; e < 3; e++) {
            // history.csv keeps 6 significant digits.
            assertEquals(expected[e], Double.parseDouble(history.get(e + 1).split(",")[lr]), 1e-8, history.get(e + 1));
        }
    }

    @Test
    void headOfAnotherClassCount_isRefusedWithTheRemedy_andReplacedWhenAsked() throws Exception {
        Path data = squares(6, 3);
        Path run = tmp.resolve("runs/squares");
        Path config = runFile(data, run, "");
        assertEquals(0, CliRun.of("train", "--config", config.toString(), "--set", "training.epochs=1").code());
        // Two of the three classes: the base's head has 3 outputs.
        Path two = tmp.resolve("two");
        for (String split : List.of("train", "val", "test")) {
            for (String c : List.of("blue", "red")) {
                Path to = Files.createDirectories(two.resolve(split));
                Files.createSymbolicLink(to.resolve(c), data.resolve(split).resolve(c));
            }
        }
        Path ft = tmp.resolve("runs/two");
        CliRun refused = CliRun.of("finetune", "--config", config.toString(), "--base",
                run.resolve("last.safetensors").toString(), "--method", "classify", "--set", "data.root=" + two,
                "--set", "output=" + ft);
        assertEquals(2, refused.code(), refused.err());
        assertEquals("error: " + run.resolve("last.safetensors") + ": its head has 3 classes but the data has 2; to "
                + "train a fresh 2-class head in its place, set classification.new_head: true (--set "
                + "classification.new_head=true)\n", refused.err());
        assertTrue(!Files.exists(ft), "nothing written");
        // The old name of classify still runs.
        CliRun replaced = CliRun.of("finetune", "--config", config.toString(), "--base",
                run.resolve("last.safetensors").toString(), "--method", "vit-linear", "--set", "data.root=" + two,
                "--set", "output=" + ft, "--set", "classification.new_head=true", "--set", "training.epochs=1");
        assertEquals(0, replaced.code(), replaced.err() + replaced.out());
        assertTrue(replaced.out().contains("Head      its 3-class head replaced by a fresh 2-class head"),
                replaced.out());
        assertTrue(replaced.out().contains("Training  194 of "), replaced.out());
        assertTrue(Files.readString(ft.resolve("config.yaml")).contains("  name: classify\n"), "resolved as classify");
    }

    @Test
    void badData_andABlockCountThatDoesNotDivideTheDepth_areClearErrors() throws Exception {
        Path data = squares(6, 3);
        Path config = runFile(data, tmp.resolve("runs/bad"), "");

        CliRun weighted = CliRun.of("train", "--config", config.toString(), "--set",
                "training.class_weights=[1, 2, 3]");
        assertEquals(2, weighted.code());
        assertEquals("error: training.class_weights applies to segmentation; classification does not use it: remove it "
                + "from the run file\n", weighted.err());
        CliRun adjusted = CliRun.of("eval", "--config", config.toString(), "--checkpoint",
                tmp.resolve("none.safetensors").toString(), "--logit-adjust");
        assertEquals(2, adjusted.code());
        assertEquals("error: --logit-adjust applies to segmentation runs; this is a classification run\n",
                adjusted.err());

        CliRun r = CliRun.of("train", "--config", config.toString(), "--set", "data.classes=[red, purple]");
        assertEquals(2, r.code());
        assertEquals("error: " + data.resolve("train") + ": data.classes names 'purple', which is not a class of this "
                + "data set; its classes are [blue, green, red]\n", r.err());

        Path empty = Files.createDirectories(data.resolve("train/yellow"));
        r = CliRun.of("train", "--config", config.toString());
        assertEquals(2, r.code());
        assertEquals("error: " + empty + ": class folder holds no images (bmp, jpeg, jpg, png); add its images or "
                + "remove the folder\n", r.err());
        Files.delete(empty);

        Path twice = data.resolve("train/green/copy.png");
        Files.copy(data.resolve("train/red/train0.png"), twice);
        r = CliRun.of("train", "--config", config.toString());
        assertEquals(2, r.code());
        assertEquals("error: " + data.resolve("train/red/train0.png") + ": the same image as " + twice + ", but filed "
                + "under class 'red' and 'green'; keep it in one class\n", r.err());
        Files.delete(twice);

        Path extra = Files.createDirectories(data.resolve("val/yellow"));
        Files.copy(data.resolve("val/red/val0.png"), extra.resolve("y.png"));
        r = CliRun.of("train", "--config", config.toString());
        assertEquals(2, r.code());
        assertEquals("error: " + extra + ": class 'yellow' of squares/val is not a class of the training split "
                + "[blue, green, red]; a model cannot predict a class it never saw: add its images to training or "
                + "leave them out\n", r.err());
        Files.delete(extra.resolve("y.png"));
        Files.delete(extra);

        Path run = tmp.resolve("runs/bad");
        assertEquals(0, CliRun.of("train", "--config", config.toString(), "--set", "training.epochs=1").code());
        r = CliRun.of("finetune", "--config", config.toString(), "--base", run.resolve("last.safetensors").toString(),
                "--method", "vit-block", "--set", "method.options.added=4", "--set", "output=" + tmp.resolve("b"));
        assertEquals(2, r.code());
        assertEquals("error: vit-block: added 4 does not divide the model's 6 blocks into equal groups (one new "
                + "block after each group); use one of 1, 2, 3, 6\n", r.err());
        assertTrue(!Files.exists(tmp.resolve("b")));
    }

    /** The k-NN results of a metrics.json section as {k: top1}. */
    private static java.util.Map<Integer, Double> knn(JsonNode section) {
        java.util.Map<Integer, Double> out = new java.util.TreeMap<>();
        section.path("knn").forEach(r -> out.put(r.path("k").asInt(), r.path("top1").asDouble()));
        return out;
    }

    @Test
    void evalSource_scoresForgetting_andAdapterOffEqualsTheBaseExactly() throws Exception {
        Path data = squares(6, 3);
        Path run = tmp.resolve("runs/squares");
        Path config = runFile(data, run, "");
        assertEquals(0, CliRun.of("train", "--config", config.toString(), "--set", "training.epochs=2").code());
        Path base = run.resolve("last.safetensors");

        // The base on its own source task: 9 test images voted on by the features of the 18 training images.
        CliRun ev = CliRun.of("eval", "--config", config.toString(), "--checkpoint", base.toString(), "--out",
                tmp.resolve("eval-base").toString(), "--source", data.toString(), "--knn-k", "1,3,18");
        assertEquals(0, ev.code(), ev.err() + ev.out());
        JsonNode baseKnn = new ObjectMapper().readTree(tmp.resolve("eval-base/metrics.json").toFile())
                .path("source_knn");
        assertEquals(18, baseKnn.path("train_images").asInt());
        assertEquals(9, baseKnn.path("test_images").asInt());
        assertEquals("none", baseKnn.path("adapter").asText());
        assertEquals(0.07, baseKnn.path("temperature").asDouble(), 0);
        java.util.Map<Integer, Double> baseScores = knn(baseKnn);
        assertEquals(List.of(1, 3, 18), List.copyOf(baseScores.keySet()));
        for (double top1 : baseScores.values()) {
            // Accuracy over 9 images: a whole number of ninths.
            assertEquals(Math.round(top1 * 9), top1 * 9, 1e-9);
        }
        assertTrue(ev.out().contains("Source    squares/test, 9 images by weighted k-NN (T 0.07) over 18 of "
                + "squares/train: top-1  k 1: "), ev.out());

        // Full fine-tuning changes the base's weights and block expansion inserts blocks; switched off, either
        // leaves exactly the base's features, so the same votes.
        for (String method : List.of("full", "vit-block")) {
            Path ft = tmp.resolve("runs/" + method);
            CliRun fine = CliRun.of("finetune", "--config", config.toString(), "--base", base.toString(), "--method",
                    method, "--set", "training.epochs=1", "--set", "training.lr=0.05", "--set", "output=" + ft);
            assertEquals(0, fine.code(), fine.err() + fine.out());
            Path out = tmp.resolve("eval-" + method);
            CliRun e = CliRun.of("eval", "--config", config.toString(), "--checkpoint", base.toString(), "--adapter",
                    ft.resolve("adapter").toString(), "--out", out.toString(), "--source", data.toString(), "--knn-k",
                    "1,3,18");
            assertEquals(0, e.code(), e.err() + e.out());
            JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
            assertEquals("on", m.path("source_knn").path("adapter").asText());
            assertEquals(3, knn(m.path("source_knn")).size());
            assertEquals(baseScores, knn(m.path("source_knn_adapter_off")), method);
        }

        // k above the source's 18 training images: refused before any work, naming the data and the count.
        CliRun big = CliRun.of("eval", "--config", config.toString(), "--checkpoint", base.toString(), "--out",
                tmp.resolve("eval-big").toString(), "--source", data.toString(), "--knn-k", "10,20");
        assertEquals(2, big.code());
        assertEquals("error: " + data + ": k 20 of the source k-NN needs 1 <= k <= the 18 images of squares/train; "
                + "give smaller --knn-k values\n", big.err());
        assertTrue(!Files.exists(tmp.resolve("eval-big")));
    }
}
