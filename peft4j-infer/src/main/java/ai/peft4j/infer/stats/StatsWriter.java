package ai.peft4j.infer.stats;

import ai.peft4j.core.text.CsvRow;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes one row per frame to a CSV file (areas and component counts per class, for a spreadsheet) and one JSON
 * object per line to a JSON-lines file (the same plus every component's bounding box). Either file may be left
 * out by passing null.
 */
public final class StatsWriter implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> classNames;
    private final LineFile csv;
    private final LineFile jsonl;

    /**
     * @param classNames a name per class, background first; they head the CSV columns
     */
    public StatsWriter(List<String> classNames, Path csvFile, Path jsonlFile) throws IOException {
        this.classNames = List.copyOf(classNames);
        this.csv = csvFile == null ? null : new LineFile(csvFile);
        this.jsonl = jsonlFile == null ? null : new LineFile(jsonlFile);
        if (csv != null) {
            List<String> head = new ArrayList<>(List.of("frame", "name", "seconds", "width", "height"));
            for (int c = 0; c < classNames.size(); c++) {
                String n = classNames.get(c);
                head.add(n + "_pixels");
                head.add(n + "_fraction");
                if (c > 0) {
                    head.add(n + "_components");
                }
            }
            csv.line(CsvRow.format(head));
        }
    }

    public void write(FrameStats s) throws IOException {
        if (s.pixels().length != classNames.size()) {
            throw new IllegalArgumentException("frame " + s.frame() + " has " + s.pixels().length
                    + " classes, the writer " + classNames.size());
        }
        if (csv != null) {
            StringBuilder row = new StringBuilder();
            row.append(s.frame()).append(',').append(CsvRow.field(s.name())).append(',')
                    .append(String.format(Locale.ROOT, "%.3f", s.seconds())).append(',').append(s.width()).append(',')
                    .append(s.height());
            for (int c = 0; c < classNames.size(); c++) {
                row.append(',').append(s.pixels()[c]).append(',')
                        .append(String.format(Locale.ROOT, "%.6f", s.fraction(c)));
                if (c > 0) {
                    row.append(',').append(s.components(c).size());
                }
            }
            csv.line(row.toString());
        }
        if (jsonl != null) {
            jsonl.line(JSON.writeValueAsString(toJson(s)));
        }
    }

    private Map<String, Object> toJson(FrameStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("frame", s.frame());
        m.put("name", s.name());
        m.put("seconds", s.seconds());
        m.put("width", s.width());
        m.put("height", s.height());
        List<Map<String, Object>> classes = new ArrayList<>();
        for (int c = 0; c < classNames.size(); c++) {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("id", c);
            k.put("name", classNames.get(c));
            k.put("pixels", s.pixels()[c]);
            k.put("fraction", s.fraction(c));
            classes.add(k);
        }
        m.put("classes", classes);
        List<Map<String, Object>> comps = new ArrayList<>();
        for (Component k : s.components()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("class", k.classId());
            o.put("name", classNames.get(k.classId()));
            o.put("pixels", k.pixels());
            o.put("box", new int[] {k.x0(), k.y0(), k.x1(), k.y1()});
            comps.add(o);
        }
        m.put("components", comps);
        return m;
    }

    @Override
    public void close() throws IOException {
        try {
            if (csv != null) {
                csv.close();
            }
        } finally {
            if (jsonl != null) {
                jsonl.close();
            }
        }
    }
}
