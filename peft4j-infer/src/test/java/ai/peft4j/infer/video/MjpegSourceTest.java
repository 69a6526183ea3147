package ai.peft4j.infer.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.ImageEncoder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MjpegSourceTest {
    private static final Path NAME = Path.of("camera.mjpeg");

    @TempDir
    Path tmp;

    /** Hands out at most 7 bytes per read, as a pipe may: frames and segments then cross every buffer edge. */
    private static InputStream trickle(byte[] bytes) {
        return new FilterInputStream(new ByteArrayInputStream(bytes)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 7));
            }
        };
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void concatenatedJpegs_areTheFramesInOrder_evenInSmallReads() throws Exception {
        List<Path> files = NeuClips.testImages(4);
        byte[][] jpegs = new byte[files.size()][];
        for (int i = 0; i < jpegs.length; i++) {
            jpegs[i] = Files.readAllBytes(files.get(i));
        }
        try (MjpegSource src = MjpegSource.of(trickle(concat(jpegs)), NAME, 10)) {
            assertEquals(-1, src.frameCount());
            for (int i = 0; i < jpegs.length; i++) {
                Frame f = src.next();
                assertEquals(i, f.index());
                assertEquals(Frame.videoName(i), f.name());
                assertEquals(i / 10.0, f.seconds(), 1e-12);
                assertArrayEquals(ImageDecoder.readRgb(files.get(i)).pixels(), f.image().pixels(), "frame " + i);
            }
            assertNull(src.next());
            assertNull(src.next());
        }
    }

    /** An end-of-image marker inside a segment (here a whole JPEG as a thumbnail in APP15) does not end the frame. */
    @Test
    void jpegInsideASegment_doesNotSplitTheFrame() throws Exception {
        List<Path> files = NeuClips.testImages(2);
        byte[] a = Files.readAllBytes(files.get(0));
        byte[] b = Files.readAllBytes(files.get(1));
        int length = b.length + 2;
        byte[] segment = concat(new byte[] {(byte) 0xFF, (byte) 0xEF, (byte) (length >> 8), (byte) length}, b);
        byte[] withThumbnail = concat(Arrays.copyOfRange(a, 0, 2), segment, Arrays.copyOfRange(a, 2, a.length));
        try (MjpegSource src = MjpegSource.of(new ByteArrayInputStream(concat(withThumbnail, b)), NAME, 5)) {
            assertArrayEquals(ImageDecoder.readRgb(files.get(0)).pixels(), src.next().image().pixels());
            assertArrayEquals(ImageDecoder.readRgb(files.get(1)).pixels(), src.next().image().pixels());
            assertNull(src.next());
        }
    }

    /** USB cameras send motion JPEG without Huffman tables (the standard ones are implied); those frames decode. */
    @Test
    void framesWithoutHuffmanTables_decodeWithTheStandardOnes() throws Exception {
        Path jpeg = tmp.resolve("standard-tables.jpg");
        ImageEncoder.writeJpeg(ImageDecoder.readRgb(NeuClips.testImages(1).get(0)), jpeg, 0.9f);
        byte[] full = Files.readAllBytes(jpeg);
        ByteArrayOutputStream stripped = new ByteArrayOutputStream();
        stripped.write(full, 0, 2);
        int tables = 0;
        for (int i = 2; i < full.length; ) {
            int marker = full[i + 1] & 0xFF;
            if (marker == 0xDA) {
                stripped.write(full, i, full.length - i);
                break;
            }
            int length = (full[i + 2] & 0xFF) << 8 | full[i + 3] & 0xFF;
            if (marker == 0xC4) {
                tables++;
            } else {
                stripped.write(full, i, length + 2);
            }
            i += length + 2;
        }
        assertTrue(tables > 0, "the encoder wrote Huffman tables to strip");
        byte[] uvc = stripped.toByteArray();
        try (MjpegSource src = MjpegSource.of(new ByteArrayInputStream(concat(uvc, uvc)), NAME, 5)) {
            byte[] expected = ImageDecoder.readRgb(jpeg).pixels();
            assertArrayEquals(expected, src.next().image().pixels());
            assertArrayEquals(expected, src.next().image().pixels());
            assertNull(src.next());
        }
    }

    @Test
    void streamCutInsideAFrame_givesTheFramesBeforeThenNamesTheCutOne() throws Exception {
        List<Path> files = NeuClips.testImages(2);
        byte[] a = Files.readAllBytes(files.get(0));
        byte[] b = Files.readAllBytes(files.get(1));
        byte[] cut = concat(a, Arrays.copyOf(b, b.length / 2));
        try (MjpegSource src = MjpegSource.of(new ByteArrayInputStream(cut), NAME, 5)) {
            assertEquals(0, src.next().index());
            VideoException e = assertThrows(VideoException.class, src::next);
            assertEquals(1, e.frameIndex());
            assertEquals(NAME + ": frame 1: the stream ends inside this frame (" + (b.length / 2) + " bytes read, no "
                    + "end-of-image marker); the frames before it were read", e.getMessage());
            assertNull(src.next());
        }
    }

    @Test
    void streamThatIsNotMotionJpeg_isRefusedWithItsFirstBytes() throws Exception {
        byte[] text = "hello".getBytes(StandardCharsets.US_ASCII);
        try (MjpegSource src = MjpegSource.of(new ByteArrayInputStream(text), NAME, 5)) {
            VideoException e = assertThrows(VideoException.class, src::next);
            assertTrue(e.getMessage().startsWith(NAME + ": frame 0: not a motion-JPEG stream: a frame should start "
                    + "with FF D8, got 68 65"), e.getMessage());
        }
    }

    @Test
    void missingFile_isNamed() {
        Path none = Path.of("no-such-camera.mjpeg");
        assertEquals(none + ": file not found",
                assertThrows(VideoException.class, () -> MjpegSource.open(none, 5)).getMessage());
    }
}
