package ai.peft4j.data;

import java.util.List;

/**
 * An indexed collection of labelled images. Class 0 is background; pixels labelled {@link #ignoreLabel()} take no
 * part in losses or metrics.
 */
public interface SegmentationDataset {
    /** A name for reports, e.g. {@code neu-seg/train}. */
    String name();

    /** Class names by id, background first. */
    List<String> classNames();

    default int numClasses() {
        return classNames().size();
    }

    /** The label of pixels to ignore: the class count, as the published code maps out-of-range values. */
    default int ignoreLabel() {
        return numClasses();
    }

    int size();

    /** Loads sample {@code index}; a bad file raises an exception that names it and what is wrong. */
    Sample get(int index);
}
