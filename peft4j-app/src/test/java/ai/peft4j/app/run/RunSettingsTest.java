package ai.peft4j.app.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.app.config.ConfigOverride;
import ai.peft4j.app.config.RunConfigFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunSettingsTest {
    private static RunSettings of(String... sets) {
        return RunSettings.of(RunConfigFile.defaultsWith(List.of(sets).stream().map(ConfigOverride::parse).toList())
                .config());
    }

    @Test
    void differences_nameEachShapingKey_withTheSavedAndTheNewValue() {
        RunSettings saved = of("model.backbone=swin-fixture", "method.name=lora");
        RunSettings now = of("model.backbone=swin-s", "method.name=lora", "method.options.rank=8",
                "data.palette=[[0, 0, 0], [255, 0, 0]]", "training.min_lr=1e-6");
        assertEquals(List.of("data.palette: [] -> [[0,0,0],[255,0,0]]", "method.options.rank: (not set) -> 8",
                "model.backbone: swin-fixture -> swin-s", "training.min_lr: null -> 1.0E-6"),
                saved.differences(now));
    }

    @Test
    void differences_ignoreLoaderThreadsAndTheOutputFolder() {
        assertEquals(List.of(), of("training.workers=1", "output=runs/a").differences(of("training.workers=8",
                "output=runs/b")));
    }

    @Test
    void resolvedFileAsWritten_readsBackToTheSameSettings(@TempDir Path dir) throws Exception {
        RunConfigFile rc = RunConfigFile.defaultsWith(List.of(ConfigOverride.parse("model.backbone=swin-fixture"),
                ConfigOverride.parse("training.lr=2e-3"), ConfigOverride.parse("data.class_names=[bg, '1']")));
        Path file = rc.writeResolved(dir, "train");
        assertEquals(List.of(), RunSettings.readResolved(file).differences(RunSettings.of(rc.config())));
    }

    @Test
    void resolvedFileWithoutANewerKey_readsWithItsDefault(@TempDir Path dir) throws Exception {
        RunConfigFile rc = RunConfigFile.defaultsWith(List.of(ConfigOverride.parse("model.backbone=swin-fixture")));
        Path file = rc.writeResolved(dir, "train");
        String text = Files.readString(file);
        Files.writeString(file, text.replace("  grad_clip: 0.0\n", ""));
        assertNotEquals(text, Files.readString(file));
        assertEquals(List.of(), RunSettings.readResolved(file).differences(RunSettings.of(rc.config())));
        Files.writeString(file, text.replace("  grad_clip: 0.0\n", "  grad_clip: 1.0\n"));
        assertEquals(List.of("training.grad_clip: 1.0 -> 0.0"), RunSettings.readResolved(file)
                .differences(RunSettings.of(rc.config())));
    }

    @Test
    void memorySettings_doNotStopARunFromContinuing(@TempDir Path dir) throws Exception {
        RunConfigFile rc = RunConfigFile.defaultsWith(List.of(ConfigOverride.parse("model.backbone=swin-fixture")));
        Path file = rc.writeResolved(dir, "train");
        String text = Files.readString(file);
        assertTrue(text.contains("  checkpoint: []\n  free_intermediates: true\n"), text);
        Files.writeString(file, text.replace("  checkpoint: []\n  free_intermediates: true\n",
                "  checkpoint:\n  - '*.blocks.*'\n  free_intermediates: false\n"));
        assertEquals(List.of("*.blocks.*"), RunConfigFile.read(file, List.of()).config().training().checkpoint());
        assertEquals(List.of(), RunSettings.readResolved(file).differences(RunSettings.of(rc.config())));
    }

    @Test
    void optionSettings_roundTripThroughTheirJson() throws Exception {
        RunSettings s = RunSettings.ofOptions(Map.of("--size", 224, "--lr", 1e-4, "--classes", List.of("a", "b"),
                "--teacher-backbone", ""));
        assertEquals(s, RunSettings.fromJson(s.toJson()));
        // In key order, so that two runs with the same options write the same checkpoint metadata.
        assertEquals("{\"--classes\":\"[\\\"a\\\",\\\"b\\\"]\",\"--lr\":\"1.0E-4\",\"--size\":\"224\","
                + "\"--teacher-backbone\":\"\\\"\\\"\"}", s.toJson());
        assertEquals(Map.of("--size", "224", "--lr", "1.0E-4", "--classes", "[\"a\",\"b\"]", "--teacher-backbone",
                "\"\""), s.values());
    }
}
