package ai.peft4j.app;

import ai.peft4j.app.study.TransferStudy;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.train.loss.SegmentationLoss;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j demo}: the whole workflow on generated citrus images, with no data set needed. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Generate a synthetic navel-orange defect set and two target sets (lemons and grapefruit: "
                + "other colours, textures and defect classes), pretrain a small Swin-Att-UNet on the oranges, adapt "
                + "it to each target with several methods, and compare test mIoU against trainable parameters.",
            "Writes comparison.md, comparison.json and comparison.png, training curves and adapters under --out."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--methods", defaultValue = "full,classify,lora,adapter", split = ",",
            description = "Methods to compare (default: ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(names = "--size", defaultValue = "112", description = "Image side (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--source-images", defaultValue = "192", description = "Source training images "
            + "(default: ${DEFAULT-VALUE}).")
    int sourceImages;

    @Option(names = "--target-images", defaultValue = "96", description = "Training images per target "
            + "(default: ${DEFAULT-VALUE}).")
    int targetImages;

    @Option(names = "--test-images", defaultValue = "48", description = "Test images per data set "
            + "(default: ${DEFAULT-VALUE}).")
    int testImages;

    @Option(names = "--pretrain-epochs", defaultValue = "10", description = "(default: ${DEFAULT-VALUE})")
    int pretrainEpochs;

    @Option(names = "--adapt-epochs", defaultValue = "8", description = "(default: ${DEFAULT-VALUE})")
    int adaptEpochs;

    @Option(names = "--batch", defaultValue = "8", description = "(default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--base", description = "Skip pretraining: start from this training checkpoint (e.g. the "
            + "pretrain/last.safetensors of an earlier run with the same --size and --seed).")
    Path base;

    @Option(names = "--loss", defaultValue = "ce+dice", description = "Loss: " + SegmentationLoss.KNOWN + " "
            + "(default: ${DEFAULT-VALUE}; the defects are small, so Dice keeps them from drowning). If a "
            + "method ends predicting background everywhere (mPA 33.3), adapt with dice alone.")
    String loss;

    @Option(names = "--pretrain-lr", defaultValue = "2e-3", description = "(default: ${DEFAULT-VALUE})")
    double pretrainLr;

    @Option(names = "--adapt-lr", defaultValue = "2e-3", description = "Learning rate of adaptation, the same "
            + "for every method (default: ${DEFAULT-VALUE}).")
    double adaptLr;

    @Override
    public Integer call() throws Exception {
        if (size % 16 != 0) {
            throw new IllegalArgumentException("--size must be a multiple of 16, got " + size);
        }
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Files.createDirectories(out);
        TransferStudy.Domain source = domain("orange", CitrusDomain.ORANGE, sourceImages, 0);
        List<TransferStudy.Domain> targets = List.of(domain("lemon", CitrusDomain.LEMON, targetImages, 1),
                domain("grapefruit", CitrusDomain.GRAPEFRUIT, targetImages, 2));
        TransferStudy.Settings settings = new TransferStudy.Settings(SwinAttUNetConfig.fixture(4), size,
                pretrainEpochs, adaptEpochs, batch, pretrainLr, adaptLr, loss, methods, seed, 1);
        long t0 = System.nanoTime();
        List<TransferStudy.Row> rows = new TransferStudy(settings, console).run(source, targets, out, base);
        console.println();
        console.print(Files.readString(out.resolve("comparison.md")));
        console.printf("%nDemo finished in %.1f min; chart: %s%n", (System.nanoTime() - t0) / 6e10,
                out.resolve("comparison.png").toAbsolutePath());
        return rows.isEmpty() ? 1 : 0;
    }

    private TransferStudy.Domain domain(String name, CitrusDomain d, int trainCount, int salt) {
        long s = seed * 31 + salt * 1000;
        return new TransferStudy.Domain(name, new SyntheticCitrus(d, trainCount, size, s),
                new SyntheticCitrus(d, testImages, size, s + 500));
    }

    static List<String> parse(String csv) {
        return Arrays.asList(csv.split(","));
    }
}
