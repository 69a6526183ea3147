package ai.peft4j.infer.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.transform.Letterbox;
import ai.peft4j.infer.stats.ClassMap;
import ai.peft4j.infer.stats.FrameStats;
import ai.peft4j.infer.stats.InspectionSink;
import ai.peft4j.infer.stream.StreamPipeline;
import ai.peft4j.infer.stream.StreamReport;
import ai.peft4j.infer.video.Frame;
import ai.peft4j.infer.video.NeuClips;
import ai.peft4j.infer.video.VideoFileSource;
import ai.peft4j.models.ModelSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void neuClip_throughFastSegFormerE_givesFiveOverlaysAndFiveStatsRows_equalToFrameByFramePrediction()
            throws Exception {
        Path clip = tmp.resolve("neu.mp4");
        NeuClips.encode(NeuClips.testImages(5), clip, 5);
        Path out = tmp.resolve("out");
        List<String> classes = List.of("background", "inclusion", "patches", "scratches");
        EngineSetup.seed(0);
        try (NDManager manager = EngineSetup.newManager();
                ModuleFrameModel model = new ModuleFrameModel(
                        ModelSpec.of("fastsegformer-e", null, 4).build(manager))) {
            LetterboxPreprocess pre = new LetterboxPreprocess(Letterbox.square(224));
            StreamReport report;
            try (VideoFileSource src = VideoFileSource.open(clip)) {
                report = StreamPipeline.<ModelInput, ClassMap>builder().setSource(src).setPreprocess(pre)
                        .setInference(model).setSink(new InspectionSink(InspectionSink.Config.of(out, classes,
                                src.fps())))
                        .optQueueCapacity(2).build().run();
            }
            assertEquals(5, report.framesWritten());
            assertEquals(5, report.stage(StreamPipeline.INFERENCE).frames());

            // The same frames, one at a time on this thread, give the same statistics.
            List<FrameStats> direct = new ArrayList<>();
            try (VideoFileSource src = VideoFileSource.open(clip)) {
                for (Frame f; (f = src.next()) != null; ) {
                    direct.add(FrameStats.of(f.index(), f.name(), f.seconds(), model.predict(pre.prepare(f.image())),
                            4));
                }
            }
            List<String> csv = Files.readAllLines(out.resolve(InspectionSink.CSV));
            assertEquals(6, csv.size());
            List<String> jsonl = Files.readAllLines(out.resolve(InspectionSink.JSONL));
            assertEquals(5, jsonl.size());
            ObjectMapper json = new ObjectMapper();
            for (int i = 0; i < 5; i++) {
                JsonNode row = json.readTree(jsonl.get(i));
                assertEquals(i, row.path("frame").asInt());
                assertEquals(String.format("frame-%06d", i), row.path("name").asText());
                long[] pixels = new long[4];
                long sum = 0;
                for (int c = 0; c < 4; c++) {
                    pixels[c] = row.path("classes").get(c).path("pixels").asLong();
                    sum += pixels[c];
                }
                assertEquals(200 * 200, sum);
                assertArrayEquals(direct.get(i).pixels(), pixels, "frame " + i);
                assertEquals(direct.get(i).components().size(), row.path("components").size());
                assertTrue(csv.get(i + 1).startsWith(i + ",frame-00000" + i + ","), csv.get(i + 1));
            }
        }
        for (int i = 0; i < 5; i++) {
            Path png = out.resolve(InspectionSink.PNG_FOLDER).resolve(String.format("frame-%06d.png", i));
            assertEquals(200, ImageDecoder.readRgb(png).width());
        }
        try (VideoFileSource overlay = VideoFileSource.open(out.resolve(InspectionSink.VIDEO))) {
            assertEquals(5, overlay.frameCount());
            assertEquals(5.0, overlay.fps(), 1e-6);
            int n = 0;
            while (overlay.next() != null) {
                n++;
            }
            assertEquals(5, n);
        }
    }
}
