package ai.peft4j.spark;

import ai.peft4j.train.metrics.VerdictThreshold;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;

/**
 * Where an executor finds its model, and how it judges a part: the key under which each executor JVM keeps one
 * loaded model. Paths are strings, resolved on the executor, so the driver need not see the same file system.
 *
 * @param checkpoint model weights (a checkpoint of {@code peft4j train}, or the base of the adapters)
 * @param config the run file giving the architecture; null for the {@code config.yaml} beside the checkpoint
 * @param adapters an adapter directory of {@code peft4j finetune} (one product line, named by its folder), or a
 *     folder of such directories (one line each); null for the base model alone
 * @param threshold a part is defective when the predicted area of some defect class exceeds this
 * @param tileBatch tiles per forward pass for a model trained on crops
 */
public record ModelSource(String checkpoint, String config, String adapters, VerdictThreshold threshold,
        int tileBatch) implements Serializable {
    public ModelSource {
        if (checkpoint == null || checkpoint.isBlank()) {
            throw new IllegalArgumentException("no checkpoint given: set the model weights (setCheckpoint)");
        }
        if (threshold == null) {
            threshold = VerdictThreshold.ANY_PIXEL;
        }
        if (tileBatch < 1) {
            throw new IllegalArgumentException("tile batch must be at least 1, got " + tileBatch);
        }
    }

    /**
     * A path as this JVM reads it: as given, else the file or unpacked archive of that name that
     * {@code spark-submit --files} / {@code --archives} (or {@code SparkContext.addFile} / {@code addArchive})
     * shipped: in the executor's working folder (YARN, Kubernetes) or in Spark's folder of added files (every
     * master, local mode included).
     */
    static Path local(String path, String what) {
        Path p = Path.of(path);
        if (Files.isReadable(p)) {
            return p;
        }
        Path shipped = Path.of(p.getFileName().toString());
        if (!p.equals(shipped) && Files.isReadable(shipped)) {
            return shipped;
        }
        Path added = added(shipped.toString());
        if (added != null && Files.isReadable(added)) {
            return added;
        }
        throw new IllegalArgumentException(what + " " + path + " is not readable on " + host() + " (no such file, or "
                + "no permission); give a path every executor can read (a shared file system) or ship the file with "
                + "spark-submit --files (a folder: --archives NAME.zip#NAME)");
    }

    /** Where Spark put an added file or archive of this name; null outside a running Spark JVM. */
    private static Path added(String name) {
        if (SparkEnv.get() == null) {
            return null;
        }
        return Path.of(SparkFiles.get(name));
    }

    private static String host() {
        try {
            return "executor host " + InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "this executor";
        }
    }
}
