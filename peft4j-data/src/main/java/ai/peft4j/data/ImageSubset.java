package ai.peft4j.data;

import ai.peft4j.data.image.Palette;
import java.util.List;

/**
 * Every {@code step}-th pair of a data set, at most {@code limit} of them: a quick run on part of a set without
 * writing new split lists. Spreading the picks over the whole list keeps every class folder represented.
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

    @Override
    public LabelledImage read(int index) {
        return source.read(indices[index]);
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
