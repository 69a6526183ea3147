package ai.peft4j.spark;

/** The Spark versions this module is built and tested for: 4.x on Scala 2.13 (built against 4.0.1). */
public final class SparkVersions {
    /** Lowest supported version, inclusive. */
    public static final String FROM = "4.0.0";
    /** First unsupported major version. */
    public static final int BEFORE_MAJOR = 5;

    private SparkVersions() {}

    /** Throws when {@code version} (as {@code SparkSession.version()} gives it, e.g. 4.0.1) is not supported. */
    public static void requireSupported(String version) {
        String[] parts = version == null ? new String[0] : version.split("[.-]");
        int major;
        try {
            major = parts.length >= 2 ? Integer.parseInt(parts[0]) : -1;
            Integer.parseInt(parts[1]);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            major = -1;
        }
        if (major < 0) {
            throw new IllegalStateException("cannot read the Spark version '" + version + "'; peft4j-spark needs "
                    + "Spark " + FROM + " or later 4.x");
        }
        if (major < 4 || major >= BEFORE_MAJOR) {
            throw new IllegalStateException("Spark " + version + " is not supported: peft4j-spark needs Spark "
                    + FROM + " or a later 4.x on Scala 2.13 (use a cluster or a spark-submit of that version)");
        }
    }
}
