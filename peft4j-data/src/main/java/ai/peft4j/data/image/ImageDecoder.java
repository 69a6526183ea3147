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
import java.util.Arrays;
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
    /**
     * The default largest image, in pixels: Pillow's {@code Image.MAX_IMAGE_PIXELS} (a quarter gigabyte over three
     * bytes a pixel), which refuses decompression bombs, a few hundred bytes of PNG that claim gigapixels.
     */
    public static final long DEFAULT_MAX_PIXELS = 1024L * 1024 * 1024 / 4 / 3;

    /** The system property that raises or lowers {@link #DEFAULT_MAX_PIXELS}. */
    public static final String MAX_PIXELS_PROPERTY = "peft4j.maxImagePixels";

    private static final byte[] PNG_END = {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xAE, 0x42, 0x60, (byte) 0x82};

    private ImageDecoder() {}

    /** The largest image decoded, in pixels: {@value #MAX_PIXELS_PROPERTY} if set, else the default. */
    public static long maxPixels() {
        String v = System.getProperty(MAX_PIXELS_PROPERTY);
        if (v == null || v.isBlank()) {
            return DEFAULT_MAX_PIXELS;
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + MAX_PIXELS_PROPERTY + "=" + v + ": expected a positive whole "
                + "number of pixels (default " + DEFAULT_MAX_PIXELS + ")");
    }

    /**
     * Checks that a file is an image that can be decoded, without decoding its pixels where it can: the header
     * gives the format and size (refused above {@link #maxPixels()}), and a JPEG that ends with its end-of-image
     * marker or a PNG that ends with its IEND chunk is complete. Anything else, a truncated file or another
     * format, is decoded in full, so a file passes exactly when {@link #decode(Path)} would read it.
     *
     * @return the image's width and height
     */
    public static int[] probe(Path file) {
        byte[] bytes = readBytes(file);
        return probe(bytes, file, maxPixels());
    }

    /**
     * As {@link #probe(Path)}, for an image held in memory (an upload), refused above {@code maxPixels} before its
     * pixels are decoded, as a service with its own limit needs; {@code file} names it in errors.
     */
    public static int[] probe(byte[] bytes, Path file, long maxPixels) {
        if (bytes.length == 0) {
            throw new DataException(file, "file is empty");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (readers.hasNext()) {
                ImageReader reader = readers.next();
                try {
                    reader.setInput(in, true, true);
                    String format = reader.getFormatName().toLowerCase(Locale.ROOT);
                    int[] size = {reader.getWidth(0), reader.getHeight(0)};
                    checkSize(file, size[0], size[1], maxPixels);
                    boolean complete = format.equals("jpeg") ? endsWithJpegEnd(bytes)
                            : format.equals("png") && endsWithPngEnd(bytes);
                    if (complete) {
                        return size;
                    }
                } catch (IOException | RuntimeException e) {
                    if (e instanceof DataException d) {
                        throw d;
                    }
                    // The full decode below says what is wrong.
                } finally {
                    reader.dispose();
                }
            }
        } catch (IOException e) {
            throw new DataException(file, "cannot be read: " + e.getMessage(), e);
        }
        BufferedImage img = decode(bytes, file);
        return new int[] {img.getWidth(), img.getHeight()};
    }

    /** An end-of-image marker, perhaps followed by a little padding, as some cameras write. */
    private static boolean endsWithJpegEnd(byte[] b) {
        for (int i = b.length - 2; i >= Math.max(0, b.length - 256); i--) {
            if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == 0xD9) {
                return true;
            }
        }
        return false;
    }

    private static boolean endsWithPngEnd(byte[] b) {
        return b.length > PNG_END.length && Arrays.equals(b, b.length - PNG_END.length, b.length, PNG_END, 0,
                PNG_END.length);
    }

    private static void checkSize(Path file, int width, int height) {
        checkSize(file, width, height, maxPixels());
    }

    private static void checkSize(Path file, int width, int height, long max) {
        long pixels = (long) width * height;
        if (pixels > max && max != maxPixels()) {
            throw new DataException(file, String.format(Locale.ROOT, "image is %dx%d (%,d pixels), more than the "
                    + "limit of %,d pixels; send a smaller image", width, height, pixels, max));
        }
        if (pixels > max) {
            throw new DataException(file, String.format(Locale.ROOT, "image is %dx%d (%,d pixels), more than the "
                    + "limit of %,d pixels (Pillow's decompression-bomb limit); shrink the image, or raise the limit "
                    + "with -D%s=N (e.g. in JAVA_TOOL_OPTIONS)", width, height, pixels, max, MAX_PIXELS_PROPERTY));
        }
    }

    /** Running out of memory on one image, said as what to change. */
    private static DataException outOfMemory(Path file, int width, int height) {
        String size = width < 0 ? "this image" : String.format(Locale.ROOT, "this %dx%d image (%,d MB as RGB)",
                width, height, 3L * width * height >> 20);
        return new DataException(file, "out of memory decoding " + size + "; load fewer images at once (a smaller "
                + "batch, fewer workers, a smaller image size), shrink the image, or give Java more memory (e.g. "
                + "JAVA_TOOL_OPTIONS=-Xmx8g)");
    }

    /**
     * Reads an image as 8-bit RGB: grey images are copied to all three channels (without the colour management
     * that {@code BufferedImage.getRGB} applies to grey), palette images take their palette's colours, alpha is
     * dropped and 16-bit samples keep their high byte, as PIL's {@code convert("RGB")} does.
     */
    public static RgbImage readRgb(Path file) {
        BufferedImage img = decode(file);
        try {
            return toRgb(img, file);
        } catch (OutOfMemoryError e) {
            throw outOfMemory(file, img.getWidth(), img.getHeight());
        }
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
        return readMask(decode(file), file);
    }

    /** As {@link #readMask(Path)}, for a mask already in memory; {@code source} names it in errors. */
    public static MaskRaster readMask(byte[] encoded, Path source) {
        return readMask(decode(encoded, source), source);
    }

    private static MaskRaster readMask(BufferedImage img, Path file) {
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

    /**
     * The brightness of each pixel of a mask file on 0-255, whatever its format, for masks that mark defects by
     * brightness rather than by class id (binary masks of 0 and 255, anti-aliased or JPEG-compressed ones): the
     * brightest of a pixel's red, green and blue, through the palette for an indexed file (a 1-bit PNG's two
     * entries are black and white), the grey sample scaled to 8 bits for 1- to 16-bit grey; alpha is ignored.
     */
    public static MaskRaster readMaskLevels(Path file) {
        BufferedImage img = decode(file);
        int w = img.getWidth();
        int h = img.getHeight();
        Raster raster = img.getRaster();
        ColorModel cm = img.getColorModel();
        int bands = raster.getNumBands();
        int[] levels = new int[w * h];
        if (cm instanceof IndexColorModel icm) {
            int[] index = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            int[] byIndex = new int[icm.getMapSize()];
            for (int i = 0; i < byIndex.length; i++) {
                byIndex[i] = Math.max(icm.getRed(i), Math.max(icm.getGreen(i), icm.getBlue(i)));
            }
            for (int i = 0; i < levels.length; i++) {
                levels[i] = index[i] < byIndex.length ? byIndex[index[i]] : 0;
            }
        } else if (bands <= 2) {
            int bits = raster.getSampleModel().getSampleSize(0);
            int max = (1 << bits) - 1;
            int[] grey = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < levels.length; i++) {
                levels[i] = bits == 8 ? grey[i] : (int) Math.round(grey[i] * 255.0 / max);
            }
        } else if (cm.getColorSpace().getType() == ColorSpace.TYPE_RGB) {
            int bits = raster.getSampleModel().getSampleSize(0);
            int max = (1 << bits) - 1;
            int[] px = raster.getPixels(0, 0, w, h, (int[]) null);
            for (int i = 0, j = 0; i < levels.length; i++, j += bands) {
                int m = Math.max(px[j], Math.max(px[j + 1], px[j + 2]));
                levels[i] = bits == 8 ? m : (int) Math.round(m * 255.0 / max);
            }
        } else {
            throw new DataException(file, "mask has " + bands + " channels in a " + colourSpaceName(cm)
                    + " colour space; expected a grey, indexed or RGB image");
        }
        return new MaskRaster(w, h, levels, false, bands);
    }

    /** The whole file; a missing, unreadable or empty file is a {@link DataException} naming it. */
    private static byte[] readBytes(Path file) {
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
        return bytes;
    }

    /** Decodes a file with the reader its content calls for, treating decoder warnings as errors. */
    public static BufferedImage decode(Path file) {
        byte[] bytes = readBytes(file);
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
            int width = -1;
            int height = -1;
            try {
                reader.setInput(in, true, true);
                width = reader.getWidth(0);
                height = reader.getHeight(0);
                // Refused before the decoder allocates: a 60000x60000 PNG header is a few bytes.
                checkSize(file, width, height);
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
            } catch (OutOfMemoryError e) {
                throw outOfMemory(file, width, height);
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
