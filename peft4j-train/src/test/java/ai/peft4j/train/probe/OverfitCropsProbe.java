package ai.peft4j.train.probe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.BatchNorm2d;
import ai.peft4j.core.nn.StepMemory;
import ai.peft4j.data.Batch;
import ai.peft4j.data.ImageDataset;
import ai.peft4j.data.LabelledImage;
import ai.peft4j.data.Sample;
import ai.peft4j.data.crop.CropConfig;
import ai.peft4j.data.crop.CropSampler;
import ai.peft4j.data.crop.DefectIndex;
import ai.peft4j.data.folder.ClassFolderConfig;
import ai.peft4j.data.folder.ClassFolderDataset;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.train.loop.BatchSource;
import ai.peft4j.train.loop.Checkpoint;
import ai.peft4j.train.loop.Evaluation;
import ai.peft4j.train.loop.Objective;
import ai.peft4j.train.loop.Trainer;
import ai.peft4j.train.loop.TrainerConfig;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measuring probe, not part of the suite (runs only with {@code -Dprobe.variants=...}): the small Swin-Att-UNet
 * trained on one fixed batch of magnetic-tile crops centred on large defects, printing loss and predicted defect
 * pixels every 10 steps for each variant.
 */
@EnabledIfSystemProperty(named = "probe.variants", matches = ".+")
class OverfitCropsProbe {
    @Test
    void overfit(@TempDir Path dir) throws Exception {
        Path root = Path.of(System.getenv().getOrDefault("PEFT4J_SHARED", "/work/shared"), "data/magnetic-tile");
        ClassFolderDataset all = ClassFolderDataset.all(root, ClassFolderConfig.defaults());
        List<Integer> picked = new ArrayList<>();
        int fray = 0;
        int uneven = 0;
        for (int i = 0; i < all.size() && (fray < 2 || uneven < 2); i++) {
            String id = all.ids().get(i);
            if (id.contains("Fray") && fray < 2) {
                picked.add(i);
                fray++;
            } else if (id.contains("Uneven") && uneven < 2) {
                picked.add(i);
                uneven++;
            }
        }
        ImageDataset sub = new ImageDataset() {
            public String name() { return "mt-probe"; }
            public List<String> classNames() { return all.classNames(); }
            public int size() { return picked.size(); }
            public LabelledImage read(int index) { return all.read(picked.get(index)); }
            public int ignoreLabel() { return all.ignoreLabel(); }
        };
        int side = Integer.getInteger("probe.side", 224);
        CropSampler sampler = new CropSampler(sub, DefectIndex.build(sub, 1), new CropConfig(side, 1.0, 1.0, false,
                false), 1);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < sub.size(); i++) {
            samples.add(sampler.crop(i, 0).toSample());
        }
        Batch batch = batch(samples);
        long defect = 0;
        for (int v : batch.masks()) {
            if (v > 0 && v != sub.ignoreLabel()) {
                defect++;
            }
        }
        int classes = all.classNames().size();
        System.out.printf(Locale.ROOT, "PROBE crops %s: %d defect pixels of %d; classes %s%n",
                batch.ids(), defect, batch.masks().length, all.classNames());
        BatchSource fixed = BatchSource.of(List.of(batch));
        int steps = Integer.getInteger("probe.steps", 60);
        for (String variant : System.getProperty("probe.variants").split(",")) {
            String loss = "ce";
            String schedule = "constant";
            StepMemory.Options memory = StepMemory.Options.DEFAULT;
            List<Double> weights = List.of();
            double lr = 1e-3;
            for (String part : variant.split("\\+")) {
                switch (part) {
                    case "base" -> { }
                    case "dice" -> loss = "ce+dice";
                    case "cos" -> schedule = "cos";
                    case "plain" -> memory = StepMemory.Options.PLAIN;
                    case "w10" -> {
                        List<Double> w = new ArrayList<>(List.of(1.0));
                        for (int c = 1; c < classes; c++) {
                            w.add(10.0);
                        }
                        weights = w;
                    }
                    case "lr1e-4" -> lr = 1e-4;
                    case "lr5e-4" -> lr = 5e-4;
                    case "lr3e-3" -> lr = 3e-3;
                    case "dicep" -> loss = "ce+dice-present";
                    case "pre", "srchead", "bneval" -> { }
                    default -> throw new IllegalArgumentException(part);
                }
            }
            try (NDManager manager = EngineSetup.newManager()) {
                EngineSetup.seed(7);
                SwinAttUNetConfig unet = SwinAttUNetConfig.fixture(classes);
                SwinAttUNet model = new SwinAttUNet(manager, unet);
                List<String> parts = List.of(variant.split("\\+"));
                if (parts.contains("pre")) {
                    Path base = Path.of(System.getProperty("probe.base",
                            "/work/wt-transfer/runs/transfer/pretrain/last.safetensors"));
                    Map<String, NDArray> w = new HashMap<>(
                            Checkpoint.read(base, manager).modelState());
                    NDArray hw = w.remove("final_conv.weight");
                    NDArray hb = w.remove("final_conv.bias");
                    w.keySet().removeIf(k -> !model.namedParameters().containsKey(k)
                            && !model.stateDict().containsKey(k));
                    ai.peft4j.core.state.LoadReport report = model.loadStateDict(w, false);
                    System.out.println("PROBE loaded " + report.loaded().size() + " tensors; missing " + report.missing());
                    if (parts.contains("srchead")) {
                        long defects = classes - 1;
                        NDArray nw = hw.get("0:1").concat(hw.get("1:").mean(new int[] {0}, true)
                                .repeat(0, defects), 0);
                        NDArray nb = hb.get("0:1").concat(hb.get("1:").mean(new int[] {0}, true)
                                .repeat(0, defects), 0);
                        model.namedParameters().get("final_conv.weight").replace(
                                nw.add(model.namedParameters().get("final_conv.weight").data()));
                        model.namedParameters().get("final_conv.bias").replace(
                                nb.add(model.namedParameters().get("final_conv.bias").data()));
                    }
                }
                TrainerConfig config = TrainerConfig.builder().setEpochs(steps).setNumClasses(classes)
                        .optOptimizer("adam").optLearningRate(lr).optMinLearningRate(lr / 100).optSchedule(schedule)
                        .optLoss(loss).optClassWeights(weights).optEvalPeriod(steps).optSeed(1).build();
                Path out = Files.createDirectories(dir.resolve(variant));
                Trainer[] holder = new Trainer[1];
                long t0 = System.nanoTime();
                holder[0] = Trainer.builder().setModel(model).setConfig(config).setTrainData(fixed)
                        .setOutputDir(out).optInteractive(false).optResume(false)
                        .optConsole(new PrintStream(OutputStream.nullOutputStream()))
                        .optMemory(memory).optObjective(parts.contains("bneval") ? bnEval(model, config) : null)
                        .optEpochListener(r -> {
                            if (r.epoch() % 10 == 0 || r.epoch() == 1) {
                                Evaluation e = holder[0].evaluate(fixed);
                                long pred = 0;
                                long hit = 0;
                                for (int g = 0; g < classes; g++) {
                                    for (int p = 1; p < classes; p++) {
                                        pred += e.matrix().count(g, p);
                                        if (g == p) {
                                            hit += e.matrix().count(g, p);
                                        }
                                    }
                                }
                                System.out.printf(Locale.ROOT, "PROBE %-16s step %3d lr %.1e train loss %.4f | eval "
                                        + "loss %.4f defect px predicted %6d correct %6d mIoU %.3f (%.0f s)%n",
                                        variant, r.epoch(), r.learningRate(), r.trainLoss(), e.loss(), pred, hit,
                                        e.scores().meanIou(), (System.nanoTime() - t0) / 1e9);
                            }
                        }).build();
                holder[0].fit();
            }
        }
    }

    /** Plain supervised training with every BatchNorm normalising by its running statistics (not updating them). */
    private static Objective bnEval(SwinAttUNet model, TrainerConfig config) {
        Objective inner = Objective.supervised(model, config.newLoss());
        return new Objective() {
            public NDArray loss(NDArray images, NDArray labels) {
                model.namedModules().values().stream().filter(m -> m instanceof BatchNorm2d)
                        .forEach(m -> m.train(false));
                return inner.loss(images, labels);
            }

            public NDArray logits(NDArray images) {
                return inner.logits(images);
            }
        };
    }

    private static Batch batch(List<Sample> samples) {
        Sample first = samples.get(0);
        int h = first.height();
        int w = first.width();
        float[] images = new float[samples.size() * 3 * h * w];
        int[] masks = new int[samples.size() * h * w];
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            System.arraycopy(s.image(), 0, images, i * 3 * h * w, 3 * h * w);
            System.arraycopy(s.mask(), 0, masks, i * h * w, h * w);
            ids.add(s.id());
        }
        return new Batch(ids, images, masks, h, w);
    }
}
