package ai.peft4j.infer.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.image.RgbImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jcodec.containers.mp4.MP4Util;
import org.jcodec.movtool.Flatten;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoFileSourceTest {
    @TempDir
    Path tmp;

    @Test
    void mp4RoundTrip_givesFiveFramesInOrderCloseToTheNeuImages() throws Exception {
        Path clip = tmp.resolve("clip.mp4");
        List<RgbImage> originals = NeuClips.encode(NeuClips.testImages(5), clip, 5);
        List<Frame> frames = new ArrayList<>();
        try (VideoFileSource src = VideoFileSource.open(clip)) {
            assertEquals(5, src.frameCount());
            assertEquals(5.0, src.fps(), 1e-6);
            assertEquals(200, src.width());
            assertEquals(200, src.height());
            for (Frame f; (f = src.next()) != null; ) {
                frames.add(f);
            }
            assertNull(src.next());
        }
        assertEquals(5, frames.size());
        for (int i = 0; i < 5; i++) {
            Frame f = frames.get(i);
            assertEquals(i, f.index());
            assertEquals(String.format("frame-%06d", i), f.name());
            assertEquals(i / 5.0, f.seconds(), 1e-9);
            assertEquals(200, f.image().width());
            assertEquals(200, f.image().height());
            // H.264 is lossy, but each frame is far closer to its own image than to any other.
            double own = NeuClips.meanAbsDiff(f.image(), originals.get(i));
            assertTrue(own < 6, "frame " + i + " differs by " + own);
            for (int j = 0; j < 5; j++) {
                if (j != i) {
                    assertTrue(NeuClips.meanAbsDiff(f.image(), originals.get(j)) > 2 * own, "frame " + i + " vs " + j);
                }
            }
        }
    }

    @Test
    void fileEndingInsideAFrame_failsOnThatFrameAfterTheCompleteOnes() throws Exception {
        Path clip = tmp.resolve("clip.mp4");
        NeuClips.encode(NeuClips.testImages(5), clip, 5);
        // Index first (as cameras and "faststart" files have it), so that cutting the end leaves the index whole.
        File flat = tmp.resolve("flat.mp4").toFile();
        new Flatten().flatten(MP4Util.createRefFullMovieFromFile(clip.toFile()), flat);
        byte[] bytes = Files.readAllBytes(flat.toPath());
        Path cut = tmp.resolve("cut.mp4");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 300));
        try (VideoFileSource src = VideoFileSource.open(cut)) {
            for (int i = 0; i < 4; i++) {
                assertEquals(i, src.next().index());
            }
            VideoException e = assertThrows(VideoException.class, src::next);
            assertEquals(4, e.frameIndex());
            assertEquals(cut, e.file());
            assertTrue(e.getMessage().contains("frame 4: the file ends inside this frame: it holds 4 complete "
                    + "frames of the 5"), e.getMessage());
        }
    }

    @Test
    void fileCutBeforeItsIndex_cannotBeOpened() throws Exception {
        Path clip = tmp.resolve("clip.mp4");
        NeuClips.encode(NeuClips.testImages(2), clip, 5);
        byte[] bytes = Files.readAllBytes(clip);
        Path cut = tmp.resolve("cut.mp4");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        VideoException e = assertThrows(VideoException.class, () -> VideoFileSource.open(cut));
        assertTrue(e.getMessage().startsWith(cut + ": the file ends before its index"), e.getMessage());
    }

    @Test
    void otherCodec_isRefusedByName() throws Exception {
        Path clip = tmp.resolve("clip.mp4");
        NeuClips.encode(NeuClips.testImages(1), clip, 5);
        // Relabel the sample entry as MPEG-4 Part 2: a valid MP4 whose codec JCodec's reader does not decode.
        byte[] bytes = Files.readAllBytes(clip);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        // The last "avc1" is the sample entry's (the first is a brand in the file type box).
        int at = text.lastIndexOf("avc1");
        assertTrue(at > text.indexOf("moov"));
        System.arraycopy("mp4v".getBytes(StandardCharsets.ISO_8859_1), 0, bytes, at, 4);
        Path other = tmp.resolve("mpeg4.mp4");
        Files.write(other, bytes);
        VideoException e = assertThrows(VideoException.class, () -> VideoFileSource.open(other));
        assertTrue(e.getMessage().contains("video codec 'mp4v' is not supported: only H.264"), e.getMessage());
    }

    @Test
    void missingEmptyAndNonVideoFiles_sayWhatIsWrong() throws Exception {
        Path missing = tmp.resolve("none.mp4");
        assertEquals(missing + ": file not found",
                assertThrows(VideoException.class, () -> VideoFileSource.open(missing)).getMessage());
        Path empty = Files.createFile(tmp.resolve("empty.mp4"));
        assertEquals(empty + ": file is empty",
                assertThrows(VideoException.class, () -> VideoFileSource.open(empty)).getMessage());
        Path jpeg = tmp.resolve("image.mp4");
        Files.copy(NeuClips.testImages(1).get(0), jpeg);
        assertTrue(assertThrows(VideoException.class, () -> VideoFileSource.open(jpeg)).getMessage()
                .contains("not a video file that can be read"));
        assertTrue(assertThrows(VideoException.class, () -> VideoFileSource.open(tmp)).getMessage()
                .contains("is a folder"));
    }

    @Test
    void writer_refusesOddSidesAndChangingSizes() throws Exception {
        try (Mp4Writer w = Mp4Writer.create(tmp.resolve("odd.mp4"), 10)) {
            assertThrows(IllegalArgumentException.class, () -> w.write(RgbImage.filled(5, 4, 0, 0, 0)));
        }
        assertTrue(Files.notExists(tmp.resolve("odd.mp4")), "a video with no frames leaves no file");
        Path two = tmp.resolve("two.mp4");
        try (Mp4Writer w = Mp4Writer.create(two, 10)) {
            w.write(RgbImage.filled(16, 8, 255, 0, 0));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> w.write(RgbImage.filled(8, 8, 0, 0, 0)));
            assertTrue(e.getMessage().contains("frame 1 is 8x8 but the video is 16x8"), e.getMessage());
            w.write(RgbImage.filled(16, 8, 0, 0, 255));
        }
        try (VideoFileSource src = VideoFileSource.open(two)) {
            RgbImage red = src.next().image();
            RgbImage blue = src.next().image();
            assertNull(src.next());
            // Flat colours survive H.264 to within a few levels.
            assertEquals(255, red.get(3, 3, 0), 6);
            assertEquals(0, red.get(3, 3, 2), 6);
            assertEquals(255, blue.get(12, 5, 2), 6);
            assertEquals(0, blue.get(12, 5, 0), 6);
        }
        try (var files = Files.list(tmp)) {
            assertEquals(List.of("two.mp4"), files.map(p -> p.getFileName().toString()).toList(),
                    "no temporary file is left beside the video");
        }
    }
}
