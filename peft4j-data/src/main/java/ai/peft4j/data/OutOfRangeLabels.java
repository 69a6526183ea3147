package ai.peft4j.data;

/** What to do with a mask value that is not a class id (at least the class count). */
public enum OutOfRangeLabels {
    /** Refuse the mask, naming the value and where it is: the default, since it usually means a wrong class list. */
    ERROR,
    /**
     * Map the value to the ignore label, as the published loader does for every value at or above the class count
     * (VOC's 255 object borders, for example); the data set counts such pixels.
     */
    IGNORE
}
