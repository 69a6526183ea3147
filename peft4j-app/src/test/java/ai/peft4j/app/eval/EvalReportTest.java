package ai.peft4j.app.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.peft4j.core.metrics.ConfusionMatrix;
import ai.peft4j.core.text.CsvRow;
import ai.peft4j.train.metrics.ImageVerdicts;
import ai.peft4j.train.metrics.VerdictThreshold;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalReportTest {
    @TempDir
    Path tmp;

    @Test
    void confusionMatrixCsv_quotesClassNamesSoEveryRowReadsBack() throws Exception {
        List<String> names = List.of("background", "dent, deep", "scratch \"long\"");
        ConfusionMatrix m = new ConfusionMatrix(3);
        m.add(new int[] {0, 0, 1, 2, 2}, new int[] {0, 1, 1, 2, 0});
        ImageVerdicts v = new ImageVerdicts(3, VerdictThreshold.ANY_PIXEL);
        v.add(new int[] {0, 0, 1, 2, 2}, new int[] {0, 1, 1, 2, 0}, 5);
        new EvalReport("model", "test", 1, names, m, false, v.scores(), "letterbox 8x8").write(tmp);
        List<List<String>> rows = Files.readAllLines(tmp.resolve(EvalReport.MATRIX_CSV)).stream()
                .map(CsvRow::parse).toList();
        assertEquals(List.of(List.of("ground_truth\\prediction", "background", "dent, deep", "scratch \"long\""),
                List.of("background", "1", "1", "0"), List.of("dent, deep", "0", "1", "0"),
                List.of("scratch \"long\"", "1", "0", "1")), rows);
    }
}
