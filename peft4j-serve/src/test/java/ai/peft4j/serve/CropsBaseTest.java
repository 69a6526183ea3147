package ai.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A base trained on crops is served by sliding windows, as {@code predict} runs it, not by the letterbox. */
class CropsBaseTest {
    @TempDir
    Path tmp;

    @Test
    void baseTrainedOnCrops_servesWhatPredictGives_byItsSlidingWindows() throws Exception {
        ServiceFixture f = new ServiceFixture(tmp.resolve("service"));
        Path crops = tmp.resolve("crops.yaml");
        String run = Files.readString(f.runFile);
        Files.writeString(crops, run.replace("  layout: voc\n", "  layout: voc\n  sampling: crops\n"));
        // Wider and taller than the 32-pixel crop: three by two windows, where the letterbox shrinks it whole.
        byte[] png = ServiceFixture.noisePng(80, 48, 7);
        Path image = Files.createDirectories(tmp.resolve("in")).resolve("noise.png");
        Files.write(image, png);

        ServeCli predicted = ServeCli.run("predict", "--config", crops.toString(), "--checkpoint",
                f.checkpoint.toString(), "--adapter", f.adapters.resolve("line-a").toString(), "--out",
                tmp.resolve("predicted").toString(), image.toString());
        assertEquals(0, predicted.code(), predicted.err() + predicted.out());
        assertTrue(predicted.out().contains("Inference sliding windows 32x32"), predicted.out());
        int[] offline = ServiceFixture.indexPng(Files.readAllBytes(tmp.resolve("predicted/masks/noise.png")));

        ServeSettings s = f.settings();
        ServeSettings onCrops = new ServeSettings(s.checkpoint(), crops, s.adapters(), null, 0, 8, 20_000L, null, null,
                null, null, null);
        try (InspectionEngine engine = InspectionEngine.load(onCrops, x -> { }, new ArrayList<>())) {
            int[] served = engine.inspect("line-a", List.of("noise.png"), List.of(ServiceFixture.decode(png)))
                    .inspections().get(0).mask();
            assertEquals(80 * 48, served.length);
            assertArrayEquals(offline, served, "the service's map is predict's");
            assertFalse(Arrays.equals(f.offlineMask("line-a", ServiceFixture.decode(png)), served),
                    "the letterbox gives another map");
        }
    }
}
