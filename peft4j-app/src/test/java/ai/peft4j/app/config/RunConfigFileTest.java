package ai.peft4j.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        assertTrue(top.getMessage().contains("unknown key 'outptu' (known keys in the top level: data, method, "
                + "model, output, training)"), top.getMessage());
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
        assertTrue(range.getMessage().contains("data.layout must be voc or folder, got 'coco'"), range.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConfigOverride.parse("training.lr"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(tmp.resolve("nope.yaml"), List.of()));
        assertEquals(tmp.resolve("nope.yaml") + ": run file not found", missing.getMessage());
        IllegalArgumentException yaml = assertThrows(IllegalArgumentException.class,
                () -> RunConfigFile.read(write("bad.yaml", "model: [\n"), List.of()));
        assertTrue(yaml.getMessage().startsWith(tmp.resolve("bad.yaml") + ": not valid YAML"), yaml.getMessage());
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
