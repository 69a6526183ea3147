package ai.peft4j.data.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.peft4j.data.image.RgbImage;
import org.junit.jupiter.api.Test;

/**
 * Parity with Pillow 12.3.0: the expected arrays are {@code np.array(Image.fromarray(src).resize((w, h), BICUBIC))}
 * (and {@code NEAREST} for the mask) of a 7x5 image of uniform random bytes (numpy seed 0), and the published
 * {@code resize_image} letterbox of it.
 */
class ResamplingTest {
    private static final int[] SOURCE = {
            172, 47, 117, 192, 67, 251, 195, 103, 9, 211, 21, 242, 36, 87, 70, 216, 88, 140, 58, 193, 230, 39,
            87, 174, 88, 81, 165, 25, 77, 72, 9, 148, 115, 208, 243, 197, 254, 79, 175, 192, 82, 99, 216, 177,
            243, 29, 147, 147, 142, 167, 32, 193, 9, 185, 127, 32, 31, 202, 244, 151, 163, 254, 203, 114, 183,
            28, 34, 128, 128, 164, 53, 133, 38, 232, 244, 17, 79, 132, 105, 42, 186, 31, 120, 1, 65, 231, 169,
            57, 35, 102, 119, 11, 174, 82, 91, 128, 142, 99, 53, 140, 121, 170, 84, 203, 68};
    private static final int[] MASK = {
            2, 0, 3, 3, 0, 3, 0, 0, 0, 0, 2, 3, 0, 3, 2, 3, 3, 1, 1, 1, 0, 1, 1, 1, 3, 0, 3, 1, 2, 0, 1, 2, 0,
            2, 0};

    private static final int[] BICUBIC_11x9 = {
            182, 43, 103, 190, 50, 186, 202, 69, 248, 206, 103, 48, 224, 74, 76, 227, 11, 252, 77, 49, 129, 55,
            79, 60, 207, 84, 128, 126, 155, 201, 36, 210, 248, 127, 54, 124, 145, 59, 181, 165, 70, 219, 150,
            90, 63, 147, 81, 76, 149, 61, 205, 97, 115, 147, 118, 127, 112, 225, 80, 146, 158, 121, 175, 87,
            161, 193, 38, 80, 167, 69, 79, 174, 97, 76, 166, 51, 71, 89, 16, 94, 76, 17, 144, 122, 133, 224,
            174, 226, 208, 197, 253, 82, 177, 215, 70, 132, 178, 84, 100, 116, 129, 224, 88, 121, 197, 53, 111,
            144, 58, 121, 69, 65, 106, 73, 83, 85, 133, 153, 134, 131, 211, 166, 137, 239, 161, 164, 216, 155,
            156, 193, 156, 144, 229, 179, 250, 132, 163, 209, 28, 148, 136, 108, 173, 45, 170, 115, 81, 193, 9,
            185, 146, 2, 80, 140, 82, 46, 199, 232, 142, 183, 255, 188, 160, 255, 207, 181, 185, 113, 104, 169,
            127, 30, 143, 134, 133, 115, 87, 160, 120, 135, 112, 138, 230, 63, 71, 133, 69, 58, 96, 139, 126,
            168, 112, 163, 128, 78, 185, 91, 111, 192, 23, 70, 163, 68, 41, 112, 130, 140, 47, 133, 130, 107,
            178, 35, 231, 238, 15, 143, 166, 42, 59, 140, 102, 39, 189, 64, 85, 79, 24, 126, 0, 77, 229, 124,
            60, 155, 113, 55, 51, 112, 118, 15, 153, 114, 56, 172, 65, 138, 162, 86, 114, 99, 113, 89, 98, 128,
            89, 175, 92, 141, 103, 60, 181, 37, 62, 250, 186, 57, 150, 143, 62, 18, 102, 104, 1, 162, 107, 29,
            166, 86, 80, 119, 130, 95, 59, 156, 106, 72, 145, 123, 165, 110, 177, 120, 84, 216, 66};
    private static final int[] BICUBIC_4x3 = {
            130, 66, 173, 126, 82, 110, 141, 119, 148, 172, 121, 166, 101, 149, 160, 96, 115, 110, 135, 102,
            135, 167, 175, 144, 71, 147, 107, 101, 68, 159, 86, 105, 133, 86, 130, 97};
    private static final int[] BICUBIC_7x2 = {
            129, 93, 167, 109, 95, 191, 113, 109, 39, 122, 75, 179, 125, 138, 116, 228, 119, 158, 137, 159,
            167, 117, 200, 130, 37, 101, 121, 138, 65, 125, 84, 134, 186, 92, 79, 84, 141, 117, 173, 85, 177,
            68};
    private static final int[] BICUBIC_3x8 = {
            200, 65, 155, 170, 54, 130, 110, 129, 164, 132, 66, 150, 125, 101, 131, 164, 118, 160, 50, 81, 148,
            77, 151, 128, 229, 118, 154, 99, 144, 164, 136, 85, 97, 201, 189, 153, 119, 165, 142, 135, 78, 120,
            136, 175, 137, 95, 137, 91, 70, 131, 187, 58, 82, 108, 78, 114, 119, 90, 93, 153, 89, 117, 104, 68,
            101, 148, 114, 57, 116, 125, 157, 106};
    private static final int[] NEAREST_11x9 = {
            2, 2, 0, 3, 3, 3, 0, 0, 3, 0, 0, 2, 2, 0, 3, 3, 3, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2, 3, 3, 0, 3, 3,
            0, 0, 0, 0, 0, 2, 3, 3, 0, 3, 3, 2, 2, 3, 3, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 3, 0, 0, 3, 1, 1,
            1, 1, 1, 1, 1, 3, 0, 0, 3, 1, 1, 2, 2, 0, 1, 1, 2, 0, 0, 2, 0, 0, 2, 2, 0, 1, 1, 2, 0, 0, 2, 0, 0};
    private static final int[] NEAREST_4x3 = {
            2, 3, 0, 0, 2, 3, 1, 0, 2, 1, 0, 0};
    private static final int[] NEAREST_13x4 = {
            2, 2, 0, 0, 3, 3, 3, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 3, 0, 0, 3, 3, 1, 1, 1, 1, 1, 1, 3,
            0, 0, 3, 3, 1, 1, 2, 2, 0, 0, 1, 1, 2, 0, 0, 2, 2, 0, 0};

    private static RgbImage source() {
        byte[] p = new byte[SOURCE.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) SOURCE[i];
        }
        return new RgbImage(7, 5, p);
    }

    private static int[] bytes(RgbImage img) {
        int[] v = new int[img.pixels().length];
        for (int i = 0; i < v.length; i++) {
            v[i] = img.pixels()[i] & 0xFF;
        }
        return v;
    }

    @Test
    void bicubic_matchesPillowUpDownAndMixed() {
        assertArrayEquals(BICUBIC_11x9, bytes(Resampling.bicubic(source(), 11, 9)), "11x9");
        assertArrayEquals(BICUBIC_4x3, bytes(Resampling.bicubic(source(), 4, 3)), "4x3");
        assertArrayEquals(BICUBIC_7x2, bytes(Resampling.bicubic(source(), 7, 2)), "7x2");
        assertArrayEquals(BICUBIC_3x8, bytes(Resampling.bicubic(source(), 3, 8)), "3x8");
    }

    @Test
    void nearest_matchesPillow() {
        assertArrayEquals(NEAREST_11x9, Resampling.nearest(MASK, 7, 5, 11, 9), "11x9");
        assertArrayEquals(NEAREST_4x3, Resampling.nearest(MASK, 7, 5, 4, 3), "4x3");
        assertArrayEquals(NEAREST_13x4, Resampling.nearest(MASK, 7, 5, 13, 4), "13x4");
    }

    @Test
    void letterbox_matchesThePublishedResizeImage() {
        // The published resize_image: bicubic to (int(iw * scale), int(ih * scale)), pasted centred on grey.
        // Pillow's canvases: 12x12 -> image 12x8 at row 2, byte sum 54030; 9x20 -> 9x6 at row 7, sum 68422.
        java.util.SplittableRandom unused = new java.util.SplittableRandom(0);
        ai.peft4j.data.LabelledImage pair = new ai.peft4j.data.LabelledImage("r", source(), new int[35]);
        RgbImage square = Letterbox.square(12).apply(pair, unused).image();
        assertEquals(54030, java.util.Arrays.stream(bytes(square)).sum());
        assertEquals(0xB42A66, square.rgb(0, 2));
        assertEquals(0x54D740, square.rgb(11, 9));
        assertEquals(0x808080, square.rgb(5, 1));
        assertEquals(0x808080, square.rgb(5, 10));
        RgbImage tall = new Letterbox(9, 20).apply(pair, unused).image();
        assertEquals(68422, java.util.Arrays.stream(bytes(tall)).sum());
        assertEquals(0xB02C6D, tall.rgb(0, 7));
    }
}
