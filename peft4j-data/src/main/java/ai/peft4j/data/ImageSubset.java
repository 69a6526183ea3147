package ai.peft4j.data;

import ai.peft4j.data.image.Palette;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Part of a data set without writing new split lists: every {@code step}-th pair (a quick run on part of a set;
 * spreading the picks over the whole list keeps every class folder represented), or a set with a chosen share of
 * defect-free images.
 */
public final class ImageSubset implements ImageDataset {
    private final ImageDataset source;
    private final int[] indices;

    private ImageSubset(ImageDataset source, int[] indices) {
        this.source = source;
        this.indices = indices;
    }

    /** {@code limit} pairs spread evenly over {@code source}; all of it when it holds no more than that. */
    public static ImageDataset spread(ImageDataset source, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("a subset needs at least one pair, got " + limit);
        }
        if (limit >= source.size()) {
            return source;
        }
        int[] picks = new int[limit];
        for (int i = 0; i < limit; i++) {
            picks[i] = (int) ((long) i * source.size() / limit);
        }
        return new ImageSubset(source, picks);
    }

    /**
     * At most {@code limit} pairs, of which at most {@code freeShare * limit} are defect-free (as {@code free} says)
     * and defective ones fill the rest as far as there are any; each group's picks spread evenly over the list. Most
     * inspection sets are mostly defect-free images, and a few hundred picked blindly hold too few defects to learn
     * from: an engineer labelling a new product line keeps every defective image and tops it up with defect-free
     * ones.
     */
    public static ImageSubset defectShare(ImageDataset source, int limit, double freeShare, IntPredicate free) {
        if (limit < 1) {
            throw new IllegalArgumentException("a subset needs at least one pair, got " + limit);
        }
        if (!(freeShare >= 0 && freeShare <= 1)) {
            throw new IllegalArgumentException("the defect-free share must lie in [0, 1], got " + freeShare);
        }
        List<Integer> defective = new ArrayList<>();
        List<Integer> clean = new ArrayList<>();
        for (int i = 0; i < source.size(); i++) {
            (free.test(i) ? clean : defective).add(i);
        }
        int total = Math.min(limit, source.size());
        int cleanCount = Math.min(clean.size(), (int) Math.round(total * freeShare));
        int defectiveCount = Math.min(defective.size(), total - cleanCount);
        int[] picks = new int[defectiveCount + cleanCount];
        int n = 0;
        for (int i = 0; i < defectiveCount; i++) {
            picks[n++] = defective.get((int) ((long) i * defective.size() / defectiveCount));
        }
        for (int i = 0; i < cleanCount; i++) {
            picks[n++] = clean.get((int) ((long) i * clean.size() / cleanCount));
        }
        Arrays.sort(picks);
        if (picks.length == 0) {
            throw new IllegalArgumentException("no pairs to pick from " + source.name());
        }
        return new ImageSubset(source, picks);
    }

    /** The index in the whole data set of this subset's pair {@code index}. */
    public int sourceIndex(int index) {
        return indices[index];
    }

    @Override
    public LabelledImage read(int index) {
        return source.read(indices[index]);
    }

    @Override
    public List<Path> files(int index) {
        return source.files(indices[index]);
    }

    @Override
    public Palette palette() {
        return source.palette();
    }

    @Override
    public String name() {
        return source.name() + "[" + indices.length + " of " + source.size() + "]";
    }

    @Override
    public List<String> classNames() {
        return source.classNames();
    }

    @Override
    public int ignoreLabel() {
        return source.ignoreLabel();
    }

    @Override
    public int size() {
        return indices.length;
    }
}
