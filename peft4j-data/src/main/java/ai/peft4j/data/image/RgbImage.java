package ai.peft4j.data.image;

/**
 * An 8-bit RGB image, row-major with interleaved channels ({@code [height, width, 3]} flattened), as PIL and
 * OpenCV hold one.
 *
 * @param width columns
 * @param height rows
 * @param pixels {@code 3 * width * height} bytes, R, G, B per pixel
 */
public record RgbImage(int width, int height, byte[] pixels) {
    public RgbImage {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (pixels.length != 3 * width * height) {
            throw new IllegalArgumentException("an " + width + "x" + height + " RGB image needs "
                    + 3 * width * height + " bytes, got " + pixels.length);
        }
    }

    /** An image of one colour. */
    public static RgbImage filled(int width, int height, int red, int green, int blue) {
        byte[] p = new byte[3 * width * height];
        for (int i = 0; i < p.length; i += 3) {
            p[i] = (byte) red;
            p[i + 1] = (byte) green;
            p[i + 2] = (byte) blue;
        }
        return new RgbImage(width, height, p);
    }

    /** Channel {@code c} (0 red, 1 green, 2 blue) at column {@code x}, row {@code y}, in 0-255. */
    public int get(int x, int y, int c) {
        return pixels[3 * (y * width + x) + c] & 0xFF;
    }

    /** The pixel as {@code 0xRRGGBB}. */
    public int rgb(int x, int y) {
        int i = 3 * (y * width + x);
        return (pixels[i] & 0xFF) << 16 | (pixels[i + 1] & 0xFF) << 8 | pixels[i + 2] & 0xFF;
    }

    /** Channels first ({@code [3, height, width]} flattened), divided by 255. */
    public float[] toChannelsFirst() {
        int n = width * height;
        float[] out = new float[3 * n];
        for (int i = 0; i < n; i++) {
            out[i] = (pixels[3 * i] & 0xFF) / 255f;
            out[n + i] = (pixels[3 * i + 1] & 0xFF) / 255f;
            out[2 * n + i] = (pixels[3 * i + 2] & 0xFF) / 255f;
        }
        return out;
    }
}
