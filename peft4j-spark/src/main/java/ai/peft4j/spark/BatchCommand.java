package ai.peft4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.to_json;

import ai.peft4j.data.DataException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j batch}: inspects a folder of images on Spark and writes the results as Parquet or CSV. */
@Command(name = "batch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Inspect many images on Apache Spark: on this machine (--master local[N], N executor threads) "
            + "or on a cluster's master. Each executor loads the model once and keeps it for all its images.",
            "Writes one row per image into a new --out folder (Spark's part files): path, line, width, height, "
                + "verdict (defective when the predicted area of some defect class exceeds --verdict-threshold, "
                + "else good), areas (pixels per class), regions (class, box x0 y0 x1 y1 inclusive, pixels), mask "
                + "(with --masks: the class map as an index PNG) and error (why an image could not be inspected).",
            "For spark-submit on a cluster, see docs/usage.md (Batch inspection on Spark)."})
public final class BatchCommand implements Callable<Integer> {
    private static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif",
            ".tiff");

    @Option(names = "--master", paramLabel = "URL", description = "Spark master: local[N] for N threads on this "
            + "machine, or a cluster's (default: spark-submit's --master, else local[*]).")
    String master;

    @Option(names = "--checkpoint", required = true, paramLabel = "CKPT", description = "Model weights (a "
            + "checkpoint of 'peft4j train', or the base of the adapters).")
    Path checkpoint;

    @Option(names = "--config", paramLabel = "FILE", description = "The model's run file (default: the "
            + "config.yaml beside the checkpoint).")
    Path config;

    @Option(names = "--adapters", paramLabel = "DIR", description = "An adapter directory of 'peft4j finetune', or "
            + "a folder of them: one product line each, named by its folder.")
    Path adapters;

    @Option(names = "--line", paramLabel = "NAME", description = "The product line (adapter) for every image "
            + "(default: the only adapter of --adapters DIR when it is one adapter directory, else the base model).")
    String line;

    @Option(names = "--images", required = true, paramLabel = "DIR|GLOB", description = "A folder of images, or a "
            + "glob such as 'archive/*/cam1-*.png' (quote it from the shell).")
    String images;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "A new folder for the results.")
    Path out;

    @Option(names = "--format", defaultValue = "parquet", paramLabel = "FORMAT", description = "parquet or csv "
            + "(areas and regions as JSON text; no masks) (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--masks", description = "Add each class map as an index PNG (column mask; Parquet only).")
    boolean masks;

    @Option(names = "--verdict-threshold", defaultValue = "0", paramLabel = "AREA", description = "A part is "
            + "defective when the predicted area of some defect class exceeds this: pixels (e.g. 50) or a "
            + "percentage of the image (e.g. 0.1%%) (default: ${DEFAULT-VALUE}, any defect pixel).")
    String verdictThreshold;

    @Option(names = "--partitions", paramLabel = "N", description = "Partitions of the image list (default: "
            + "Spark's default parallelism).")
    Integer partitions;

    @Option(names = "--batch", defaultValue = "8", paramLabel = "N", description = "Images decoded and predicted "
            + "together per task (default: ${DEFAULT-VALUE}).")
    int batch;

    @Override
    public Integer call() throws Exception {
        String fmt = format.toLowerCase(Locale.ROOT);
        if (!fmt.equals("parquet") && !fmt.equals("csv")) {
            throw new IllegalArgumentException("--format must be parquet or csv, got '" + format + "'");
        }
        if (masks && fmt.equals("csv")) {
            throw new IllegalArgumentException("CSV cannot hold masks: leave out --masks or write --format parquet");
        }
        if (partitions != null && partitions < 1) {
            throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        }
        if (!Files.isReadable(checkpoint)) {
            throw new IllegalArgumentException(checkpoint + ": checkpoint not found or not readable");
        }
        if (Files.exists(out) && !isEmptyFolder(out)) {
            throw new IllegalArgumentException(out + " already exists; give a new --out folder (batch writes a whole "
                    + "folder of part files)");
        }
        List<String> files = list(images);
        DefectInspector inspector = new DefectInspector().setCheckpoint(checkpoint.toString())
                .setImageCol("path").setVerdictThreshold(verdictThreshold).setWithMask(masks).setBatchSize(batch);
        if (config != null) {
            inspector.setConfig(config.toString());
        }
        if (adapters != null) {
            inspector.setAdapters(adapters.toString());
        }
        if (line != null) {
            inspector.setLine(line);
        }
        inspector.modelSource();
        PrintStream console = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        SparkSession.Builder builder = SparkSession.builder().appName("peft4j batch");
        if (master != null || System.getProperty("spark.master") == null) {
            builder.master(master != null ? master : "local[*]").config("spark.ui.enabled", "false");
        }
        SparkSession spark = builder.getOrCreate();
        try {
            SparkVersions.requireSupported(spark.version());
            int n = partitions != null ? partitions : spark.sparkContext().defaultParallelism();
            Dataset<Row> paths = spark.createDataset(files, Encoders.STRING()).toDF("path").repartition(n);
            long start = System.nanoTime();
            Dataset<Row> results = inspector.transform(paths).cache();
            if (fmt.equals("csv")) {
                results.withColumn("areas", to_json(col("areas"))).withColumn("regions", to_json(col("regions")))
                        .write().option("header", "true").csv(out.toString());
            } else {
                results.write().parquet(out.toString());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long defective = results.filter(col("verdict").equalTo("defective")).count();
            Row[] failed = (Row[]) results.filter(col("error").isNotNull()).select("error").take(1);
            long errors = failed.length == 0 ? 0 : results.filter(col("error").isNotNull()).count();
            console.printf(Locale.ROOT, "%d images (%d defective, %d could not be inspected) in %.1f s -> %s (%s)%n",
                    files.size(), defective, errors, seconds, out, fmt);
            if (spark.sparkContext().isLocal() && !Double.isNaN(ExecutorModels.lastLoadSeconds())) {
                // Local mode: the executor is this JVM, so its model load (part of the time above) is known here.
                console.printf(Locale.ROOT, "Model load %.2f s (once per executor)%n",
                        ExecutorModels.lastLoadSeconds());
            }
            results.unpersist();
            if (errors > 0) {
                throw new DataException(null, errors + " of " + files.size() + " images could not be inspected ("
                        + failed[0].getString(0) + (errors > 1 ? "; and " + (errors - 1) + " more" : "") + "); "
                        + "the other " + (files.size() - errors) + " were, and every row is in " + out
                        + " (the message in column error)");
            }
        } catch (Exception e) {
            throw unwrap(e);
        } finally {
            spark.stop();
        }
        return 0;
    }

    /** A task's failure reaches the driver wrapped in Spark's exceptions; the user needs the reason. */
    static Exception unwrap(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException || t instanceof IllegalStateException
                    || t instanceof UncheckedIOException) {
                return (RuntimeException) t;
            }
        }
        return e;
    }

    private static boolean isEmptyFolder(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** The image files of a folder, or those a glob matches, sorted. */
    static List<String> list(String where) throws IOException {
        boolean glob = where.chars().anyMatch(c -> "*?[{".indexOf(c) >= 0);
        Path dir = Path.of(where);
        PathMatcher matcher = null;
        if (glob) {
            // Walk from the last folder before the first wildcard.
            int wild = where.length();
            for (char c : "*?[{".toCharArray()) {
                int at = where.indexOf(c);
                wild = at >= 0 ? Math.min(wild, at) : wild;
            }
            int slash = where.lastIndexOf('/', wild);
            dir = Path.of(slash < 0 ? "." : slash == 0 ? "/" : where.substring(0, slash));
            String pattern = slash < 0 ? where : where.substring(slash + 1);
            matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": no such folder" + (glob ? " (the fixed part of --images "
                    + where + ")" : ""));
        }
        Path base = dir;
        PathMatcher m = matcher;
        List<String> files;
        try (Stream<Path> s = glob ? Files.walk(dir) : Files.list(dir)) {
            files = s.filter(Files::isRegularFile)
                    .filter(f -> m == null ? isImage(f) : m.matches(base.relativize(f)))
                    .map(f -> f.toAbsolutePath().normalize().toString()).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(where + ": no images " + (glob ? "match this glob" : "in this folder "
                    + "(looked for " + String.join(", ", IMAGE_EXTENSIONS) + ")"));
        }
        return files;
    }

    private static boolean isImage(Path f) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        return IMAGE_EXTENSIONS.stream().anyMatch(n::endsWith);
    }
}
