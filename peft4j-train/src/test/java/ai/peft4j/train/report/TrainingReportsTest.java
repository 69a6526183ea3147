package ai.peft4j.train.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.peft4j.core.metrics.SegmentationScores;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingReportsTest {
    private static final SegmentationScores SCORES = new SegmentationScores(0.75, 0.8, 0.7, 0.9, 0.85,
            new double[] {0.9, 0.6}, new double[] {0.95, 0.65}, new double[] {0.9, 0.5}, new double[] {0.95, 0.75});

    @Test
    void log_rowsWithAndWithoutValidation(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("history.csv");
        TrainingLog.write(csv, List.of(new EpochRecord(1, 1e-4, 0.5, null, null, 1.25),
                new EpochRecord(2, 5e-5, 0.25, 0.375, SCORES, 2.5)), List.of("background", "wind scarring"));
        assertEquals(List.of(
                "epoch,lr,train_loss,val_loss,miou,mpa,mprecision,accuracy,mdice,iou_background,iou_wind_scarring,"
                        + "seconds",
                "1,0.000100000,0.500000,,,,,,,,,1.250",
                "2,5.00000e-05,0.250000,0.375000,0.750000,0.800000,0.700000,0.900000,0.850000,0.900000,0.600000,2.500"),
                Files.readAllLines(csv));
    }

    @Test
    void curves_withoutAnyValidation_stillDrawsThreePanels(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("curves.png");
        TrainingCurves.write(png, List.of(new EpochRecord(1, 1e-4, 0.5, null, null, 1),
                new EpochRecord(2, 1e-4, 0.4, null, null, 1)), "run");
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1560, image.getWidth());
        assertEquals(380, image.getHeight());
    }
}
