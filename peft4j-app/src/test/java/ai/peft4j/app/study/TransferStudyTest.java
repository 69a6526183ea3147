package ai.peft4j.app.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.peft4j.app.TorchZipWriter;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.data.crop.CropConfig;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.peft.BnStats;
import ai.peft4j.peft.full.HeadOnly;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransferStudyTest {
    @TempDir
    Path out;

    /** The demo's pipeline at a tiny size: every run is recorded with its exact trainable count. */
    @Test
    void study_pretrainsAdaptsAndWritesTheComparison() throws Exception {
        TransferStudy.Domain orange = new TransferStudy.Domain("orange",
                new SyntheticCitrus(CitrusDomain.ORANGE, 8, 32, 1), new SyntheticCitrus(CitrusDomain.ORANGE, 4, 32, 2));
        TransferStudy.Domain lemon = new TransferStudy.Domain("lemon",
                new SyntheticCitrus(CitrusDomain.LEMON, 8, 32, 3), new SyntheticCitrus(CitrusDomain.LEMON, 4, 32, 4));
        TransferStudy.Settings s = new TransferStudy.Settings(SwinAttUNetConfig.fixture(4), 32, 1, 1, 4, 1e-3, 1e-3,
                "ce+dice", List.of("classify", "lora"), 0, 1, Map.of("lora", 3e-3), "dice");
        List<TransferStudy.Row> rows = new TransferStudy(s, new PrintStream(new ByteArrayOutputStream()))
                .run(orange, List.of(lemon), out);

        assertEquals(3, rows.size());
        assertEquals("pretrained", rows.get(0).method());
        assertEquals(3_529_366L, rows.get(0).total());
        // Lemon has 3 classes: the head is 16 x 3 + 3 = 51 parameters; LoRA adds 38,400 to it.
        assertEquals(51L, rows.get(1).trainable());
        assertEquals(38_451L, rows.get(2).trainable());
        for (TransferStudy.Row r : rows) {
            assertTrue(r.miou() >= 0 && r.miou() <= 1, r.toString());
        }
        JsonNode json = new ObjectMapper().readTree(out.resolve("comparison.json").toFile());
        assertEquals(3, json.size());
        assertEquals(38_451L, json.get(2).path("trainable").asLong());
        assertTrue(Files.readString(out.resolve("comparison.md")).contains("| lemon | lora | letterbox 32 | 38,451 |"));
        assertEquals(900, ImageIO.read(out.resolve("comparison.png").toFile()).getWidth());
        assertTrue(Files.isRegularFile(out.resolve("lemon/lora/adapter/adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("pretrain/curves.png")));
        // LoRA trained with its own learning rate, classify with the common one.
        // Switched off, a parameter-efficient adapter leaves the source model exactly as pretrained.
        assertEquals(rows.get(0).miou(), rows.get(1).sourceOffMiou(), 0.0);
        assertEquals(rows.get(0).miou(), rows.get(2).sourceOffMiou(), 0.0);
        // Loaded from its directory onto a fresh base and switched on, the adapter scores as after training.
        TransferStudy study = new TransferStudy(s, new PrintStream(new ByteArrayOutputStream()));
        List<TransferStudy.Switch> switched = study.switchAdapters(orange, List.of(lemon), out, null, "lora");
        assertEquals(rows.get(2).miou(), switched.get(0).miou(), 0.0);
        assertEquals("off", switched.get(1).method());
        assertEquals(rows.get(0).miou(), switched.get(1).miou(), 0.0);
        // The pretrained base as a PyTorch .pth under DataParallel names ('module.'): the same scores.
        Path pth = out.resolve("pretrain.pth");
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> model = Weights.read(out.resolve("pretrain/last.safetensors"), m).tensors();
            TorchZipWriter.write(pth, model, "module.");
        }
        List<TransferStudy.Switch> fromPth = study.switchAdapters(orange, List.of(lemon), out, pth, "lora");
        assertEquals(switched.get(0).miou(), fromPth.get(0).miou(), 0.0);
        assertEquals(switched.get(1).miou(), fromPth.get(1).miou(), 0.0);
        assertEquals(3.0, firstLearningRate(out.resolve("lemon/lora/history.csv"))
                / firstLearningRate(out.resolve("lemon/classify/history.csv")), 1e-9);

        // Given again, the study resumes every finished run: the same figures, training time from the logs.
        List<TransferStudy.Row> again = new TransferStudy(s, new PrintStream(new ByteArrayOutputStream()))
                .run(orange, List.of(lemon), out);
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(rows.get(i).miou(), again.get(i).miou(), 1e-12);
            assertEquals(rows.get(i).seconds(), again.get(i).seconds(), 1e-3);
        }
    }

    /**
     * At native resolution: crops for training, whole test images by sliding windows; each finished run's row is
     * written as it ends and read back, not measured again, when the same study is given again.
     */
    @Test
    void study_onCrops_scoresWholeImagesAndReadsFinishedRowsBack() throws Exception {
        TransferStudy.Domain orange = new TransferStudy.Domain("orange",
                new SyntheticCitrus(CitrusDomain.ORANGE, 8, 48, 1), new SyntheticCitrus(CitrusDomain.ORANGE, 3, 48, 2));
        TransferStudy.Domain lemon = new TransferStudy.Domain("lemon",
                new SyntheticCitrus(CitrusDomain.LEMON, 8, 48, 3), new SyntheticCitrus(CitrusDomain.LEMON, 3, 48, 4));
        TransferStudy.Crops crops = new TransferStudy.Crops(new CropConfig(32, 1.0, 0.5, true, true),
                new CropConfig(32, 1.0, 0.5, true, true), 0.25);
        TransferStudy.Settings s = new TransferStudy.Settings(SwinAttUNetConfig.fixture(4), 32, 1, 1, 4, 1e-3, 1e-3,
                "ce+dice", List.of("lora"), 0, 1, Map.of(), "ce+dice-present", crops, 2);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<TransferStudy.Row> rows = new TransferStudy(s, new PrintStream(log, true)).run(orange, List.of(lemon),
                out);

        assertEquals(2, rows.size());
        assertEquals("crops 32 @1.0", rows.get(1).sampling());
        assertEquals(orange.test().numClasses(), rows.get(0).iou().length);
        assertEquals(lemon.test().numClasses(), rows.get(1).iou().length);
        assertEquals(lemon.test().classNames(), rows.get(1).classNames());
        assertTrue(rows.get(1).f1() >= 0 && rows.get(1).f1() <= 1, rows.get(1).toString());
        String md = Files.readString(out.resolve("comparison.md"));
        assertTrue(md.contains("| lemon | lora | crops 32 @1.0 | 38,451 |"), md);
        JsonNode row = new ObjectMapper().readTree(out.resolve("lemon/lora/row.json").toFile());
        assertEquals(rows.get(1).miou(), row.path("miou").asDouble(), 1e-12);
        assertFalse(log.toString().contains("finished earlier"));

        ByteArrayOutputStream again = new ByteArrayOutputStream();
        List<TransferStudy.Row> reread = new TransferStudy(s, new PrintStream(again, true)).run(orange,
                List.of(lemon), out);
        assertTrue(again.toString().contains("finished earlier: " + out.resolve("lemon/lora/row.json")),
                again.toString());
        assertEquals(rows.get(1).miou(), reread.get(1).miou(), 1e-12);
        assertArrayEquals(rows.get(1).iou(), reread.get(1).iou(), 1e-12);
        assertEquals(rows.get(1).ap(), reread.get(1).ap(), 1e-12);
        assertEquals(Files.readString(out.resolve("comparison.md")), md);

        // Other settings measure the run again instead of reading a row that does not describe them.
        TransferStudy.Settings other = new TransferStudy.Settings(s.unet(), 32, 1, 1, 4, 1e-3, 1e-3, "ce+dice",
                List.of("lora"), 0, 1, Map.of(), "ce+dice-present", crops, 3);
        ByteArrayOutputStream third = new ByteArrayOutputStream();
        new TransferStudy(other, new PrintStream(third, true)).run(orange, List.of(lemon), out);
        assertFalse(third.toString().contains("finished earlier"), third.toString());
    }

    /** Another seed changes the seed alone: every other setting, BatchNorm recalibration included, travels. */
    @Test
    void withSeed_keepsEverySettingButTheSeed() {
        TransferStudy.Crops crops = new TransferStudy.Crops(new CropConfig(32, 1.0, 0.5, true, true),
                new CropConfig(64, 0.5, 0.25, true, false), 0.25, 16);
        TransferStudy.Settings s = new TransferStudy.Settings(SwinAttUNetConfig.fixture(4), 32, 2, 3, 4, 1e-3, 2e-3,
                "ce+dice", List.of("lora", "full"), 7, 10, Map.of("lora", 1.5e-2), "ce+dice-present", BnStats.UPDATE,
                true, crops, 5, Map.of("adapter", Map.of("init", "identity")), 2, 16);
        TransferStudy.Settings other = s.withSeed(8);
        assertEquals(8, other.seed());
        assertEquals(16, other.bnRecalibrate());
        assertEquals(s, other.withSeed(7));
    }

    /** Short epochs take the images in turn: ten images, four crops an epoch. */
    @Test
    void cropImage_shortEpochsWalkThroughEveryImage() {
        int[][] expected = {{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 0, 1}};
        for (int e = 0; e < expected.length; e++) {
            for (int k = 0; k < 4; k++) {
                assertEquals(expected[e][k], TransferStudy.cropImage(e, k, 4, 10), "epoch " + e + ", crop " + k);
            }
        }
        // One crop per image (the default) keeps the image order of every epoch.
        assertEquals(7, TransferStudy.cropImage(5, 7, 10, 10));
    }

    @Test
    void negativeCropsPerEpoch_areRefused() {
        CropConfig c = new CropConfig(32, 1.0, 0.5, true, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TransferStudy.Crops(c, c, 0.25, -1));
        assertEquals("crops per epoch must be 0 (one per image) or more, got -1", e.getMessage());
    }

    /** A target head starts as the source head (background; defects' mean) plus the published draw. */
    @Test
    void headFromSource_startsFromTheSourceHeadPlusTheDraw() {
        try (NDManager m = EngineSetup.newManager()) {
            SwinAttUNet model = new SwinAttUNet(m, SwinAttUNetConfig.fixture(4));
            Map<String, NDArray> base = model.stateDict();
            float[] w = base.get("final_conv.weight").toFloatArray();
            float[] b = base.get("final_conv.bias").toFloatArray();
            HeadOnly.published().withClasses(3).attach(model);
            float[] drawnW = model.stateDict().get("final_conv.weight").toFloatArray();
            float[] drawnB = model.stateDict().get("final_conv.bias").toFloatArray();

            TransferStudy.headFromSource(model, base);

            float[] got = model.stateDict().get("final_conv.weight").toFloatArray();
            float[] gotB = model.stateDict().get("final_conv.bias").toFloatArray();
            int in = w.length / 4;
            assertEquals(3 * in, got.length);
            for (int i = 0; i < in; i++) {
                assertEquals(w[i] + drawnW[i], got[i], 1e-6);
                float defects = (w[in + i] + w[2 * in + i] + w[3 * in + i]) / 3;
                assertEquals(defects + drawnW[in + i], got[in + i], 1e-6);
                assertEquals(defects + drawnW[2 * in + i], got[2 * in + i], 1e-6);
            }
            assertEquals(b[0] + drawnB[0], gotB[0], 1e-6);
            assertEquals((b[1] + b[2] + b[3]) / 3 + drawnB[2], gotB[2], 1e-6);
        }
    }

    private static double firstLearningRate(Path historyCsv) throws Exception {
        return Double.parseDouble(Files.readAllLines(historyCsv).get(1).split(",")[1]);
    }
}
