package ai.peft4j.app;

import ai.peft4j.app.study.TransferStudy;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.ImageSubset;
import ai.peft4j.data.crop.CropConfig;
import ai.peft4j.data.folder.ClassFolderConfig;
import ai.peft4j.data.folder.ClassFolderDataset;
import ai.peft4j.data.split.DatasetSplit;
import ai.peft4j.data.split.SplitRatios;
import ai.peft4j.data.voc.VocConfig;
import ai.peft4j.data.voc.VocDataset;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.BnStats;
import ai.peft4j.peft.MethodRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j bench transfer}: the transfer benchmark on real defect data. */
@Command(name = "transfer", mixinStandardHelpOptions = true,
        description = {"Pretrain a small Swin-Att-UNet on a VOC-layout source set (default: NEU-Seg steel, a grouped "
                + "split in which copies of a photo share a list, as 'peft4j check' writes it), adapt it to a "
                + "folder-per-class target set (default: magnetic tile, a seeded 6:2:2 split written with the same "
                + "rule as 'peft4j split') with each method, and report target test mIoU, IoU per class, "
                + "image-level F1 and AP against trainable parameters, plus the source test mIoU the adapted "
                + "network keeps under the source head. By default both sets are trained on crops at native "
                + "resolution and every test image is predicted whole by sliding windows; --sampling letterbox "
                + "squeezes each image into one --size square instead.",
            "Writes comparison.md, comparison.json and comparison.png, training curves and adapters under --out; "
                + "the comparison is rewritten after every finished run."})
final class BenchTransferCommand implements Callable<Integer> {
    /** How images reach the network. */
    enum Sampling { crops, letterbox }

    @Option(names = "--source", defaultValue = "../shared/data/neu-seg", description = "VOC-layout source set with "
            + "ImageSets/Segmentation/{train,test}.txt (default: ${DEFAULT-VALUE}).")
    Path source;

    @Option(names = "--source-classes", split = ",", defaultValue = "background,inclusion,patches,scratches",
            description = "Source class names, background first (default: ${DEFAULT-VALUE}).")
    List<String> sourceClasses;

    @Option(names = "--source-split", defaultValue = "grouped", paramLabel = "grouped|published|DIR",
            description = "Source train and test lists: grouped (copies of a photo, rotated and flipped ones "
            + "included, in one list; computed as 'peft4j check' does and written to <out>/source-split, then read "
            + "from there), published (ImageSets/Segmentation, whose lists share copies of 672 NEU-Seg photos), "
            + "or a folder holding train.txt and test.txt, e.g. written by 'peft4j check' (default: "
            + "${DEFAULT-VALUE}).")
    String sourceSplit;

    @Option(names = "--target", defaultValue = "../shared/data/magnetic-tile", description = "Folder-per-class "
            + "target set, MT_<Class>/Imgs/<name>.jpg + .png (default: ${DEFAULT-VALUE}).")
    Path target;

    @Option(names = "--target-lists", description = "Folder with the target's train.txt and test.txt; written "
            + "there with --split-seed when missing (default: <out>/target-split).")
    Path targetLists;

    @Option(names = "--split-seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    long splitSeed;

    @Option(names = "--source-limit", defaultValue = "0", description = "Use at most this many source training "
            + "images, spread evenly over the list; 0 for all (default: ${DEFAULT-VALUE}: the grouped split's 2679, "
            + "which with 8 epochs took the NEU-Seg base to 73 mIoU; 1,600 x 6 epochs gave 67.5).")
    int sourceLimit;

    @Option(names = "--target-limit", defaultValue = "320", description = "Use at most this many target training "
            + "images (default: ${DEFAULT-VALUE}: a few hundred labelled images of the new product line; with "
            + "--free-share 0.25, magnetic tile's 240 defective training images and 80 defect-free ones).")
    int targetLimit;

    @Option(names = "--source-test-limit", defaultValue = "0", description = "Score at most this many source test "
            + "images, spread evenly over the list; 0 for all (default: ${DEFAULT-VALUE}).")
    int sourceTestLimit;

    @Option(names = "--target-test-limit", defaultValue = "0", description = "Score at most this many target test "
            + "images, spread evenly over the list; 0 for all (default: ${DEFAULT-VALUE}).")
    int targetTestLimit;

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

    @Option(names = "--sampling", defaultValue = "crops", description = "crops (native resolution: crops for "
            + "training, sliding windows over whole test images) or letterbox (every image into one --size "
            + "square) (default: ${DEFAULT-VALUE}).")
    Sampling sampling;

    @Option(names = "--size", defaultValue = "112", description = "Network input side with --sampling letterbox, "
            + "a multiple of 16 (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--source-crop", defaultValue = "112", description = "Side of the source's training crops and "
            + "test windows (default: ${DEFAULT-VALUE}: NEU-Seg images are 200x200, so a crop sees a quarter to a "
            + "third of one at native pixels, at a quarter of the cost of 224).")
    int sourceCrop;

    @Option(names = "--source-scale", defaultValue = "1.0", description = "(default: ${DEFAULT-VALUE})")
    double sourceScale;

    @Option(names = "--target-crop", defaultValue = "224", description = "Side of the target's training crops and "
            + "test windows (default: ${DEFAULT-VALUE}: magnetic tile images are about 250x380).")
    int targetCrop;

    @Option(names = "--target-scale", defaultValue = "1.0", description = "(default: ${DEFAULT-VALUE}: native "
            + "pixels; cracks one or two pixels wide do not survive shrinking).")
    double targetScale;

    @Option(names = "--defect-share", defaultValue = "0.5", description = "Share of training crops centred on a "
            + "defect pixel, each defect class equally often; the rest lie anywhere (default: ${DEFAULT-VALUE}).")
    double defectShare;

    @Option(names = "--tile-overlap", defaultValue = "0.25", description = "Share of a window that neighbouring "
            + "test windows share (default: ${DEFAULT-VALUE}).")
    double tileOverlap;

    @Option(names = "--epoch-crops", defaultValue = "0", description = "Training crops per epoch, source and "
            + "target; 0 for one per training image (default: ${DEFAULT-VALUE}). The learning rate is set per epoch "
            + "(a warm-up epoch at a tenth, a cosine, a last epoch at a hundredth): a short run needs several "
            + "epochs, which this allows without dropping images.")
    int epochCrops;

    @Option(names = "--kept-images", defaultValue = "0", description = "Source test images (spread evenly over the "
            + "list) for the source test mIoU kept column; 0 for all (default: ${DEFAULT-VALUE}).")
    int keptImages;

    @Option(names = "--pretrain-epochs", defaultValue = "8", description = "(default: ${DEFAULT-VALUE})")
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

    @Option(names = "--method-lr", paramLabel = "METHOD=LR", split = ",", defaultValue = "full=5e-4,lora=1.5e-2",
            description = "Learning rates of single methods (default: ${DEFAULT-VALUE}: full fine-tuning moves every "
            + "weight and takes a smaller step, as usual; at 2e-3 it ends at background only on magnetic tile, while "
            + "LoRA at 5e-4 does not leave background in 20 epochs; LoRA at 1.5e-2, the demo's rate, with "
            + "--defect-weight 10 was the only setting measured to leave background on magnetic tile crops, "
            + "neither alone did).")
    Map<String, Double> methodLr;

    @Option(names = "--pretrain-loss", defaultValue = "ce+dice", description = "(default: ${DEFAULT-VALUE})")
    String pretrainLoss;

    @Option(names = "--adapt-loss", defaultValue = "ce+dice-present", description = "(default: ${DEFAULT-VALUE}: "
            + "cross-entropy for every pixel plus Dice per class over the classes present, so that a class of a few "
            + "pixels weighs as much as background; both skip the ignored padding of crops larger than an image. "
            + "The letterbox figures used dice: there, with cross-entropy in the loss, LoRA ended at background "
            + "only)")
    String adaptLoss;

    @Option(names = "--defect-weight", defaultValue = "10", description = "Cross-entropy weight of every defect "
            + "class (background 1) while adapting (default: ${DEFAULT-VALUE}, as the letterbox figures used: with "
            + "weight 1, defect-centred crops alone left every method at background only on magnetic tile).")
    double defectWeight;

    @Option(names = "--seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--bn-stats", defaultValue = "method", description = "The base's BatchNorm statistics while "
            + "adapting: frozen, update, or method: each method's own (frozen for parameter-efficient methods, "
            + "updated by full fine-tuning) (default: ${DEFAULT-VALUE}).")
    String bnStats;

    @Option(names = "--bn-recalibrate", paramLabel = "N", defaultValue = "0", description = "Before scoring, set "
            + "the running statistics of the BatchNorm layers that train (the pretraining, full fine-tuning, any "
            + "method under --bn-stats update) to their averages over N training batches run forward without "
            + "gradients, so that eval mode scores the network the final weights make; 0 for off (default: "
            + "${DEFAULT-VALUE}).")
    int bnRecalibrate;

    @Option(names = "--head-init", defaultValue = "source", description = "A target head's first weights: source "
            + "(background from the source head's background, each defect class from the mean of the source's "
            + "defect classes, plus the published N(0, 0.02) draw) or published (the draw alone: its logits hardly "
            + "depend on the image, and a short run ends at background only) (default: ${DEFAULT-VALUE}).")
    String headInit;

    @Option(names = "--base", description = "Skip pretraining: start from this checkpoint (e.g. "
            + "<out>/pretrain/last.safetensors of an earlier run with the same --size; a safetensors state dict or "
            + "a PyTorch .pth of the same model also serves).")
    Path base;

    @Override
    public Integer call() throws Exception {
        if (size % 16 != 0) {
            throw new IllegalArgumentException("--size must be a multiple of 16, got " + size);
        }
        if (sourceCrop % 16 != 0 || targetCrop % 16 != 0) {
            throw new IllegalArgumentException("--source-crop and --target-crop must be multiples of 16, got "
                    + sourceCrop + " and " + targetCrop);
        }
        if (!(sourceScale > 0) || !(targetScale > 0) || Double.isInfinite(sourceScale)
                || Double.isInfinite(targetScale)) {
            throw new IllegalArgumentException("--source-scale and --target-scale must be positive factors (1 keeps "
                    + "native pixels), got " + sourceScale + " and " + targetScale);
        }
        if (!(defectShare >= 0 && defectShare <= 1)) {
            throw new IllegalArgumentException("--defect-share must be between 0 and 1, got " + defectShare);
        }
        if (!(tileOverlap >= 0 && tileOverlap < 1)) {
            throw new IllegalArgumentException("--tile-overlap is a share of a window in [0, 1), got " + tileOverlap);
        }
        for (String m : methodLr.keySet()) {
            if (!MethodRegistry.TABLE.contains(m)) {
                throw new IllegalArgumentException("--method-lr names '" + m + "', which is not a method (known: "
                        + String.join(", ", MethodRegistry.TABLE) + ")");
            }
        }
        if (bnRecalibrate < 0) {
            throw new IllegalArgumentException("--bn-recalibrate must be 0 (off) or a number of batches, got "
                    + bnRecalibrate);
        }
        boolean headFromSource = switch (headInit.toLowerCase(Locale.ROOT)) {
            case "source" -> true;
            case "published" -> false;
            default -> throw new IllegalArgumentException("--head-init must be source or published, got '"
                    + headInit + "'");
        };
        BnStats bn = switch (bnStats.toLowerCase(Locale.ROOT)) {
            case "method" -> null;
            case "frozen", "update" -> BnStats.parse(bnStats);
            default -> throw new IllegalArgumentException("--bn-stats must be frozen, update or method, got '"
                    + bnStats + "'");
        };
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        VocConfig vc = new VocConfig(sourceClasses, null, null, false);
        Path sourceLists = sourceLists(console);
        String sourceName = source.getFileName().toString();
        TransferStudy.Domain src = sourceLists == null
                ? new TransferStudy.Domain(sourceName, limit(VocDataset.open(source, "train", vc), sourceLimit),
                        limit(VocDataset.open(source, "test", vc), sourceTestLimit))
                : new TransferStudy.Domain(sourceName, limit(VocDataset.open(source, sourceLists.resolve("train.txt"),
                        "train", vc), sourceLimit), limit(VocDataset.open(source, sourceLists.resolve("test.txt"),
                        "test", vc), sourceTestLimit));
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
                limit(ClassFolderDataset.open(target, lists.resolve("test.txt"), "test", fc), targetTestLimit));
        TransferStudy.Settings settings = new TransferStudy.Settings(SwinAttUNetConfig.fixture(
                sourceClasses.size()), size, pretrainEpochs, adaptEpochs, batch, pretrainLr, adaptLr, pretrainLoss,
                methods, seed, defectWeight, methodLr, adaptLoss, bn, headFromSource, sampling == Sampling.letterbox ? null
                : new TransferStudy.Crops(new CropConfig(sourceCrop, sourceScale, defectShare, true, true),
                        new CropConfig(targetCrop, targetScale, defectShare, true, true), tileOverlap, epochCrops),
                keptImages, Map.of(), 0, bnRecalibrate);
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        new TransferStudy(settings, console).run(src, List.of(tgt), out, base);
        console.println();
        console.print(Files.readString(out.resolve("comparison.md")));
        console.printf("%nTransfer benchmark finished in %.1f min; chart: %s%n", (System.nanoTime() - t0) / 6e10,
                out.resolve("comparison.png").toAbsolutePath());
        return 0;
    }

    /** The folder of the source's train.txt and test.txt, or null for the data set's published lists. */
    private Path sourceLists(PrintStream console) throws IOException {
        if (sourceSplit.equals("published")) {
            return null;
        }
        if (!sourceSplit.equals("grouped")) {
            Path dir = Path.of(sourceSplit);
            for (String list : List.of("train.txt", "test.txt")) {
                if (!Files.isRegularFile(dir.resolve(list))) {
                    throw new IllegalArgumentException("--source-split " + dir + ": " + list + " not found; give "
                            + "a folder written by 'peft4j check' or 'peft4j split', or grouped or published");
                }
            }
            return dir;
        }
        Path dir = out.resolve("source-split");
        if (!Files.isRegularFile(dir.resolve("train.txt"))) {
            console.println("computing the grouped source split (copies of a photo in one list)");
            CheckCommand.groupedVocSplit(source, SplitRatios.parse("6:2:2"), splitSeed, console).write(dir);
            console.println("wrote the grouped source split to " + dir);
        }
        return dir;
    }

    /** At most {@code limit} images of {@code d}, spread evenly over it; all of them for 0. */
    private static ImageDataset limit(ImageDataset d, int limit) {
        return limit <= 0 ? d : ImageSubset.spread(d, limit);
    }
}
