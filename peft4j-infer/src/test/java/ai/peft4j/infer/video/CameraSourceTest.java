package ai.peft4j.infer.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.image.ImageDecoder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The capture process is stood in for by a shell command writing what ffmpeg would. */
class CameraSourceTest {
    private static final Path DEVICE = Path.of("/dev/video7");

    @Test
    void framesOfTheCaptureProcess_areReadAsTheyCome() throws Exception {
        List<Path> files = NeuClips.testImages(3);
        String cat = "cat '" + files.get(0) + "' '" + files.get(1) + "' '" + files.get(2) + "'";
        try (CameraSource src = CameraSource.start(List.of("sh", "-c", cat), DEVICE, 30)) {
            assertEquals(-1, src.frameCount());
            for (Path f : files) {
                assertArrayEquals(ImageDecoder.readRgb(f).pixels(), src.next().image().pixels(), f.toString());
            }
            assertNull(src.next());
        }
    }

    @Test
    void failingCapture_reportsWhatItSaid() throws Exception {
        String fail = "echo 'Cannot open video device /dev/video7: Device or resource busy' >&2; exit 1";
        try (CameraSource src = CameraSource.start(List.of("sh", "-c", fail), DEVICE, 30)) {
            VideoException e = assertThrows(VideoException.class, src::next);
            assertEquals(DEVICE + ": capture stopped (exit 1): Cannot open video device /dev/video7: Device or "
                    + "resource busy", e.getMessage());
        }
    }

    /** Ctrl-C reaches ffmpeg too, which exits with 255, often in the middle of a frame: the stream just ends. */
    @Test
    void captureInterruptedMidFrame_endsTheStreamCleanly() throws Exception {
        Path first = NeuClips.testImages(1).get(0);
        String cut = "cat '" + first + "'; head -c 300 '" + first + "'; exit 255";
        try (CameraSource src = CameraSource.start(List.of("sh", "-c", cut), DEVICE, 30)) {
            assertArrayEquals(ImageDecoder.readRgb(first).pixels(), src.next().image().pixels());
            assertNull(src.next());
        }
    }

    @Test
    void missingCaptureProgram_saysWhatToInstall() {
        VideoException e = assertThrows(VideoException.class,
                () -> CameraSource.start(List.of("no-such-ffmpeg-binary"), DEVICE, 30));
        assertTrue(e.getMessage().startsWith(DEVICE + ": cannot start no-such-ffmpeg-binary to capture it"),
                e.getMessage());
    }
}
