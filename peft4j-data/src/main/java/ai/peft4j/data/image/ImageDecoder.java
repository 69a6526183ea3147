package ai.peft4j.data.image;

import ai.peft4j.data.DataException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes image files with the JDK's {@code javax.imageio}, choosing the decoder by the file's content, so that a
 * PNG named {@code .jpg} reads as a PNG. Decoder warnings (a JPEG that ends early decodes to grey with only a
 * warning) are errors here. Every failure is a {@link DataException} naming the file.
 */
public final class ImageDecoder {
    private ImageDecoder() {}

    /**
     * Reads an image as 8-bit RGB: grey images are copied to all three channels (without the colour management
     * that {@code BufferedImage.getRGB} applies to grey), palette images take their palette's colours, alpha is
     * dropped and 16-bit samples keep their high byte, as PIL's {@code convert("RGB")} does.
     */
    public static RgbImage readRgb(Path file) {
        return toRgb(decode(file), file);
    }

    /** As {@link #readRgb(Path)}, for an image already in memory; {@code source} names it in errors. */
    public static RgbImage readRgb(byte[] encoded, Path source) {
        return toRgb(decode(encoded, source), source);
    }

    /**
     * Reads a mask's raw values: the palette index or grey level of a single-channel file, or the colour of an
     * RGB(A) file. Two-channel (grey and alpha) files and samples wider than 8 bits are refused.
     */
    public static MaskRaster readMask(Path file) {
        BufferedImage img = decode(file);
        int w = img.getWidth();
        int h = img.getHeight();
        Raster raster = img.getRaster();
        ColorModel cm = img.getColorModel();
        int bands = raster.getNumBands();
        int bits = raster.getSampleModel().getSampleSize(0);
        if (bits > 8) {
            throw new DataException(file, "mask has " + bits + "-bit samples; expected 8-bit class ids (an index "
                    + "or grey PNG whose value is the class id)");
        }
        if (cm instanceof IndexColorModel || bands == 1) {
            return new MaskRaster(w, h, raster.getSamples(0, 0, w, h, 0, (int[]) null), false, 1);
        }
        if (bands == 2) {
            throw new DataException(file, "mask has 2 channels (grey and alpha); expected one channel of class "
                    + "ids (an 8-bit index or grey PNG)");
        }
        if (bands >= 3 && cm.getColorSpace().getType() == ColorSpace.TYPE_RGB) {
            int[] px = raster.getPixels(0, 0, w, h, (int[]) null);
            int[] rgb = new int[w * h];
            for (int i = 0, j = 0; i < rgb.length; i++, j += bands) {
                rgb[i] = px[j] << 16 | px[j + 1] << 8 | px[j + 2];
            }
            return new MaskRaster(w, h, rgb, true, bands);
        }
        throw new DataException(file, "mask has " + bands + " channels in a " + colourSpaceName(cm)
                + " colour space; expected one channel of class ids (an 8-bit index or grey PNG)");
    }

    /** Decodes a file with the reader its content calls for, treating decoder warnings as errors. */
    public static BufferedImage decode(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataException(file, "file not found");
        } catch (IOException e) {
            throw new DataException(file, "cannot be read: " + e.getMessage(), e);
        }
        if (bytes.length == 0) {
            throw new DataException(file, "file is empty");
        }
        return decode(bytes, file);
    }

    /** Decodes an image held in memory, treating decoder warnings as errors; {@code file} names it in errors. */
    public static BufferedImage decode(byte[] bytes, Path file) {
        // A memory stream: ImageIO's default would cache to temporary files.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new DataException(file, "not an image in a format that can be read (JPEG, PNG, BMP, GIF, "
                        + "TIFF); it starts with bytes " + hexStart(bytes));
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName().toUpperCase(Locale.ROOT);
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            try {
                reader.setInput(in, true, true);
                BufferedImage img = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new DataException(file, "damaged " + format + " image (" + warnings.get(0)
                            + "); it may be truncated");
                }
                return img;
            } catch (IOException | RuntimeException e) {
                if (e instanceof DataException d) {
                    throw d;
                }
                throw new DataException(file, "cannot be decoded as " + format + ", it may be truncated or "
                        + "corrupt: " + describe(e), e);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new DataException(file, "cannot be read: " + e.getMessage(), e);
        }
    }

    static RgbImage toRgb(BufferedImage img, Path file) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] out = new byte[3 * w * h];
        Raster raster = img.getRaster();
        ColorModel cm = img.getColorModel();
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR
                && raster.getDataBuffer() instanceof DataBufferByte db && db.getNumBanks() == 1
                && db.getData().length == out.length && raster.getParent() == null) {
            byte[] bgr = db.getData();
            for (int i = 0; i < out.length; i += 3) {
                out[i] = bgr[i + 2];
                out[i + 1] = bgr[i + 1];
                out[i + 2] = bgr[i];
            }
            return new RgbImage(w, h, out);
        }
        if (cm instanceof IndexColorModel icm) {
            int[] idx = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < idx.length; i++) {
                int rgb = icm.getRGB(idx[i]);
                out[3 * i] = (byte) (rgb >> 16);
                out[3 * i + 1] = (byte) (rgb >> 8);
                out[3 * i + 2] = (byte) rgb;
            }
            return new RgbImage(w, h, out);
        }
        int bands = raster.getNumBands();
        int type = cm.getColorSpace().getType();
        if (type == ColorSpace.TYPE_GRAY || type == ColorSpace.TYPE_RGB && bands >= 3) {
            int bits = raster.getSampleModel().getSampleSize(0);
            int[] px = raster.getPixels(0, 0, w, h, (int[]) null);
            boolean grey = type == ColorSpace.TYPE_GRAY;
            int max = (1 << bits) - 1;
            for (int i = 0, j = 0; i < w * h; i++, j += bands) {
                for (int c = 0; c < 3; c++) {
                    int v = px[grey ? j : j + c];
                    // Wider samples keep their high byte; narrower ones (1, 2, 4-bit grey) stretch to 0-255.
                    v = bits > 8 ? v >> (bits - 8) : bits < 8 ? v * 255 / max : v;
                    out[3 * i + c] = (byte) v;
                }
            }
            return new RgbImage(w, h, out);
        }
        throw new DataException(file, "image has a " + colourSpaceName(cm) + " colour space with " + bands
                + " channels; only RGB and grey images can be used");
    }

    private static String colourSpaceName(ColorModel cm) {
        return switch (cm.getColorSpace().getType()) {
            case ColorSpace.TYPE_CMYK -> "CMYK";
            case ColorSpace.TYPE_YCbCr -> "YCbCr";
            case ColorSpace.TYPE_GRAY -> "grey";
            case ColorSpace.TYPE_RGB -> "RGB";
            default -> "non-RGB (type " + cm.getColorSpace().getType() + ")";
        };
    }

    private static String describe(Exception e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            sb.append(" (").append(c.getClass().getSimpleName());
            if (c.getMessage() != null) {
                sb.append(": ").append(c.getMessage());
            }
            sb.append(')');
        }
        return sb.toString();
    }

    private static String hexStart(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            sb.append(String.format(Locale.ROOT, "%02x", bytes[i] & 0xFF));
            if (i < 7 && i < bytes.length - 1) {
                sb.append(' ');
            }
        }
        return sb.toString();
    }
}
