package ai.peft4j.app.config;

import java.util.List;
import java.util.Locale;

/**
 * Where the images and masks are and how to read them.
 *
 * @param layout {@code voc} (JPEGImages, SegmentationClass, ImageSets/Segmentation) or {@code folder} (one folder
 *     per class, as magnetic tile; split lists written by {@code peft4j split})
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
 * @param folderPrefix prefix of the class folders ({@code folder} only)
 * @param imagesFolder sub-folder of a class folder holding the pairs, empty for the class folder itself
 * @param defectFree folder classes whose images hold no defect
 * @param maskThreshold grey mask values at or above this are defect ({@code folder} only)
 */
public record DataSection(String layout, String root, String trainSplit, String valSplit, String testSplit, String lists,
        List<String> classNames, List<List<Integer>> palette, String outOfRange, boolean colourMasks,
        String folderPrefix, String imagesFolder, List<String> defectFree, int maskThreshold) {
    public static final List<String> LAYOUTS = List.of("voc", "folder");

    public DataSection {
        layout = layout == null ? "" : layout.toLowerCase(Locale.ROOT);
        if (!LAYOUTS.contains(layout)) {
            throw new IllegalArgumentException("data.layout must be voc or folder, got '" + layout + "'");
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
        defectFree = defectFree == null ? List.of() : List.copyOf(defectFree);
    }
}
