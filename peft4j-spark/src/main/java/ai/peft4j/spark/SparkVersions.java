package ai.peft4j.spark;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Spark versions this module is built and tested for: 4.x on Scala 2.13 (built against 4.0.1). */
public final class SparkVersions {
    /** Lowest supported version. */
    public static final String FROM = "4.0.0";
    private static final Pattern MAJOR_MINOR = Pattern.compile("(\\d+)\\.(\\d+)(\\..*)?");

    private SparkVersions() {}

    /** Throws when {@code version} (as {@code SparkSession.version()} gives it, e.g. 4.0.1) is not 4.x. */
    public static void requireSupported(String version) {
        Matcher m = MAJOR_MINOR.matcher(version == null ? "" : version);
        if (!m.matches()) {
            throw new IllegalStateException("cannot read the Spark version '" + version + "'; peft4j-spark needs "
                    + "Spark " + FROM + " or a later 4.x");
        }
        // Spark 3 runs Scala 2.12 or 2.13 with other ML APIs; 5 may drop what this module calls.
        if (Integer.parseInt(m.group(1)) != 4) {
            throw new IllegalStateException("Spark " + version + " is not supported: peft4j-spark needs Spark "
                    + FROM + " or a later 4.x on Scala 2.13 (use a cluster or a spark-submit of that version)");
        }
    }
}
