package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.peft4j.app.run.Weights;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.data.synthetic.CitrusDomain;
import ai.peft4j.data.synthetic.SyntheticCitrus;
import ai.peft4j.models.fastsegformer.FastSegFormer;
import ai.peft4j.models.fastsegformer.FastSegFormerConfig;
import ai.peft4j.models.fastsegformer.TeacherSwinAttUNet;
import ai.peft4j.models.fastsegformer.TeacherSwinAttUNetConfig;
import ai.peft4j.models.unet.SwinAttUNet;
import ai.peft4j.models.unet.SwinAttUNetConfig;
import ai.peft4j.train.loop.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistillCommandTest {
    /** {@code n} synthetic orange pairs at 64x64 in {@code dir/voc}, and a fixture Swin-Att-UNet teacher for them. */
    private static Path fixtureTeacher(Path dir, int n) throws Exception {
        new SyntheticCitrus(CitrusDomain.ORANGE, n, 64, 1).writeVoc(dir.resolve("voc"));
        Path ckpt = dir.resolve("unet.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            SafetensorsFile.write(ckpt, new SwinAttUNet(m, SwinAttUNetConfig.fixture(4)).stateDict(), Map.of());
        }
        return ckpt;
    }

    @Test
    void help_listsTheOptions() {
        CliRun r = CliRun.of("distill", "--help");
        assertEquals(0, r.code(), r.err());
        for (String option : new String[] {"--teacher", "--student", "--data", "--out", "--epochs", "--batch", "--lr",
                "--size", "--teacher-size", "--features"}) {
            assertTrue(r.out().contains(option), option + " missing from:\n" + r.out());
        }
    }

    @Test
    void unknownStudent_saysWhichAreKnown(@TempDir Path dir) throws Exception {
        Path ckpt = Files.writeString(dir.resolve("t.safetensors"), "x");
        CliRun r = CliRun.of("distill", "--teacher", ckpt.toString(), "--student", "fastsegformer-x", "--data",
                dir.toString(), "--out", dir.resolve("out").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown student 'fastsegformer-x' (known: fastsegformer-e, fastsegformer-p)"),
                r.err());
    }

    @Test
    void efficientFormerStudent_needs224(@TempDir Path dir) throws Exception {
        Path ckpt = Files.writeString(dir.resolve("t.safetensors"), "x");
        CliRun r = CliRun.of("distill", "--teacher", ckpt.toString(), "--student", "fastsegformer-e", "--data",
                dir.toString(), "--out", dir.resolve("out").toString(), "--size", "256");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("FastSegFormer-E takes 224x224 images"), r.err());
    }

    @Test
    void teacherOfAnotherModel_namesTheFileAndTheKeysThatDoNotFit(@TempDir Path dir) throws Exception {
        new SyntheticCitrus(CitrusDomain.ORANGE, 5, 64, 1).writeVoc(dir.resolve("voc"));
        Path ckpt = dir.resolve("unet.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            Map<String, NDArray> wrong = new LinkedHashMap<>();
            wrong.put("final_up_conv.1.weight", m.zeros(new Shape(6, 64, 3, 3)));
            wrong.put("swin_backbone.patch_embed.proj.weight", m.zeros(new Shape(96, 3, 4, 4)));
            SafetensorsFile.write(ckpt, wrong, Map.of());
        }
        CliRun r = CliRun.of("distill", "--teacher", ckpt.toString(), "--student", "fastsegformer-e", "--data",
                dir.resolve("voc").toString(), "--out", dir.resolve("out").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("teacher checkpoint " + ckpt + " does not fit the FastSegFormer Swin-T-Att-UNet "
                + "teacher with 4 classes"), r.err());
        assertTrue(r.err().contains("swin_backbone.patch_embed.proj.weight"), r.err());
        assertTrue(r.err().contains("final_up_conv.1.weight"), r.err());
        assertTrue(r.err().contains("common_backbone.patch_embed.proj.weight"), "missing keys listed:\n" + r.err());
    }

    @Test
    void distill_trainsAStudentFromATeacherCheckpoint_atTwoResolutions(@TempDir Path dir) throws Exception {
        new SyntheticCitrus(CitrusDomain.ORANGE, 6, 64, 1).writeVoc(dir.resolve("voc"));
        Path ckpt = dir.resolve("teacher.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            SafetensorsFile.write(ckpt, new TeacherSwinAttUNet(m, TeacherSwinAttUNetConfig.published(4)).stateDict(),
                    Map.of());
        }
        Path out = dir.resolve("out");
        CliRun r = CliRun.of("distill", "--teacher", ckpt.toString(), "--student", "fastsegformer-p", "--data",
                dir.resolve("voc").toString(), "--out", out.toString(), "--epochs", "1", "--batch", "2", "--size",
                "32", "--teacher-size", "64", "--features", "5,6", "--loader-threads", "1");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("teacher 64x64, student 32x32, features [5:5, 6:6]"), r.out());
        Map<String, Shape> shapes = SafetensorsFile.readShapes(out.resolve(Trainer.LAST));
        // a3 (256 channels) against FFM (512), a1 (64) against cnn2 (32): a 1x1 projection each.
        assertEquals(new Shape(256, 512, 1, 1), shapes.get("nfd/0.weight"));
        assertEquals(new Shape(64, 32, 1, 1), shapes.get("nfd/1.weight"));
        assertTrue(shapes.keySet().stream().anyMatch(k -> k.startsWith("common_backbone.")), shapes.toString());
        assertTrue(Files.exists(out.resolve(Trainer.LOG)));
    }

    @Test
    void distill_fromASwinAttUNetTeacherOnASmallerInput_andTheStudentAlone(@TempDir Path dir) throws Exception {
        Path ckpt = fixtureTeacher(dir, 10);
        Path out = dir.resolve("kd");
        CliRun r = CliRun.of("distill", "--teacher", ckpt.toString(), "--teacher-model", "swin-att-unet",
                "--teacher-backbone", "swin-fixture", "--student", "fastsegformer-p", "--data",
                dir.resolve("voc").toString(), "--out", out.toString(), "--epochs", "1", "--batch", "2", "--size",
                "64", "--teacher-size", "32", "--loader-threads", "1", "--train-limit", "3");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("Distilling FastSegFormer-P (" ), r.out());
        assertTrue(r.out().contains("teacher 32x32, student 64x64, features [0:6], 3 training images"), r.out());
        // conv1, the teacher's last decoder stage (16 channels at base 16), against cnn2 (32).
        assertEquals(new Shape(16, 32, 1, 1), SafetensorsFile.readShapes(out.resolve(Trainer.LAST))
                .get("nfd/0.weight"));
        // What export, eval and stream read from it loads strictly into the bare student: no projections.
        try (NDManager m = EngineSetup.newManager()) {
            Weights w = Weights.read(out.resolve(Trainer.LAST), m);
            assertTrue(w.tensors().keySet().stream().noneMatch(k -> k.contains("/")), w.tensors().keySet().toString());
            FastSegFormer student = new FastSegFormer(m, FastSegFormerConfig.published(
                    FastSegFormerConfig.Backbone.POOLFORMER_S12, w.classes()));
            assertEquals(4, w.classes());
            assertEquals(student.stateDict().size(), w.tensors().size());
            student.loadStateDict(w.tensors(), true);
        }

        Path alone = dir.resolve("alone");
        r = CliRun.of("distill", "--teacher", ckpt.toString(), "--teacher-model", "swin-att-unet",
                "--teacher-backbone", "swin-fixture", "--student", "fastsegformer-p", "--data",
                dir.resolve("voc").toString(), "--out", alone.toString(), "--epochs", "1", "--batch", "2", "--size",
                "64", "--teacher-size", "32", "--loader-threads", "1", "--nfd-weight", "0", "--logit-weight", "0");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("Training FastSegFormer-P"), r.out());
        assertTrue(SafetensorsFile.readShapes(alone.resolve(Trainer.LAST)).keySet().stream()
                .noneMatch(k -> k.startsWith("nfd/")));
    }

    @Test
    void distillOnCrops_teacherSeesTheCropAtItsSize_validationSlidesWindows(@TempDir Path dir) throws Exception {
        Path ckpt = fixtureTeacher(dir, 6);
        Path out = dir.resolve("kd");
        CliRun r = CliRun.of("distill", "--teacher", ckpt.toString(), "--teacher-model", "swin-att-unet",
                "--teacher-backbone", "swin-fixture", "--student", "fastsegformer-p", "--data",
                dir.resolve("voc").toString(), "--out", out.toString(), "--epochs", "1", "--batch", "2", "--crops",
                "32", "--teacher-size", "64", "--loader-threads", "1", "--rotate90");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("Crops     32x32 at scale 1.0, 50% centred on a defect of"), r.out());
        assertTrue(r.out().contains("teacher 64x64, student 32x32"), r.out());
        assertTrue(Files.exists(out.resolve(Trainer.LAST)));

        CliRun bad = CliRun.of("distill", "--teacher", ckpt.toString(), "--teacher-model", "swin-att-unet",
                "--student", "fastsegformer-p", "--data", dir.resolve("voc").toString(), "--out",
                dir.resolve("bad").toString(), "--crops", "32", "--defect-share", "-0.1");
        assertEquals(2, bad.code());
        assertEquals("error: --crops 32: defect share must be between 0 and 1, got -0.1\n", bad.err());
        assertTrue(!Files.exists(dir.resolve("bad")));
    }

    @Test
    void swinAttUNetTeacherOfAnotherSize_namesTheModelItExpected(@TempDir Path dir) throws Exception {
        Path ckpt = fixtureTeacher(dir, 5);
        CliRun r = CliRun.of("distill", "--teacher", ckpt.toString(), "--teacher-model", "swin-att-unet",
                "--student", "fastsegformer-p", "--data", dir.resolve("voc").toString(), "--out",
                dir.resolve("out").toString(), "--teacher-size", "64", "--size", "64");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("does not fit the Swin-Att-UNet with a swin-t backbone and 4 classes"), r.err());
    }
}
