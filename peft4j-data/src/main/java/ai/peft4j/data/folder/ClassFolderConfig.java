package ai.peft4j.data.folder;

import ai.peft4j.data.image.Palette;
import java.util.List;

/**
 * How to read a folder-per-class data set.
 *
 * @param classNames class names by id, background first; empty derives them from the folder names: background,
 *     then each defect folder's class in name order
 * @param palette class colours (default: the VOC colour map)
 * @param folderPrefix the prefix of class folders; the rest of the name is the class (default {@code MT_})
 * @param imagesFolder the sub-folder of a class folder holding the pairs, or empty for the class folder itself
 *     (default {@code Imgs})
 * @param defectFreeClasses classes whose images hold no defect: all their pixels are background, and they are
 *     not classes of their own (default {@code Free})
 * @param maskThreshold grey mask values at or above this are defect (default 128: the masks are anti-aliased)
 */
public record ClassFolderConfig(List<String> classNames, Palette palette, String folderPrefix, String imagesFolder,
        List<String> defectFreeClasses, int maskThreshold) {
    public ClassFolderConfig {
        classNames = classNames == null ? List.of() : List.copyOf(classNames);
        if (palette == null) {
            palette = Palette.voc();
        }
        if (folderPrefix == null) {
            folderPrefix = "MT_";
        }
        if (imagesFolder == null) {
            imagesFolder = "Imgs";
        }
        defectFreeClasses = defectFreeClasses == null ? List.of("Free") : List.copyOf(defectFreeClasses);
        if (maskThreshold < 1 || maskThreshold > 255) {
            throw new IllegalArgumentException("mask threshold must lie in 1-255, got " + maskThreshold);
        }
    }

    /** The magnetic tile layout: {@code MT_<Class>/Imgs}, {@code MT_Free} defect-free, threshold 128. */
    public static ClassFolderConfig defaults() {
        return new ClassFolderConfig(List.of(), null, null, null, null, 128);
    }

    public ClassFolderConfig withClassNames(List<String> names) {
        return new ClassFolderConfig(names, palette, folderPrefix, imagesFolder, defectFreeClasses, maskThreshold);
    }
}
