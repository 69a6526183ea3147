package ai.peft4j.spark;

import ai.peft4j.train.metrics.VerdictThreshold;
import java.util.UUID;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML transformer that inspects a column of images with a trained segmentation model: each row gets its
 * line, verdict, per-class areas, regions (class, box, area), optionally the class map as an index PNG, and an error
 * message where the row could not be inspected. Each executor JVM loads the model once ({@link ExecutorModels}) and
 * keeps it for every partition and task; see {@link InspectPartitions} for the columns.
 *
 * <p>It saves and loads as any Spark ML stage ({@code save(path)}, {@link #load}, inside a saved {@code Pipeline} or
 * {@code PipelineModel}): the settings are stored, the model files are not, so their paths must be readable where
 * the loaded stage runs.
 *
 * <pre>{@code
 * Dataset<Row> images = spark.read().format("binaryFile").load("/archive/2026-12-07/*.png");
 * Dataset<Row> results = new DefectInspector().setCheckpoint("/models/base.safetensors")
 *         .setAdapters("/models/lines").setLineCol("line").setImageCol("content").transform(images);
 * }</pre>
 */
public final class DefectInspector extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    /** Spark's reader of stages saved as their params: it calls the (uid) constructor and sets each param. */
    private static final DefaultParamsReadable<DefectInspector> READABLE = new DefaultParamsReadable<>() {};

    private final String uid;
    private final Param<String> checkpoint;
    private final Param<String> config;
    private final Param<String> adapters;
    private final Param<String> imageCol;
    private final Param<String> lineCol;
    private final Param<String> line;
    private final Param<String> verdictThreshold;
    private final BooleanParam withMask;
    private final IntParam batchSize;
    private final IntParam tileBatch;

    public DefectInspector() {
        this("defectInspector_" + UUID.randomUUID().toString().substring(24));
    }

    public DefectInspector(String uid) {
        this.uid = uid;
        checkpoint = new Param<>(this, "checkpoint", "model weights, readable on every executor");
        config = new Param<>(this, "config", "the run file of the model (default: config.yaml beside the "
                + "checkpoint)");
        adapters = new Param<>(this, "adapters", "an adapter directory, or a folder of them, one per product line");
        imageCol = new Param<>(this, "imageCol", "the image column: paths, encoded files or the image source's "
                + "struct");
        lineCol = new Param<>(this, "lineCol", "the column naming each row's product line (adapter)");
        line = new Param<>(this, "line", "the product line of rows without one");
        verdictThreshold = new Param<>(this, "verdictThreshold", "a part is defective when some defect class's "
                + "predicted area exceeds this: pixels (50) or a share of the image (0.1%)");
        withMask = new BooleanParam(this, "withMask", "add the class map as an index PNG (column mask)");
        batchSize = new IntParam(this, "batchSize", "rows decoded and predicted together");
        tileBatch = new IntParam(this, "tileBatch", "tiles per forward pass of a model trained on crops");
        setDefault(imageCol, "path");
        setDefault(verdictThreshold, "0");
        setDefault(withMask, false);
        setDefault(batchSize, 8);
        setDefault(tileBatch, 4);
    }

    /** The reader of saved inspectors, as Spark ML's {@code MLReadable}. */
    public static MLReader<DefectInspector> read() {
        return READABLE.read();
    }

    /** An inspector saved with {@code save(path)} (or {@code write().overwrite().save(path)}). */
    public static DefectInspector load(String path) {
        return READABLE.load(path);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> checkpoint() {
        return checkpoint;
    }

    public Param<String> config() {
        return config;
    }

    public Param<String> adapters() {
        return adapters;
    }

    public Param<String> imageCol() {
        return imageCol;
    }

    public Param<String> lineCol() {
        return lineCol;
    }

    public Param<String> line() {
        return line;
    }

    public Param<String> verdictThreshold() {
        return verdictThreshold;
    }

    public BooleanParam withMask() {
        return withMask;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public IntParam tileBatch() {
        return tileBatch;
    }

    public DefectInspector setCheckpoint(String path) {
        set(checkpoint, path);
        return this;
    }

    public DefectInspector setConfig(String path) {
        set(config, path);
        return this;
    }

    public DefectInspector setAdapters(String path) {
        set(adapters, path);
        return this;
    }

    public DefectInspector setImageCol(String column) {
        set(imageCol, column);
        return this;
    }

    public DefectInspector setLineCol(String column) {
        set(lineCol, column);
        return this;
    }

    public DefectInspector setLine(String name) {
        set(line, name);
        return this;
    }

    public DefectInspector setVerdictThreshold(String threshold) {
        set(verdictThreshold, threshold);
        return this;
    }

    public DefectInspector setWithMask(boolean on) {
        set(withMask, on);
        return this;
    }

    public DefectInspector setBatchSize(int rows) {
        set(batchSize, rows);
        return this;
    }

    public DefectInspector setTileBatch(int tiles) {
        set(tileBatch, tiles);
        return this;
    }

    /** The model these settings load on each executor. */
    public ModelSource modelSource() {
        if (!isDefined(checkpoint)) {
            throw new IllegalArgumentException("no checkpoint given: set the model weights (setCheckpoint)");
        }
        return new ModelSource(getOrDefault(checkpoint), value(config), value(adapters),
                VerdictThreshold.parse(getOrDefault(verdictThreshold)), (Integer) getOrDefault(tileBatch));
    }

    /** The partition function these settings make for rows of {@code schema}. */
    public InspectPartitions partitionFunction(StructType schema) {
        return new InspectPartitions(modelSource(), schema, getOrDefault(imageCol), value(lineCol), value(line),
                (Boolean) getOrDefault(withMask), (Integer) getOrDefault(batchSize));
    }

    private String value(Param<String> p) {
        return isDefined(p) ? getOrDefault(p) : null;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        SparkVersions.requireSupported(dataset.sparkSession().version());
        InspectPartitions f = partitionFunction(dataset.schema());
        return dataset.toDF().mapPartitions(f, f.encoder());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return partitionFunction(schema).outputSchema();
    }

    @Override
    public DefectInspector copy(ParamMap extra) {
        return (DefectInspector) defaultCopy(extra);
    }
}
