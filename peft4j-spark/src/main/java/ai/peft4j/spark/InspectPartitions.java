package ai.peft4j.spark;

import ai.peft4j.data.image.ImageDecoder;
import ai.peft4j.data.image.ImageEncoder;
import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.predict.Prediction;
import ai.peft4j.infer.stats.ClassMap;
import ai.peft4j.infer.stats.Component;
import ai.peft4j.infer.stats.FrameStats;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The inspection of a partition's rows, for {@code Dataset.mapPartitions} (use {@link #encoder()}): each row's
 * input columns, then the result columns {@link #RESULT_COLUMNS}. Rows are read in batches of {@code batch}, decoded
 * outside the model's lock, predicted under it one line at a time, and turned into areas, regions and PNGs outside
 * it again. A row that cannot be inspected (an unreadable image, an unknown line) gets its message in {@code error}
 * and nulls elsewhere; the job goes on.
 */
public final class InspectPartitions implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    /** The columns added to every row, in order ({@code mask} only when masks are asked for). */
    public static final List<String> RESULT_COLUMNS = List.of("line", "width", "height", "verdict", "areas",
            "regions", "mask", "error");

    /** A region: its class, bounding box (inclusive) and area in pixels. */
    public static final StructType REGION = new StructType(new StructField[] {
        DataTypes.createStructField("class", DataTypes.StringType, false),
        DataTypes.createStructField("class_id", DataTypes.IntegerType, false),
        DataTypes.createStructField("x0", DataTypes.IntegerType, false),
        DataTypes.createStructField("y0", DataTypes.IntegerType, false),
        DataTypes.createStructField("x1", DataTypes.IntegerType, false),
        DataTypes.createStructField("y1", DataTypes.IntegerType, false),
        DataTypes.createStructField("pixels", DataTypes.LongType, false)});

    /** How the image column holds its images. */
    enum ImageKind { PATH, ENCODED, DECODED }

    private final ModelSource source;
    private final StructType input;
    private final int imageIndex;
    private final ImageKind kind;
    private final int pathIndex;
    private final int lineIndex;
    private final String fixedLine;
    private final boolean withMask;
    private final int batch;
    private final int[] kept;

    /**
     * @param input the schema of the rows to inspect
     * @param imageColumn paths (string), encoded files (binary, as the {@code binaryFile} source's {@code content})
     *     or decoded images (the {@code image} source's struct)
     * @param lineColumn the column naming each row's product line (adapter), or null
     * @param line the line of rows without one (null: the model's default, the base model unless one adapter
     *     directory was given)
     * @param withMask whether to add each class map as an index PNG ({@code mask})
     * @param batch rows decoded and predicted together
     */
    public InspectPartitions(ModelSource source, StructType input, String imageColumn, String lineColumn, String line,
            boolean withMask, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        }
        this.source = source;
        this.input = input;
        this.imageIndex = index(input, imageColumn, "image");
        this.kind = kind(input.fields()[imageIndex]);
        int p = input.getFieldIndex("path").isDefined() ? input.fieldIndex("path") : -1;
        this.pathIndex = p >= 0 && input.fields()[p].dataType() instanceof StringType ? p : -1;
        this.lineIndex = lineColumn == null ? -1 : index(input, lineColumn, "line");
        if (lineIndex >= 0 && !(input.fields()[lineIndex].dataType() instanceof StringType)) {
            throw new IllegalArgumentException("line column '" + lineColumn + "' is "
                    + input.fields()[lineIndex].dataType().simpleString() + "; it must hold line names (string)");
        }
        this.fixedLine = line;
        this.withMask = withMask;
        this.batch = batch;
        // Input columns named as a result column are replaced by it (e.g. a "line" column by the line used).
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < input.fields().length; i++) {
            if (!RESULT_COLUMNS.contains(input.fields()[i].name())) {
                keep.add(i);
            }
        }
        this.kept = keep.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int index(StructType schema, String column, String what) {
        if (column == null || !schema.getFieldIndex(column).isDefined()) {
            throw new IllegalArgumentException("no " + what + " column '" + column + "' in the input (columns: "
                    + String.join(", ", schema.fieldNames()) + ")");
        }
        return schema.fieldIndex(column);
    }

    static ImageKind kind(StructField f) {
        DataType t = f.dataType();
        if (t instanceof StringType) {
            return ImageKind.PATH;
        }
        if (t instanceof BinaryType) {
            return ImageKind.ENCODED;
        }
        if (t instanceof StructType s && List.of(s.fieldNames()).containsAll(List.of("height", "width",
                "nChannels", "data"))) {
            return ImageKind.DECODED;
        }
        throw new IllegalArgumentException("image column '" + f.name() + "' is " + t.simpleString() + "; give image "
                + "paths (string), encoded image files (binary, as the binaryFile source's content) or decoded "
                + "images (the image source's struct)");
    }

    /** The schema of the rows this function gives. */
    public StructType outputSchema() {
        List<StructField> fields = new ArrayList<>();
        for (int i : kept) {
            fields.add(input.fields()[i]);
        }
        fields.add(DataTypes.createStructField("line", DataTypes.StringType, true));
        fields.add(DataTypes.createStructField("width", DataTypes.IntegerType, true));
        fields.add(DataTypes.createStructField("height", DataTypes.IntegerType, true));
        fields.add(DataTypes.createStructField("verdict", DataTypes.StringType, true));
        fields.add(DataTypes.createStructField("areas", DataTypes.createMapType(DataTypes.StringType,
                DataTypes.LongType, false), true));
        fields.add(DataTypes.createStructField("regions", new ArrayType(REGION, false), true));
        if (withMask) {
            fields.add(DataTypes.createStructField("mask", DataTypes.BinaryType, true));
        }
        fields.add(DataTypes.createStructField("error", DataTypes.StringType, true));
        return new StructType(fields.toArray(StructField[]::new));
    }

    /** The encoder of {@link #outputSchema()}, for {@code mapPartitions}. */
    public Encoder<Row> encoder() {
        return Encoders.row(outputSchema());
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        InspectionModel model = ExecutorModels.get(source);
        // A wrong line for every row is a wrong setting, not a bad row: the job stops with it.
        if (fixedLine != null && !model.lines().contains(fixedLine)) {
            throw new IllegalArgumentException("unknown line '" + fixedLine + "' (the line of rows without one: "
                    + "setLine, or --line); " + (model.lines().isEmpty() ? "no adapters were given"
                    : "the adapters are " + String.join(", ", model.lines())));
        }
        return new Iterator<>() {
            private Iterator<Row> done = List.<Row>of().iterator();

            @Override
            public boolean hasNext() {
                if (!done.hasNext() && rows.hasNext()) {
                    List<Row> chunk = new ArrayList<>(batch);
                    while (chunk.size() < batch && rows.hasNext()) {
                        chunk.add(rows.next());
                    }
                    done = inspect(model, chunk).iterator();
                }
                return done.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return done.next();
            }
        };
    }

    private List<Row> inspect(InspectionModel model, List<Row> chunk) {
        int n = chunk.size();
        String[] lines = new String[n];
        RgbImage[] images = new RgbImage[n];
        String[] errors = new String[n];
        List<RgbImage> todo = new ArrayList<>();
        List<String> todoLines = new ArrayList<>();
        List<Integer> todoRows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Row r = chunk.get(i);
            try {
                String line = lineIndex >= 0 && !r.isNullAt(lineIndex) ? r.getString(lineIndex) : null;
                lines[i] = line != null ? line : fixedLine != null ? fixedLine : model.defaultLine();
                model.requireLine(lines[i]);
                images[i] = image(r);
                todo.add(images[i]);
                todoLines.add(lines[i]);
                todoRows.add(i);
            } catch (RuntimeException e) {
                errors[i] = e.getMessage() != null ? e.getMessage() : e.toString();
            }
        }
        List<InspectionModel.Outcome> predicted = model.predict(todo, todoLines);
        Prediction[] byRow = new Prediction[n];
        for (int k = 0; k < todoRows.size(); k++) {
            int i = todoRows.get(k);
            byRow[i] = predicted.get(k).prediction();
            errors[i] = predicted.get(k).error() == null ? null : name(chunk.get(i)) + ": " + predicted.get(k).error();
        }
        List<Row> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(row(model, chunk.get(i), lines[i], byRow[i], errors[i]));
        }
        return out;
    }

    private RgbImage image(Row r) {
        if (r.isNullAt(imageIndex)) {
            throw new IllegalArgumentException(name(r) + ": no image (the image column is null)");
        }
        return switch (kind) {
            case PATH -> ImageDecoder.readRgb(Path.of(r.getString(imageIndex)));
            case ENCODED -> ImageDecoder.readRgb((byte[]) r.get(imageIndex), Path.of(name(r)));
            case DECODED -> decoded(r.getStruct(imageIndex), name(r));
        };
    }

    private String name(Row r) {
        if (kind == ImageKind.PATH && !r.isNullAt(imageIndex)) {
            return r.getString(imageIndex);
        }
        if (kind == ImageKind.DECODED && !r.isNullAt(imageIndex)) {
            Row s = r.getStruct(imageIndex);
            int o = s.schema().getFieldIndex("origin").isDefined() ? s.fieldIndex("origin") : -1;
            if (o >= 0 && !s.isNullAt(o)) {
                return s.getString(o);
            }
        }
        return pathIndex >= 0 && !r.isNullAt(pathIndex) ? r.getString(pathIndex) : "image column";
    }

    /** The image source's struct: OpenCV's byte order (BGR, BGRA or grey), rows top to bottom. */
    private static RgbImage decoded(Row s, String name) {
        int h = s.getInt(s.fieldIndex("height"));
        int w = s.getInt(s.fieldIndex("width"));
        int c = s.getInt(s.fieldIndex("nChannels"));
        byte[] data = (byte[]) s.get(s.fieldIndex("data"));
        if (w < 1 || h < 1 || (c != 1 && c != 3 && c != 4) || data == null || data.length != (long) w * h * c) {
            throw new IllegalArgumentException(name + ": not a decoded image (" + w + "x" + h + ", " + c
                    + " channels, " + (data == null ? 0 : data.length) + " bytes); the image source gives 8-bit "
                    + "grey, BGR or BGRA");
        }
        byte[] rgb = new byte[3 * w * h];
        for (int i = 0, j = 0; i < rgb.length; i += 3, j += c) {
            rgb[i] = data[c == 1 ? j : j + 2];
            rgb[i + 1] = data[c == 1 ? j : j + 1];
            rgb[i + 2] = data[j];
        }
        return new RgbImage(w, h, rgb);
    }

    private Row row(InspectionModel model, Row in, String line, Prediction p, String error) {
        int results = withMask ? 8 : 7;
        Object[] v = new Object[kept.length + results];
        for (int k = 0; k < kept.length; k++) {
            v[k] = in.get(kept[k]);
        }
        int at = kept.length;
        v[at] = line;
        if (p != null) {
            int classes = model.classes(line);
            List<String> names = model.classNames(line);
            FrameStats s = FrameStats.of(0, "", 0, new ClassMap(p.width(), p.height(), p.mask()), classes);
            Map<String, Long> areas = new LinkedHashMap<>();
            long largest = 0;
            for (int c = 0; c < classes; c++) {
                areas.put(names.get(c), s.pixels()[c]);
                largest = c > 0 ? Math.max(largest, s.pixels()[c]) : largest;
            }
            double score = source.threshold().share() ? largest / (double) p.mask().length : largest;
            Row[] regions = new Row[s.components().size()];
            for (int k = 0; k < regions.length; k++) {
                Component c = s.components().get(k);
                regions[k] = RowFactory.create(names.get(c.classId()), c.classId(), c.x0(), c.y0(), c.x1(), c.y1(),
                        (long) c.pixels());
            }
            v[at + 1] = p.width();
            v[at + 2] = p.height();
            // As ImageVerdicts: defective when the largest defect area exceeds the threshold.
            v[at + 3] = score > source.threshold().value() ? "defective" : "good";
            v[at + 4] = CollectionConverters.asScala(areas);
            v[at + 5] = regions;
            if (withMask) {
                v[at + 6] = ImageEncoder.indexPng(p.mask(), p.width(), p.height(), model.palette());
            }
        }
        v[v.length - 1] = error;
        return RowFactory.create(v);
    }
}
