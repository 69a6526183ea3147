package ai.peft4j.app.config;

import java.util.List;
import java.util.Locale;

/**
 * Where the images and masks are and how to read them.
 *
 * @param layout {@code voc} (JPEGImages, SegmentationClass, ImageSets/Segmentation) or {@code folder} (one folder
 *     per class, as magnetic tile; split lists written by {@code peft4j split}); for {@code task: classification}
 *     {@code image-folder} ({@code root/<split>/<class>/*.jpg}, or {@code root/<class>/*.jpg} split 6:2:2 per
 *     class) or {@code name-class} (NEU-DET: {@code JPEGImages/<class>_<n>.jpg}, {@code ImageSets/Main}); for
 *     {@code task: detection} {@code jsonl} ({@code root/<split>.jsonl}, written by {@code peft4j boxes})
 * @param root the data set's folder (relative paths are relative to the working directory)
 * @param trainSplit the split list to train on
 * @param valSplit the split list to validate on; empty for no validation
 * @param testSplit the split list {@code eval} scores
 * @param lists the folder holding the split lists ({@code <split>.txt}); empty for the data set's own
 *     {@code ImageSets/Segmentation} (a read-only data set gets its lists elsewhere with
 *     {@code peft4j split --output DIR})
 * @param classNames class names by id, background first; required for {@code voc}, derived from the folder names
 *     when empty for {@code folder}
 * @param palette class colours as {@code [r, g, b]} triples by class id; empty for the VOC colour map
 * @param outOfRange mask values at or above the class count: {@code error} (refuse the mask) or {@code ignore} (map
 *     them to the ignore label, which is the class count, as the published loader does)
 * @param colourMasks whether RGB masks are read through the palette ({@code voc} only)
 * @param binaryMasks whether masks mark the one defect class by brightness ({@code voc} only, two classes): class 1
 *     where a pixel's brightest channel is at least {@code maskThreshold}, as binary masks of 0 and 255 (grey,
 *     colour, 1-bit, 16-bit or JPEG) come in many defect data sets; otherwise mask values are class ids
 * @param folderPrefix prefix of the class folders ({@code folder} only)
 * @param imagesFolder sub-folder of a class folder holding the pairs, empty for the class folder itself
 * @param defectFree folder classes whose images hold no defect
 * @param maskThreshold grey mask values at or above this are defect ({@code folder}, and {@code voc} with
 *     {@code binaryMasks})
 * @param sampling {@code letterbox} (each image letterboxed whole into {@code model.image_size}, the published way)
 *     or {@code crops} (square crops at native resolution for training; validation, {@code eval}, {@code predict}
 *     score whole images by sliding windows of the crop size)
 * @param cropSize side of a training crop and of an inference tile; 0 for {@code model.image_size}
 * @param scale factor images are resized by before cropping and tiling (bicubic; masks nearest); 1 keeps native
 *     pixels
 * @param defectShare share of crops centred on a random defect pixel (the class drawn first, uniformly among the
 *     defect classes in the data, so rare classes come as often as common ones); the rest lie anywhere
 * @param tileOverlap share of a tile that neighbouring tiles share at inference, in [0, 1)
 * @param rotate90 turn each crop by a random multiple of 90 degrees (on top of the flip and HSV jitter of
 *     {@code training.augment})
 * @param classes classification only: the classes to keep, by name (e.g. three of NEU-DET's six); the other
 *     classes' images are left out of every split and class ids follow the data set's own order of the kept ones;
 *     empty for all classes
 */
public record DataSection(String layout, String root, String trainSplit, String valSplit, String testSplit, String lists,
        List<String> classNames, List<List<Integer>> palette, String outOfRange, boolean colourMasks,
        boolean binaryMasks, String folderPrefix, String imagesFolder, List<String> defectFree, int maskThreshold, String sampling,
        int cropSize, double scale, double defectShare, double tileOverlap, boolean rotate90,
        List<String> classes) {
    public static final List<String> LAYOUTS = List.of("voc", "folder", "image-folder", "name-class", "jsonl");
    public static final List<String> SAMPLINGS = List.of("letterbox", "crops");

    public DataSection {
        layout = layout == null ? "" : layout.toLowerCase(Locale.ROOT);
        if (!LAYOUTS.contains(layout)) {
            throw new IllegalArgumentException("data.layout must be voc or folder (segmentation), image-folder or "
                    + "name-class (classification), jsonl (detection), got '" + layout + "'");
        }
        root = root == null ? "" : root;
        valSplit = valSplit == null ? "" : valSplit;
        lists = lists == null ? "" : lists;
        classNames = classNames == null ? List.of() : List.copyOf(classNames);
        palette = palette == null ? List.of() : palette.stream().map(List::copyOf).toList();
        for (List<Integer> c : palette) {
            if (c.size() != 3) {
                throw new IllegalArgumentException("data.palette holds [r, g, b] triples, got " + c);
            }
        }
        outOfRange = outOfRange == null ? "error" : outOfRange.toLowerCase(Locale.ROOT);
        if (!List.of("error", "ignore").contains(outOfRange)) {
            throw new IllegalArgumentException("data.out_of_range must be error or ignore, got '" + outOfRange + "'");
        }
        if (binaryMasks && !layout.equals("voc")) {
            throw new IllegalArgumentException("data.binary_masks reads voc masks by brightness; a " + layout
                    + " data set has its own mask format");
        }
        if (binaryMasks && colourMasks) {
            throw new IllegalArgumentException("data.binary_masks reads masks by brightness, data.colour_masks "
                    + "through the palette: set one of them");
        }
        if (maskThreshold < 1 || maskThreshold > 255) {
            throw new IllegalArgumentException("data.mask_threshold is a grey level in 1-255 (defect at or above "
                    + "it), got " + maskThreshold);
        }
        defectFree = defectFree == null ? List.of() : List.copyOf(defectFree);
        classes = classes == null ? List.of() : List.copyOf(classes);
        if (!classes.isEmpty() && !List.of("image-folder", "name-class").contains(layout)) {
            throw new IllegalArgumentException("data.classes picks classes of classification data (image-folder or "
                    + "name-class), not of data.layout " + layout);
        }
        if (classes.stream().distinct().count() != classes.size()) {
            throw new IllegalArgumentException("data.classes names a class twice: " + classes);
        }
        sampling = sampling == null ? "letterbox" : sampling.toLowerCase(Locale.ROOT);
        if (!SAMPLINGS.contains(sampling)) {
            throw new IllegalArgumentException("data.sampling must be letterbox or crops, got '" + sampling + "'");
        }
        if (cropSize != 0 && (cropSize < 16 || cropSize % 16 != 0)) {
            throw new IllegalArgumentException("data.crop_size must be 0 (model.image_size) or a multiple of 16 "
                    + "(the decoders start at 1/16 of the input), got " + cropSize);
        }
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("data.scale must be a positive factor (1 keeps native pixels), got "
                    + scale);
        }
        if (!(defectShare >= 0 && defectShare <= 1)) {
            throw new IllegalArgumentException("data.defect_share must be between 0 and 1 (a share of the crops), "
                    + "got " + defectShare);
        }
        if (!(tileOverlap >= 0 && tileOverlap < 1)) {
            throw new IllegalArgumentException("data.tile_overlap is a share of the tile, at least 0 and smaller "
                    + "than 1 (e.g. 0.25), got " + tileOverlap);
        }
    }

    /** Whether training cuts crops (and inference slides windows) rather than letterboxing whole images. */
    public boolean crops() {
        return sampling.equals("crops");
    }

    /** The crop and tile side: {@code crop_size}, or the model's input side when it is 0. */
    public int cropSide(int imageSize) {
        return cropSize > 0 ? cropSize : imageSize;
    }
}
