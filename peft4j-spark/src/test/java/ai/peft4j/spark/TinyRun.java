package ai.peft4j.spark;

import ai.peft4j.app.Main;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.Palette;
import ai.peft4j.data.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A Swin-Att-UNet fixture trained for a few short epochs to find bright squares, an adapter finetuned from it (the
 * product line "cover"), and the VOC folder they learnt from: eight 40x32 images, the last four the test split.
 */
final class TinyRun {
    static final int W = 40;
    static final int H = 32;

    final Path data;
    final Path runFile;
    final Path checkpoint;
    final Path adapter;
    final Path lines;

    private TinyRun(Path data, Path runFile, Path checkpoint, Path adapter, Path lines) {
        this.data = data;
        this.runFile = runFile;
        this.checkpoint = checkpoint;
        this.adapter = adapter;
        this.lines = lines;
    }

    /**
     * A dim image with a bright rectangle whose corner moves with {@code i}, and its mask: the rectangle, or (for
     * the adapter's line) everything else. A quarter of the image is defect, so a few epochs learn to find it.
     */
    private static void sample(Path root, String id, int i, boolean inverted) throws Exception {
        byte[] px = new byte[3 * W * H];
        int[] mask = new int[W * H];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                boolean inside = x >= 2 + 2 * i && x < 22 + 2 * i && y >= 4 + i && y < 20 + i;
                mask[y * W + x] = inside != inverted ? 1 : 0;
                for (int c = 0; c < 3; c++) {
                    px[3 * (y * W + x) + c] = (byte) (inside ? 230 : 70 + (x * 7 + y * 3 + c) % 20);
                }
            }
        }
        ImageEncoder.writePng(new RgbImage(W, H, px), root.resolve("JPEGImages/" + id + ".png"));
        ImageEncoder.writeIndexPng(mask, W, H, Palette.voc(), root.resolve("SegmentationClass/" + id + ".png"));
    }

    private static TinyRun shared;

    /** One run for all test classes of this JVM (training it takes most of a test class's time). */
    static synchronized TinyRun shared() throws Exception {
        if (shared == null) {
            Path tmp = Files.createTempDirectory("peft4j-spark-test");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(tmp)));
            shared = train(tmp);
        }
        return shared;
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A temporary folder left behind is no failure of the tests.
        }
    }

    private static Path voc(Path data, boolean inverted) throws Exception {
        Files.createDirectories(data.resolve("JPEGImages"));
        Files.createDirectories(data.resolve("SegmentationClass"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ids.add("s" + i);
            sample(data, "s" + i, i, inverted);
        }
        Files.createDirectories(data.resolve("ImageSets/Segmentation"));
        Files.write(data.resolve("ImageSets/Segmentation/train.txt"), ids.subList(0, 4));
        Files.write(data.resolve("ImageSets/Segmentation/val.txt"), ids.subList(4, 6));
        Files.write(data.resolve("ImageSets/Segmentation/test.txt"), ids.subList(4, 8));
        return data;
    }

    private static Path runFile(Path f, Path data, Path run) throws Exception {
        Files.writeString(f, """
                model:
                  name: swin-att-unet
                  backbone: swin-fixture
                  image_size: 32
                data:
                  layout: voc
                  root: %s
                  class_names: [background, defect]
                training:
                  epochs: 10
                  batch: 2
                  lr: 5.0e-3
                  loss: ce+dice
                  val_every: 10
                  workers: 1
                  seed: 1
                output: %s
                """.formatted(data, run));
        return f;
    }

    static TinyRun train(Path tmp) throws Exception {
        Path data = voc(tmp.resolve("voc"), false);
        Path run = tmp.resolve("run");
        Path f = runFile(tmp.resolve("run.yaml"), data, run);
        require(Main.run("train", "--config", f.toString()), "train");
        // The adapter learns the inverted masks, so its line predicts differently from the base.
        Path cover = runFile(tmp.resolve("cover.yaml"), voc(tmp.resolve("voc-cover"), true), tmp.resolve("unused"));
        Path ft = tmp.resolve("ft");
        require(Main.run("finetune", "--config", cover.toString(), "--method", "lora", "--base",
                run.resolve("last.safetensors").toString(), "--out", ft.toString(), "--epochs", "2", "--lr", "3e-2"),
                "finetune");
        Path lines = tmp.resolve("lines");
        Files.createDirectories(lines);
        Files.createSymbolicLink(lines.resolve("cover"), ft.resolve("adapter"));
        return new TinyRun(data, f, run.resolve("last.safetensors"), ft.resolve("adapter"), lines);
    }

    private static void require(int code, String what) {
        if (code != 0) {
            throw new IllegalStateException("peft4j " + what + " failed with exit code " + code);
        }
    }
}
