package ai.peft4j.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.state.SafetensorsFile;
import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.onnx.OnnxExporter;
import ai.peft4j.infer.segment.SlidingWindow;
import ai.peft4j.infer.video.Mp4Writer;
import ai.peft4j.models.ModelSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jcodec.containers.mp4.MP4Util;
import org.jcodec.movtool.Flatten;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamPredictCommandTest {
    @TempDir
    Path tmp;

    /** Copies the first {@code n} NEU-Seg test images into {@code tmp/frames}; returns their ids. */
    private List<String> neuFrames(int n) throws java.io.IOException {
        Path root = SharedFiles.require("data/neu-seg");
        Path folder = Files.createDirectory(tmp.resolve("frames"));
        List<String> ids = Files.readAllLines(root.resolve("ImageSets/Segmentation/test.txt")).subList(0, n);
        for (String id : ids) {
            Files.copy(root.resolve("JPEGImages/" + id.strip() + ".jpg"), folder.resolve(id.strip() + ".jpg"));
        }
        return ids;
    }

    /** A small Swin-Att-UNet for four classes keeps the tests quick; its weights go through a safetensors file. */
    private Path fixtureWeights() throws Exception {
        Path weights = tmp.resolve("w.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            SafetensorsFile.write(weights, ModelSpec.of("swin-att-unet", "swin-fixture", 4).build(m).stateDict(),
                    Map.of());
        }
        return weights;
    }

    @Test
    void folderRead_fromTheOutputsOverlaysFolder_isRefusedBeforeAnyOverlayReplacesAnImage() throws Exception {
        Path out = tmp.resolve("out");
        Path frame = out.resolve("overlays/f1.png");
        ImageEncoder.writePng(RgbImage.filled(16, 16, 10, 20, 30), frame);
        byte[] before = Files.readAllBytes(frame);
        CliRun r = CliRun.of("stream", "--folder", out.resolve("overlays").toString(), "--model", "swin-att-unet",
                "--backbone", "swin-fixture", "--classes", "2", "--input-size", "32", "--out", out.toString());
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().strip().endsWith(frame + ": this output would overwrite the input " + frame + "; choose "
                + "an --out folder that does not hold the images being read"), r.err());
        assertArrayEquals(before, Files.readAllBytes(frame));
        try (java.util.stream.Stream<Path> files = Files.list(out)) {
            assertEquals(List.of(out.resolve("overlays")), files.toList(), "nothing else written");
        }
    }

    @Test
    void folderOfNeuImages_withACheckpoint_writesStatsOverlaysAndReport() throws Exception {
        List<String> ids = neuFrames(3);
        Path folder = tmp.resolve("frames");
        Path weights = fixtureWeights();
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("stream", "--folder", folder.toString(), "--model", "swin-att-unet", "--backbone",
                "swin-fixture", "--classes", "4", "--class-names", "background,inclusion,patches,scratches",
                "--checkpoint", weights.toString(), "--input-size", "64", "--fps", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("3 frames in") && r.out().contains("FPS"), r.out());
        List<String> csv = Files.readAllLines(out.resolve("stats.csv"));
        assertEquals(4, csv.size());
        assertTrue(csv.get(0).startsWith("frame,name,seconds,width,height,background_pixels"), csv.get(0));
        List<String> sorted = ids.stream().map(String::strip).sorted().toList();
        for (int i = 0; i < 3; i++) {
            assertTrue(csv.get(i + 1).startsWith(i + "," + sorted.get(i) + ","), csv.get(i + 1));
            assertTrue(Files.isRegularFile(out.resolve("overlays/" + sorted.get(i) + ".png")));
        }
        assertEquals(3, Files.readAllLines(out.resolve("stats.jsonl")).size());
        assertTrue(Files.size(out.resolve("overlay.mp4")) > 0);
        JsonNode report = new ObjectMapper().readTree(out.resolve("stream-report.json").toFile());
        assertEquals(3, report.path("frames_written").asInt());
        assertEquals(3, report.path("stages").path("inference").path("frames").asInt());
        assertTrue(report.path("fps").asDouble() > 0);
    }

    @Test
    void tiles_predictEachFrameBySlidingWindowsAsTheLibraryDoes() throws Exception {
        List<String> ids = neuFrames(2);
        Path folder = tmp.resolve("frames");
        Path weights = fixtureWeights();
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("stream", "--folder", folder.toString(), "--model", "swin-att-unet", "--backbone",
                "swin-fixture", "--classes", "4", "--checkpoint", weights.toString(), "--tile", "64", "--scale",
                "0.5", "--tile-batch", "2", "--no-video", "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        List<String> csv = Files.readAllLines(out.resolve("stats.csv"));
        List<String> header = Arrays.asList(csv.get(0).split(","));
        List<String> sorted = ids.stream().map(String::strip).sorted().toList();
        try (NDManager m = EngineSetup.newManager()) {
            Module net = ModelSpec.of("swin-att-unet", "swin-fixture", 4).build(m);
            net.loadStateDict(SafetensorsFile.read(weights, m).tensors(), true);
            net.eval();
            Layer layer = (Layer) net;
            SlidingWindow w = new SlidingWindow(64, 0.25, 2, 0.5);
            for (int i = 0; i < 2; i++) {
                String[] row = csv.get(i + 1).split(",");
                assertEquals("200", row[header.indexOf("width")]);
                RgbImage image = ImageDecoder.readRgb(folder.resolve(sorted.get(i) + ".jpg"));
                int[] classes = w.classes(image, layer::forward).classes();
                long background = Arrays.stream(classes).filter(c -> c == 0).count();
                assertEquals(background, Long.parseLong(row[header.indexOf("background_pixels")]), csv.get(i + 1));
            }
        }
        CliRun onnx = CliRun.of("stream", "--folder", folder.toString(), "--onnx", weights.toString(), "--tile",
                "64", "--out", tmp.resolve("o2").toString());
        assertEquals(2, onnx.code());
        assertEquals("error: --tile runs the model on the training engine (--checkpoint); an ONNX graph (--onnx) is "
                + "letterboxed\n", onnx.err());
    }

    @Test
    void videoThatEndsMidFrame_failsWithFileAndFrame_andKeepsTheFramesBefore() throws Exception {
        Path clip = tmp.resolve("clip.mp4");
        try (Mp4Writer w = Mp4Writer.create(clip, 5)) {
            for (String id : List.of("000001", "000002", "000003")) {
                w.write(ImageDecoder.readRgb(SharedFiles.require("data/neu-seg/JPEGImages/" + id + ".jpg")));
            }
        }
        // Index first, as a camera's file has it, then cut inside the last frame.
        Path flat = tmp.resolve("flat.mp4");
        new Flatten().flatten(MP4Util.createRefFullMovieFromFile(clip.toFile()), flat.toFile());
        byte[] bytes = Files.readAllBytes(flat);
        Path cut = tmp.resolve("cut.mp4");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 200));
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("stream", "--video", cut.toString(), "--model", "swin-att-unet", "--backbone",
                "swin-fixture", "--input-size", "64", "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("decode failed on frame 2: " + cut + ": frame 2: the file ends inside this "
                + "frame"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
        assertEquals(3, Files.readAllLines(out.resolve("stats.csv")).size(), "header and frames 0 and 1");
    }

    @Test
    void cameraThatIsNotThere_isAClearError() {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")
                && !Files.exists(Path.of("/dev/video9")), "Linux device names, and no tenth camera");
        CliRun r = CliRun.of("stream", "--camera", "9");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("/dev/video9: no such camera on this machine"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void motionJpegStream_isSegmentedFrameByFrame() throws Exception {
        List<String> ids = neuFrames(3);
        Path stream = tmp.resolve("line.mjpeg");
        for (String id : ids) {
            Files.write(stream, Files.readAllBytes(tmp.resolve("frames/" + id.strip() + ".jpg")),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
        Path out = tmp.resolve("out");
        CliRun r = CliRun.of("stream", "--mjpeg", stream.toString(), "--model", "swin-att-unet", "--backbone",
                "swin-fixture", "--input-size", "64", "--no-video", "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        List<String> csv = Files.readAllLines(out.resolve("stats.csv"));
        assertEquals(4, csv.size(), "header and 3 frames");
        for (int i = 0; i < 3; i++) {
            assertTrue(csv.get(i + 1).startsWith(i + ",frame-00000" + i + ","), csv.get(i + 1));
            assertTrue(Files.isRegularFile(out.resolve("overlays/frame-00000" + i + ".png")));
        }
    }

    @Test
    void missingVideo_andWrongCheckpoint_areClearErrors() throws Exception {
        Path missing = tmp.resolve("line3.mp4");
        CliRun r = CliRun.of("stream", "--video", missing.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(missing + ": file not found"), r.err());

        Path folder = Files.createDirectory(tmp.resolve("f"));
        Files.copy(SharedFiles.require("data/neu-seg/JPEGImages/000001.jpg"), folder.resolve("a.jpg"));
        Path weights = tmp.resolve("six.safetensors");
        try (NDManager m = EngineSetup.newManager()) {
            SafetensorsFile.write(weights, ModelSpec.of("swin-att-unet", "swin-fixture", 6).build(m).stateDict(),
                    Map.of());
        }
        CliRun w = CliRun.of("stream", "--folder", folder.toString(), "--model", "swin-att-unet", "--backbone",
                "swin-fixture", "--classes", "4", "--checkpoint", weights.toString(), "--out",
                tmp.resolve("o").toString());
        assertEquals(2, w.code());
        assertTrue(w.err().contains("does not fit the model") && w.err().contains("shape differs"), w.err());
        assertTrue(Files.notExists(tmp.resolve("o/stats.csv")), "nothing is written for a model that cannot run");
    }

    @Test
    void onnxGraphWithTwoWorkers_givesTheEngineStatistics_inFrameOrder() throws Exception {
        neuFrames(8);
        Path folder = tmp.resolve("frames");
        Path weights = tmp.resolve("w.safetensors");
        Path graph = tmp.resolve("w.onnx");
        try (NDManager m = EngineSetup.newManager()) {
            EngineSetup.seed(3);
            Module net = ModelSpec.of("swin-att-unet", "swin-fixture", 4).build(m);
            SafetensorsFile.write(weights, net.stateDict(), Map.of());
            OnnxExporter.builder().setModel(net).setInputSize(64, 64).build().export(graph);
        }
        CliRun engine = CliRun.of("stream", "--folder", folder.toString(), "--model", "swin-att-unet", "--backbone",
                "swin-fixture", "--classes", "4", "--checkpoint", weights.toString(), "--input-size", "64",
                "--no-video", "--no-png", "--out", tmp.resolve("engine").toString());
        assertEquals(0, engine.code(), engine.err() + engine.out());
        CliRun onnx = CliRun.of("stream", "--folder", folder.toString(), "--onnx", graph.toString(), "--workers", "2",
                "--threads", "2", "--no-video", "--no-png", "--out", tmp.resolve("onnx").toString());
        assertEquals(0, onnx.code(), onnx.err() + onnx.out());
        assertTrue(onnx.out().contains("4 classes, 64x64 input; 2 calls side by side, 1 thread each"), onnx.out());
        List<String> a = Files.readAllLines(tmp.resolve("engine/stats.csv"));
        List<String> b = Files.readAllLines(tmp.resolve("onnx/stats.csv"));
        assertEquals(9, b.size());
        assertEquals(a.get(0), b.get(0));
        for (int i = 1; i < a.size(); i++) {
            String[] x = a.get(i).split(",");
            String[] y = b.get(i).split(",");
            assertEquals(x[0] + "," + x[1], y[0] + "," + y[1], "frame order");
            long pixels = Long.parseLong(x[3]) * Long.parseLong(x[4]);
            for (int c = 0; c < 4; c++) {
                int col = 5 + (c == 0 ? 0 : 2 + 3 * (c - 1));
                // Logits agree to about 1e-5, so only pixels at a near-tie between two classes may change.
                assertTrue(Math.abs(Long.parseLong(x[col]) - Long.parseLong(y[col])) <= pixels / 200,
                        "frame " + i + " class " + c + ": " + a.get(i) + " vs " + b.get(i));
            }
        }
        CliRun refused = CliRun.of("stream", "--folder", folder.toString(), "--workers", "2");
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("--workers 2 needs --onnx"), refused.err());
    }

    @Test
    void help_listsTheInputs() {
        CliRun r = CliRun.of("stream", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--video=FILE") && r.out().contains("--folder=DIR")
                && r.out().contains("--camera=N") && r.out().contains("--drop-frames"), r.out());
    }
}
