package ai.peft4j.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.core.testing.SharedFiles;
import ai.peft4j.data.DataException;
import ai.peft4j.data.TestImages;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDecoderTest {
    @TempDir
    Path dir;

    @Test
    void pngNamedJpg_isDecodedByContent() {
        Path file = SharedFiles.require("data/navel-orange-samples/img279/img279.jpg");
        RgbImage img = ImageDecoder.readRgb(file);
        assertEquals(512, img.width());
        assertEquals(512, img.height());
        // A real photo: the three channels differ somewhere (not a grey expansion).
        boolean colour = false;
        for (int i = 0; i < 512 * 512 && !colour; i += 97) {
            colour = img.get(i % 512, i / 512, 0) != img.get(i % 512, i / 512, 2);
        }
        assertTrue(colour);
    }

    @Test
    void jpegDecoding_equalsPillowsOnTheSharedSets() {
        // Sums of all RGB bytes of np.array(Image.open(f).convert("RGB")) under Pillow 12.3: every pixel of these
        // files decodes to the same value here as in the published (PIL-based) loader.
        String[][] files = {{"data/neu-seg/JPEGImages/003673.jpg", "15990372"},
            {"data/magnetic-tile/MT_Crack/Imgs/exp1_num_3191.jpg", "35785137"},
            {"data/navel-orange-samples/img585/img585_enhance_a6.jpg", "113320485"}};
        for (String[] f : files) {
            RgbImage img = ImageDecoder.readRgb(SharedFiles.require(f[0]));
            long sum = 0;
            for (byte b : img.pixels()) {
                sum += b & 0xFF;
            }
            assertEquals(Long.parseLong(f[1]), sum, f[0]);
        }
        assertEquals(0xC7C2BE, ImageDecoder.readRgb(SharedFiles.require(files[2][0])).rgb(0, 0));
    }

    @Test
    void greyJpeg_expandsToThreeEqualChannels() {
        RgbImage img = ImageDecoder.readRgb(SharedFiles.require("data/magnetic-tile/MT_Crack/Imgs/exp1_num_3191.jpg"));
        assertEquals(469, img.width());
        assertEquals(370, img.height());
        int distinct = 0;
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                assertEquals(img.get(x, y, 0), img.get(x, y, 1));
                assertEquals(img.get(x, y, 0), img.get(x, y, 2));
                distinct |= 1 << (img.get(x, y, 0) >> 5);
            }
        }
        assertTrue(Integer.bitCount(distinct) >= 3, "a photo spans several grey levels");
    }

    @Test
    void paletteImage_takesPaletteColours() throws Exception {
        Path file = dir.resolve("p.png");
        TestImages.mask(file, 3, 2, 1, 2);
        RgbImage img = ImageDecoder.readRgb(file);
        assertEquals(0x008000, img.rgb(0, 0));
        assertEquals(0x800000, img.rgb(2, 1));
        MaskRaster raw = ImageDecoder.readMask(file);
        assertFalse(raw.colour());
        assertEquals(2, raw.values()[0]);
        assertEquals(1, raw.values()[5]);
    }

    @Test
    void truncatedJpeg_isRefusedNamingTheFile() throws Exception {
        Path file = dir.resolve("cut.jpg");
        TestImages.jpeg(file, 64, 48);
        TestImages.truncate(file, 0.5);
        DataException e = assertThrows(DataException.class, () -> ImageDecoder.readRgb(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedPng_isRefusedNamingTheFile() throws Exception {
        Path file = dir.resolve("cut.png");
        ImageEncoder.writePng(TestImages.gradient(40, 30), file);
        TestImages.truncate(file, 0.6);
        DataException e = assertThrows(DataException.class, () -> ImageDecoder.readRgb(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains("PNG"), e.getMessage());
    }

    /** A PNG whose header claims {@code width x height} pixels, followed only by the end chunk. */
    private static byte[] pngHeader(int width, int height) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws Exception {
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(StandardCharsets.US_ASCII));
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        out.write(type.getBytes(StandardCharsets.US_ASCII));
        out.write(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    @Test
    void decompressionBomb_isRefusedFromItsHeaderNamingTheFileAndSize() throws Exception {
        Path bomb = dir.resolve("bomb.png");
        Files.write(bomb, pngHeader(60000, 60000));
        String expected = bomb + ": image is 60000x60000 (3,600,000,000 pixels), more than the limit of 89,478,485 "
                + "pixels (Pillow's decompression-bomb limit); shrink the image, or raise the limit with "
                + "-Dpeft4j.maxImagePixels=N (e.g. in JAVA_TOOL_OPTIONS)";
        assertEquals(expected, assertThrows(DataException.class, () -> ImageDecoder.readRgb(bomb)).getMessage());
        assertEquals(expected, assertThrows(DataException.class, () -> ImageDecoder.readMask(bomb)).getMessage());
        assertEquals(expected, assertThrows(DataException.class, () -> ImageDecoder.probe(bomb)).getMessage());
        Path small = dir.resolve("small.png");
        ImageEncoder.writePng(TestImages.gradient(40, 30), small);
        System.setProperty(ImageDecoder.MAX_PIXELS_PROPERTY, "1000");
        try {
            assertTrue(assertThrows(DataException.class, () -> ImageDecoder.readRgb(small)).getMessage()
                    .contains("image is 40x30 (1,200 pixels), more than the limit of 1,000 pixels"));
            System.setProperty(ImageDecoder.MAX_PIXELS_PROPERTY, "1200");
            assertEquals(40, ImageDecoder.readRgb(small).width());
        } finally {
            System.clearProperty(ImageDecoder.MAX_PIXELS_PROPERTY);
        }
    }

    @Test
    void probeOfBytes_refusesAboveTheCallersLimitFromTheHeader() throws Exception {
        Path source = Path.of("upload.png");
        byte[] bomb = pngHeader(5000, 4000);
        assertEquals("upload.png: image is 5000x4000 (20,000,000 pixels), more than the limit of 1,000,000 pixels; "
                + "send a smaller image", assertThrows(DataException.class, () -> ImageDecoder.probe(bomb, source,
                1_000_000)).getMessage());
        // Above the default limit, the message says how to raise it.
        assertTrue(assertThrows(DataException.class, () -> ImageDecoder.probe(pngHeader(60000, 60000), source,
                ImageDecoder.maxPixels())).getMessage().contains("-Dpeft4j.maxImagePixels=N"));
        Path small = dir.resolve("small.png");
        ImageEncoder.writePng(TestImages.gradient(40, 30), small);
        byte[] bytes = Files.readAllBytes(small);
        assertArrayEquals(new int[] {40, 30}, ImageDecoder.probe(bytes, source, 1200));
        assertTrue(assertThrows(DataException.class, () -> ImageDecoder.probe(bytes, source, 1199)).getMessage()
                .contains("image is 40x30 (1,200 pixels), more than the limit of 1,199 pixels"));
    }

    @Test
    void probe_readsSizesAndRefusesExactlyWhatDecodingRefuses() throws Exception {
        Path jpeg = dir.resolve("ok.jpg");
        TestImages.jpeg(jpeg, 64, 48);
        assertArrayEquals(new int[] {64, 48}, ImageDecoder.probe(jpeg));
        Path png = dir.resolve("ok.png");
        ImageEncoder.writePng(TestImages.gradient(40, 30), png);
        assertArrayEquals(new int[] {40, 30}, ImageDecoder.probe(png));
        // Bytes after the end marker: the full decode reads it, so the probe must too.
        Path padded = dir.resolve("padded.jpg");
        Files.write(padded, Files.readAllBytes(jpeg));
        Files.write(padded, new byte[1000], java.nio.file.StandardOpenOption.APPEND);
        assertArrayEquals(new int[] {64, 48}, ImageDecoder.probe(padded));
        for (String name : List.of("ok.jpg", "ok.png")) {
            Path cut = dir.resolve("cut-" + name);
            Files.write(cut, Files.readAllBytes(dir.resolve(name)));
            TestImages.truncate(cut, 0.6);
            DataException decoding = assertThrows(DataException.class, () -> ImageDecoder.decode(cut));
            DataException probing = assertThrows(DataException.class, () -> ImageDecoder.probe(cut));
            assertEquals(decoding.getMessage(), probing.getMessage());
            assertTrue(probing.getMessage().startsWith(cut.toString()), probing.getMessage());
        }
    }

    @Test
    void textFileAndEmptyFileAndMissingFile_areRefused() throws Exception {
        Path text = dir.resolve("notes.jpg");
        Files.writeString(text, "not an image");
        assertTrue(assertThrows(DataException.class, () -> ImageDecoder.readRgb(text)).problem()
                .contains("not an image"));
        Path empty = dir.resolve("empty.png");
        Files.write(empty, new byte[0]);
        assertEquals("file is empty", assertThrows(DataException.class, () -> ImageDecoder.readRgb(empty)).problem());
        Path missing = dir.resolve("missing.png");
        assertEquals("file not found", assertThrows(DataException.class, () -> ImageDecoder.readMask(missing))
                .problem());
    }

    @Test
    void twoChannelMask_isRefused() throws Exception {
        Path file = dir.resolve("ga.png");
        TestImages.greyAlphaPng(file, 5, 4);
        DataException e = assertThrows(DataException.class, () -> ImageDecoder.readMask(file));
        assertEquals(file, e.file());
        assertTrue(e.problem().contains("2 channels"), e.problem());
    }

    @Test
    void sixteenBitMask_isRefused() throws Exception {
        Path file = dir.resolve("g16.png");
        TestImages.grey16Png(file, 5, 4);
        DataException e = assertThrows(DataException.class, () -> ImageDecoder.readMask(file));
        assertEquals(file, e.file());
        assertTrue(e.problem().contains("16-bit"), e.problem());
    }

    @Test
    void rgbMask_isReadAsColours() {
        MaskRaster raw = ImageDecoder.readMask(SharedFiles.require(
                "data/navel-orange-samples/img663/img663_enhance_a1.png"));
        assertTrue(raw.colour());
        assertEquals(3, raw.channels());
        long red = java.util.Arrays.stream(raw.values()).filter(v -> v == 0x800000).count();
        // Counted by decoding the file's zlib stream independently: 17376 pixels of (128, 0, 0), the rest black.
        assertEquals(17376, red);
        assertEquals(512 * 512 - 17376, java.util.Arrays.stream(raw.values()).filter(v -> v == 0).count());
    }

    @Test
    void vocPalette_startsWithThePublishedColours() {
        Palette p = Palette.voc();
        assertEquals(256, p.size());
        assertEquals(new Palette.Colour(0, 0, 0), p.colour(0));
        assertEquals(new Palette.Colour(128, 0, 0), p.colour(1));
        assertEquals(new Palette.Colour(0, 128, 0), p.colour(2));
        assertEquals(new Palette.Colour(128, 128, 0), p.colour(3));
        assertEquals(new Palette.Colour(0, 0, 128), p.colour(4));
        assertEquals(new Palette.Colour(128, 128, 128), p.colour(7));
        assertEquals(new Palette.Colour(64, 0, 0), p.colour(8));
    }

    @Test
    void indexPngInMemory_roundTripsEveryClassIdAndEqualsTheFileOne(@TempDir Path tmp) throws Exception {
        int[] mask = new int[7 * 3];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = i * 12 % 256;
        }
        byte[] png = ImageEncoder.indexPng(mask, 7, 3, Palette.voc());
        MaskRaster back = ImageDecoder.readMask(png, Path.of("in-memory"));
        assertEquals(List.of(7, 3, false), List.of(back.width(), back.height(), back.colour()));
        assertArrayEquals(mask, back.values());
        Path file = tmp.resolve("mask.png");
        ImageEncoder.writeIndexPng(mask, 7, 3, Palette.voc(), file);
        assertArrayEquals(ImageDecoder.readMask(file).values(), back.values());
        DataException e = assertThrows(DataException.class, () -> ImageDecoder.readMask(new byte[] {1, 2, 3},
                Path.of("row 5")));
        assertTrue(e.getMessage().startsWith("row 5: "), e.getMessage());
    }
}
