package ai.peft4j.infer.video;

import ai.peft4j.data.image.RgbImage;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;

/** Copies between {@link RgbImage} and the BGR {@link BufferedImage} that JCodec's AWT bridge reads and writes. */
final class AwtImages {
    private AwtImages() {}

    static BufferedImage toBgr(RgbImage image) {
        BufferedImage img = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        byte[] rgb = image.pixels();
        for (int i = 0; i < rgb.length; i += 3) {
            bgr[i] = rgb[i + 2];
            bgr[i + 1] = rgb[i + 1];
            bgr[i + 2] = rgb[i];
        }
        return img;
    }

    static RgbImage fromBgr(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] out = new byte[3 * w * h];
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR && img.getRaster().getParent() == null
                && img.getRaster().getDataBuffer() instanceof DataBufferByte db && db.getData().length == out.length) {
            byte[] bgr = db.getData();
            for (int i = 0; i < out.length; i += 3) {
                out[i] = bgr[i + 2];
                out[i + 1] = bgr[i + 1];
                out[i + 2] = bgr[i];
            }
        } else {
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < argb.length; i++) {
                out[3 * i] = (byte) (argb[i] >> 16);
                out[3 * i + 1] = (byte) (argb[i] >> 8);
                out[3 * i + 2] = (byte) argb[i];
            }
        }
        return new RgbImage(w, h, out);
    }
}
