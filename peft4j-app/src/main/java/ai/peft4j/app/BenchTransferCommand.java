package ai.peft4j.app;

import ai.peft4j.app.study.TransferStudy;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.ImageSubset;
import ai.peft4j.data.folder.ClassFolderConfig;
import ai.peft4j.data.folder.ClassFolderDataset;
import ai.peft4j.data.split.DatasetSplit;
import ai.peft4j.data.split.SplitRatios;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.MethodRegistry;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j bench transfer}: the transfer benchmark on real defect data. */
@Command(name = "transfer", mixinStandardHelpOptions = true,
        description = {"Pretrain a small Swin-Att-UNet on a VOC-layout source set (default: NEU-Seg steel, its train "
                + "split), adapt it to a folder-per-class target set (default: magnetic tile, a seeded 6:2:2 split "
                + "written with the same rule as 'peft4j split') with each method, and report target test mIoU "
                + "against trainable parameters, plus the source test mIoU the adapted network keeps under the "
                + "source head.",
            "Writes comparison.md, comparison.json and comparison.png, training curves and adapters under --out."})
final class BenchTransferCommand implements Callable<Integer> {
    @Option(names = "--source", defaultValue = "../shared/data/neu-seg", description = "VOC-layout source set with "
            + "ImageSets/Segmentation/{train,test}.txt (default: ${DEFAULT-VALUE}).")
    Path source;

    @Option(names = "--source-classes", split = ",", defaultValue = "background,inclusion,patches,scratches",
            description = "Source class names, background first (default: ${DEFAULT-VALUE}).")
    List<String> sourceClasses;

    @Option(names = "--target", defaultValue = "../shared/data/magnetic-tile", description = "Folder-per-class "
            + "target set, MT_<Class>/Imgs/<name>.jpg + .png (default: ${DEFAULT-VALUE}).")
    Path target;

    @Option(names = "--target-lists", description = "Folder with the target's train.txt and test.txt; written "
            + "there with --split-seed when missing (default: <out>/target-split).")
    Path targetLists;

    @Option(names = "--split-seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    long splitSeed;

    @Option(names = "--source-limit", defaultValue = "1600", description = "Use at most this many source training "
            + "images, spread evenly over the list (default: ${DEFAULT-VALUE} of NEU-Seg's 3129, to fit 2 cores).")
    int sourceLimit;

    @Option(names = "--target-limit", defaultValue = "320", description = "Use at most this many target training "
            + "images (default: ${DEFAULT-VALUE}: a few hundred labelled images of the new product line; with "
            + "--free-share 0.25, magnetic tile's 240 defective training images and 80 defect-free ones).")
    int targetLimit;

    @Option(names = "--free-share", defaultValue = "0.25", description = "Largest share of defect-free images "
            + "among the target training images; defective ones fill the rest, spread over the class folders "
            + "(default: ${DEFAULT-VALUE}; magnetic tile's split holds 564 defect-free of 806, and images picked "
            + "blindly hold too few defects to learn from). 1 picks evenly over the whole list.")
    double freeShare;

    @Option(names = "--out", defaultValue = "runs/transfer", description = "(default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--methods", split = ",", defaultValue = "full,classify,adapter,lora",
            description = "Methods to compare (default: ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(names = "--size", defaultValue = "112", description = "Network input side, a multiple of 16 "
            + "(default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--pretrain-epochs", defaultValue = "6", description = "(default: ${DEFAULT-VALUE})")
    int pretrainEpochs;

    @Option(names = "--adapt-epochs", defaultValue = "20", description = "(default: ${DEFAULT-VALUE})")
    int adaptEpochs;

    @Option(names = "--batch", defaultValue = "8", description = "(default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--pretrain-lr", defaultValue = "2e-3", description = "(default: ${DEFAULT-VALUE})")
    double pretrainLr;

    @Option(names = "--adapt-lr", defaultValue = "2e-3", description = "Adam's learning rate while adapting, for "
            + "every method not given in --method-lr (default: ${DEFAULT-VALUE}).")
    double adaptLr;

    @Option(names = "--method-lr", paramLabel = "METHOD=LR", split = ",", defaultValue = "full=5e-4",
            description = "Learning rates of single methods (default: ${DEFAULT-VALUE}: full fine-tuning moves every "
            + "weight and takes a smaller step, as usual; at 2e-3 it ends at background only on magnetic tile, while "
            + "LoRA at 5e-4 does not leave background in 20 epochs).")
    Map<String, Double> methodLr;

    @Option(names = "--pretrain-loss", defaultValue = "ce+dice", description = "(default: ${DEFAULT-VALUE})")
    String pretrainLoss;

    @Option(names = "--adapt-loss", defaultValue = "dice", description = "(default: ${DEFAULT-VALUE}; magnetic "
            + "tile defects cover 0.2-24 %% of a defective image, and with cross-entropy in the loss LoRA ends at "
            + "background only)")
    String adaptLoss;

    @Option(names = "--defect-weight", defaultValue = "10", description = "Cross-entropy weight of every defect "
            + "class (background 1) while adapting (default: ${DEFAULT-VALUE}; unweighted, every method ends predicting "
            + "background only on magnetic tile, where defects cover 0.2-24 %% of a defective image and most images "
            + "have none).")
    double defectWeight;

    @Option(names = "--seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--base", description = "Skip pretraining: start from this checkpoint (e.g. "
            + "<out>/pretrain/last.safetensors of an earlier run with the same --size; a safetensors state dict or "
            + "a PyTorch .pth of the same model also serves).")
    Path base;

    @Override
    public Integer call() throws Exception {
        if (size % 16 != 0) {
            throw new IllegalArgumentException("--size must be a multiple of 16, got " + size);
        }
        for (String m : methodLr.keySet()) {
            if (!MethodRegistry.TABLE.contains(m)) {
                throw new IllegalArgumentException("--method-lr names '" + m + "', which is not a method (known: "
                        + String.join(", ", MethodRegistry.TABLE) + ")");
            }
        }
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        VocConfig vc = new VocConfig(sourceClasses, null, null, false);
        TransferStudy.Domain src = new TransferStudy.Domain(source.getFileName().toString(),
                limit(VocDataset.open(source, "train", vc), sourceLimit), VocDataset.open(source, "test", vc));
        ClassFolderConfig fc = ClassFolderConfig.defaults();
        Path lists = targetLists != null ? targetLists : out.resolve("target-split");
        if (!Files.isRegularFile(lists.resolve("train.txt"))) {
            DatasetSplit.of(ClassFolderDataset.ids(target, fc), SplitRatios.parse("6:2:2"), splitSeed).write(lists);
            console.println("wrote the target split to " + lists);
        }
        ClassFolderDataset targetTrain = ClassFolderDataset.open(target, lists.resolve("train.txt"), "train", fc);
        TransferStudy.Domain tgt = new TransferStudy.Domain(target.getFileName().toString(), freeShare >= 1
                ? limit(targetTrain, targetLimit)
                : ImageSubset.defectShare(targetTrain, targetLimit, freeShare, targetTrain::defectFree),
                ClassFolderDataset.open(target, lists.resolve("test.txt"), "test", fc));
        TransferStudy.Settings settings = new TransferStudy.Settings(SwinAttUNetConfig.fixture(
                sourceClasses.size()), size, pretrainEpochs, adaptEpochs, batch, pretrainLr, adaptLr, pretrainLoss,
                methods, seed, defectWeight, methodLr, adaptLoss);
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        new TransferStudy(settings, console).run(src, List.of(tgt), out, base);
        console.println();
        console.print(Files.readString(out.resolve("comparison.md")));
        console.printf("%nTransfer benchmark finished in %.1f min; chart: %s%n", (System.nanoTime() - t0) / 6e10,
                out.resolve("comparison.png").toAbsolutePath());
        return 0;
    }

    private static ImageDataset limit(ImageDataset d, int limit) {
        return ImageSubset.spread(d, limit);
    }
}
