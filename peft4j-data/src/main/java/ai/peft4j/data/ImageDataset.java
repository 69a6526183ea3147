package ai.peft4j.data;

import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.Palette;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A data set of decoded images with masks. {@link #get} returns a pair at its own size; transforms (letterbox,
 * augmentation) work on {@link #read} and the batch loader applies them.
 */
public interface ImageDataset extends SegmentationDataset {
    /** Decodes and checks pair {@code index}; a bad file raises a {@link DataException} naming it. */
    LabelledImage read(int index);

    @Override
    default Sample get(int index) {
        return read(index).toSample();
    }

    /** Class colours for masks written or shown; the VOC colour map unless the data set is configured otherwise. */
    default Palette palette() {
        return Palette.voc();
    }

    /**
     * The files pair {@code index} is read from (image, then mask where it has one), so that a command writing
     * next to its data can refuse to replace them; empty for a data set made in memory.
     */
    default List<Path> files(int index) {
        return List.of();
    }

    /** Mask pixels mapped to the ignore label so far, when out-of-range values are ignored rather than refused. */
    default long ignoredPixels() {
        return 0;
    }

    /**
     * Checks that every file of every pair can be decoded, cheaply (headers, and the ends of JPEG and PNG files;
     * see {@link ImageDecoder#probe}), on the common pool: a damaged validation image is found before training
     * rather than at the first validation. Reports every problem found; masks' values are checked by {@link #read}.
     */
    default CheckReport checkFiles() {
        Problem[] found = new Problem[size()];
        IntStream.range(0, size()).parallel().forEach(i -> {
            try {
                for (Path f : files(i)) {
                    ImageDecoder.probe(f);
                }
            } catch (DataException e) {
                found[i] = e.toProblem();
            }
        });
        List<Problem> problems = new ArrayList<>();
        for (Problem p : found) {
            if (p != null) {
                problems.add(p);
            }
        }
        return new CheckReport(name(), size(), problems, 0, 0);
    }

    /** Reads every pair (on the common pool) and reports every problem found. */
    default CheckReport check() {
        Problem[] found = new Problem[size()];
        long[] ignored = new long[size()];
        IntStream.range(0, size()).parallel().forEach(i -> {
            try {
                LabelledImage pair = read(i);
                int n = 0;
                for (int v : pair.mask()) {
                    if (v == ignoreLabel()) {
                        n++;
                    }
                }
                ignored[i] = n;
            } catch (DataException e) {
                found[i] = e.toProblem();
            }
        });
        List<Problem> problems = new ArrayList<>();
        int masks = 0;
        long pixels = 0;
        for (int i = 0; i < found.length; i++) {
            if (found[i] != null) {
                problems.add(found[i]);
            }
            if (ignored[i] > 0) {
                masks++;
                pixels += ignored[i];
            }
        }
        return new CheckReport(name(), size(), problems, pixels, masks);
    }
}
