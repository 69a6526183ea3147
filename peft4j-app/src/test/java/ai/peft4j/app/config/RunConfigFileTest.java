package ai.peft4j.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunConfigFileTest {
    @TempDir
    Path tmp;

    private static final String NEU = """
            model:
              name: swin-att-unet
              backbone: swin-fixture
              image_size: 64
            data:
              layout: voc
              root: ../shared/data/neu-seg
              class_names: [background, inclusion, patches, scratches]
              palette: [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]
              out_of_range: ignore
            training:
              epochs: 40
              lr: 2.0e-3
              loss: ce+dice
              best_metric: val_loss
            method:
              name: tplora
              options: {rank: 4, in: ATT}
            output: runs/neu
            """;

    private Path write(String name, String text) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void read_mapsEveryKeyOntoTheSectionsAndFillsDefaults() throws Exception {
        RunConfig c = RunConfigFile.read(write("neu.yaml", NEU), List.of()).config();
        assertEquals(new ModelSection("swin-att-unet", "swin-fixture", 0, 64, ""), c.model());
        assertEquals(List.of("background", "inclusion", "patches", "scratches"), c.data().classNames());
        assertEquals(List.of(255, 0, 0), c.data().palette().get(1));
        assertEquals("ignore", c.data().outOfRange());
        assertEquals("val", c.data().valSplit());
        assertEquals(40, c.training().epochs());
        assertEquals(2e-3, c.training().lr());
        assertNull(c.training().minLr());
        assertEquals(8, c.training().batch());
        assertEquals("val_loss", c.training().bestMetric());
        assertEquals(Map.of("rank", 4, "in", "ATT"), c.method().options());
        assertEquals("runs/neu", c.output());
    }

    @Test
    void resolvedFile_readsBackToTheSameConfiguration() throws Exception {
        RunConfigFile first = RunConfigFile.read(write("neu.yaml", NEU), List.of(
                ConfigOverride.parse("training.lr=1e-3"), ConfigOverride.parse("data.class_names=[bg, '1', '2', x]")));
        Path written = first.writeResolved(tmp.resolve("run"), "train");
        String text = Files.readString(written);
        assertTrue(text.contains("# run file: " + tmp.resolve("neu.yaml").toAbsolutePath()), text);
        assertTrue(text.contains("#   --set training.lr=1e-3"), text);
        RunConfig again = RunConfigFile.read(written, List.of()).config();
        assertEquals(first.config(), again);
        assertEquals(List.of("bg", "1", "2", "x"), again.data().classNames());
        assertEquals(1e-3, again.training().lr());
    }

    @Test
    void overrides_winOverTheFileInOrderAndNamedOptionsComeLast() throws Exception {
        RunConfig c = RunConfigFile.read(write("neu.yaml", NEU), List.of(
                ConfigOverride.parse("training.epochs=5"),
                ConfigOverride.parse("training.epochs=7"),
                ConfigOverride.parse("training.batch=2"),
                ConfigOverride.ofOption("training.batch", "--batch", 3),
                ConfigOverride.parse("model.classes=4"),
                ConfigOverride.parse("method.options.rank=16"))).config();
        assertEquals(7, c.training().epochs());
        assertEquals(3, c.training().batch());
        assertEquals(4, c.model().classes());
        assertEquals(2e-3, c.training().lr(), "untouched keys keep the file's value");
        assertEquals(Map.of("rank", 16, "in", "ATT"), c.method().options());
    }

    @Test
    void unknownKeyInFile_namesTheFileTheKeyAndTheKnownKeys() throws Exception {
        Path f = write("typo.yaml", NEU.replace("  lr: 2.0e-3", "  lrr: 2.0e-3"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(f, List.of()));
        assertTrue(e.getMessage().startsWith(f + ": unknown key 'training.lrr'"), e.getMessage());
        assertTrue(e.getMessage().contains("known keys in training: augment, batch, best_metric"), e.getMessage());
    }

    @Test
    void unknownKeyInOverride_namesTheOverride() throws Exception {
        Path f = write("neu.yaml", NEU);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(f, List.of(ConfigOverride.parse("model.size=32"))));
        assertTrue(e.getMessage().startsWith("--set model.size=32: unknown key 'model.size'"), e.getMessage());
        IllegalArgumentException top = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(write("top.yaml", NEU + "outptu: x\n"), List.of()));
        assertTrue(top.getMessage().contains("unknown key 'outptu' (known keys in the top level: "
                + "classification, data, method, model, output, promptable, task, training)"), top.getMessage());
    }

    @Test
    void badValues_sayWhichKeyAndWhatIsExpected() throws Exception {
        Path f = write("neu.yaml", NEU);
        IllegalArgumentException num = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(f, List.of(ConfigOverride.parse("training.epochs=many"))));
        assertTrue(num.getMessage().equals("--set training.epochs=many: training.epochs: cannot read 'many' as a "
                + "whole number"), num.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(f, List.of(ConfigOverride.parse("data.layout=coco"))));
        assertTrue(range.getMessage().contains("data.layout must be voc or folder (segmentation), "
                + "image-folder or name-class (classification), jsonl (detection), got 'coco'"), range.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConfigOverride.parse("training.lr"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(tmp.resolve("nope.yaml"), List.of()));
        assertEquals(tmp.resolve("nope.yaml") + ": run file not found", missing.getMessage());
        IllegalArgumentException yaml = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(write("bad.yaml", "model: [\n"), List.of()));
        assertTrue(yaml.getMessage().startsWith(tmp.resolve("bad.yaml") + ": not valid YAML"), yaml.getMessage());
    }

    @Test
    void binaryMasks_readAsSet_andRefusedWhereTheyCannotApply() throws Exception {
        Path f = write("neu.yaml", NEU);
        assertFalse(RunConfigFile.read(f, List.of()).config().data().binaryMasks());
        RunConfig on = RunConfigFile.read(f, List.of(ConfigOverride.parse("data.binary_masks=true"),
                ConfigOverride.parse("data.mask_threshold=100"))).config();
        assertTrue(on.data().binaryMasks());
        assertEquals(100, on.data().maskThreshold());
        IllegalArgumentException folder = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(f, List.of(ConfigOverride.parse("data.binary_masks=true"),
                        ConfigOverride.parse("data.layout=folder"))));
        assertTrue(folder.getMessage().contains("data.binary_masks reads voc masks by brightness; a folder data set "
                + "has its own mask format"), folder.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(f, List.of(ConfigOverride.parse("data.binary_masks=true"),
                        ConfigOverride.parse("data.colour_masks=true"))));
        assertTrue(both.getMessage().contains("data.binary_masks reads masks by brightness, data.colour_masks "
                + "through the palette: set one of them"), both.getMessage());
        IllegalArgumentException level = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(f, List.of(ConfigOverride.parse("data.mask_threshold=256"))));
        assertTrue(level.getMessage().contains("data.mask_threshold is a grey level in 1-255 (defect at or above "
                + "it), got 256"), level.getMessage());
    }

    @Test
    void optimiserSettings_outOfRangeNameTheKeyAndWhereItWasSet() throws Exception {
        Path f = write("neu.yaml", NEU.replace("lr: 2.0e-3", "lr: -1"));
        IllegalArgumentException lr = assertThrows(IllegalArgumentException.class, () -> RunConfigFile.read(f,
                List.of(ConfigOverride.parse("training.seed=3"))));
        assertTrue(lr.getMessage().startsWith(f + ": training.lr must be a positive number, got -1.0"),
                lr.getMessage());
        Path good = write("good.yaml", NEU);
        Map<String, String> bad = Map.of(
                "training.momentum=2", "--set training.momentum=2: training.momentum must be at least 0 and below 1 "
                        + "(Adam's beta1), got 2.0",
                "training.weight_decay=-0.01", "--set training.weight_decay=-0.01: training.weight_decay must be 0 "
                        + "or positive, got -0.01",
                "training.optimizer=adagrad", "--set training.optimizer=adagrad: training.optimizer must be one of "
                        + "adam, adamw, sgd, got 'adagrad'",
                "training.min_lr=1", "--set training.min_lr=1: training.min_lr must be between 0 and training.lr "
                        + "(0.002), got 1.0; leave it empty for a hundredth of training.lr",
                "training.schedule=linear", "--set training.schedule=linear: training.schedule must be one of cos, "
                        + "cosine, step, constant, cos-step, linear-step, got 'linear'");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> RunConfigFile.read(good,
                    List.of(ConfigOverride.parse(e.getKey()), ConfigOverride.parse("training.seed=1"))));
            assertEquals(e.getValue(), x.getMessage());
        }
        IllegalArgumentException option = assertThrows(IllegalArgumentException.class, () -> RunConfigFile.read(
                good, List.of(ConfigOverride.ofOption("training.lr", "--lr", -1.0))));
        assertTrue(option.getMessage().startsWith("--lr -1.0: training.lr must be a positive number"),
                option.getMessage());
        IllegalArgumentException sgd = assertThrows(IllegalArgumentException.class, () -> RunConfigFile.read(good,
                List.of(ConfigOverride.parse("training.optimizer=sgd"), ConfigOverride.parse("training.momentum=1"))));
        assertTrue(sgd.getMessage().contains("(SGD's momentum), got 1.0"), sgd.getMessage());
    }

    @Test
    void nonUtf8RunFile_namesTheByteOffsetAndLine() throws Exception {
        Path f = tmp.resolve("latin1.yaml");
        // "# Qualit\u00e9" in Latin-1: 0xE9 alone is not UTF-8.
        byte[] text = "model:\n  name: swin-att-unet\n# Qualit\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(f, text);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(f, List.of()));
        assertEquals(f + ": not UTF-8 text: byte 0xE9 at offset 37 (line 3) is not valid UTF-8; save the run file "
                + "as UTF-8", e.getMessage());
        assertEquals(0xE9, text[37] & 0xFF);
        Files.write(f, "# Qualit\u00e9\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(8, RunConfigFile.read(f, List.of()).config().training().batch(), "UTF-8 reads");
    }

    @Test
    void integerKeys_refuseFractionsAndTextInTheFileAndOverrides() throws Exception {
        Path f = write("frac.yaml", NEU.replace("epochs: 40", "epochs: 1.5"));
        IllegalArgumentException frac = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(f, List.of()));
        assertEquals(f + ": training.epochs: cannot read '1.5' as a whole number", frac.getMessage());
        Path good = write("good.yaml", NEU);
        for (String v : List.of("12abc", "1e3", "2.0")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunConfigFile.read(good,
                    List.of(ConfigOverride.parse("training.batch=" + v))));
            assertTrue(e.getMessage().startsWith("--set training.batch=" + v + ": training.batch: "),
                    v + ": " + e.getMessage());
        }
        assertEquals(12, RunConfigFile.read(good, List.of(ConfigOverride.parse("training.batch=12"))).config()
                .training().batch());
    }

    @Test
    void duplicateKey_namesTheKeyTheSectionAndTheFile() throws Exception {
        Path f = write("dup.yaml", NEU.replace("  epochs: 40\n", "  epochs: 40\n  batch: 4\n  epochs: 20\n"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(f, List.of()));
        assertTrue(e.getMessage().startsWith(f + ": key 'training.epochs' appears twice in section training"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("; keep one of them"), e.getMessage());
        Path top = write("top.yaml", NEU + "output: runs/other\n");
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(top, List.of()));
        assertTrue(t.getMessage().startsWith(top + ": key 'output' appears twice in the file"), t.getMessage());
    }

    @Test
    void florence2RunFiles_trainWithThePublishedLinearSchedule() throws Exception {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        for (String f : List.of("neu-det-florence2.yaml", "neu-det-florence2-small.yaml",
                "neu-det-florence2-lora.yaml")) {
            RunConfig c = RunConfigFile.read(repo.resolve("configs").resolve(f), List.of()).config();
            assertEquals("adamw", c.training().optimizer(), f);
            assertEquals("linear-step", c.training().schedule(), f);
        }
    }

    @Test
    void exampleRunFiles_readAndPointAtTheSharedData() throws Exception {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        RunConfig neu = RunConfigFile.read(repo.resolve("configs/neu-seg.yaml"), List.of()).config();
        assertEquals("voc", neu.data().layout());
        assertEquals(4, neu.data().classNames().size());
        assertEquals("runs/neu-seg", neu.output());
        RunConfig mt = RunConfigFile.read(repo.resolve("configs/magnetic-tile-lora.yaml"), List.of()).config();
        assertEquals("folder", mt.data().layout());
        assertEquals("lora", mt.method().name());
        assertEquals(neu.model().backbone(), mt.model().backbone(), "the adapter's model is the base's");
        assertEquals(neu.model().imageSize(), mt.model().imageSize());
        assertEquals(neu.output() + "/best.safetensors", mt.model().init());
        // Paths are relative to the repository root, where the commands run, and name ../shared/data; the
        // shared folder itself may live elsewhere in CI (PEFT4J_SHARED), so check its layout there.
        String neuRoot = String.valueOf(neu.data().root()).replace('\\', '/');
        String mtRoot = String.valueOf(mt.data().root()).replace('\\', '/');
        assertTrue(neuRoot.endsWith("shared/data/neu-seg"), neuRoot);
        assertTrue(mtRoot.endsWith("shared/data/magnetic-tile"), mtRoot);
        Path data = ai.peft4j.core.testing.SharedFiles.require("data");
        assertTrue(Files.isDirectory(data.resolve("neu-seg/JPEGImages")));
        assertTrue(Files.isDirectory(data.resolve("magnetic-tile/MT_Crack/Imgs")));
        RunConfig crops = RunConfigFile.read(repo.resolve("configs/magnetic-tile-crops.yaml"), List.of()).config();
        assertTrue(crops.data().crops());
        assertEquals(224, crops.data().cropSide(crops.model().imageSize()));
        assertEquals(1.0, crops.data().scale());
        assertEquals(mt.data().root(), crops.data().root());
        assertEquals(mt.data().lists(), crops.data().lists());
        // The loss bench transfer adapts with on crops: it skips the padding of images smaller than a crop.
        assertEquals("ce+dice-present", crops.training().loss());
        assertEquals(0.5, crops.data().defectShare());
        // The template for a user's own large images: crops at native pixels, windows of the crop size.
        RunConfig large = RunConfigFile.read(repo.resolve("configs/large-images-crops.yaml"), List.of()).config();
        assertTrue(large.data().crops());
        assertEquals(320, large.data().cropSide(large.model().imageSize()));
        assertEquals(1.0, large.data().scale());
        assertEquals(0.5, large.data().defectShare());
        assertEquals("ce+dice-present", large.training().loss());
        assertEquals(List.of("background", "crack"), large.data().classNames());
    }

    @Test
    void cropKeys_defaultToTheLetterbox_andCropSizeZeroMeansTheImageSize() {
        RunConfig c = RunConfigFile.defaultsWith(List.of()).config();
        assertEquals("letterbox", c.data().sampling());
        assertTrue(!c.data().crops());
        assertEquals(c.model().imageSize(), c.data().cropSide(c.model().imageSize()));
        assertEquals(1.0, c.data().scale());
        assertEquals(0.5, c.data().defectShare());
        assertEquals(0.25, c.data().tileOverlap());
        assertTrue(!c.data().rotate90());
    }
}
