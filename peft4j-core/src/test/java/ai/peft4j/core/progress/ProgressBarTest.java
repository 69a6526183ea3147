package ai.peft4j.core.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void render_halfDone_showsBarCountStatusAndEta() {
        ProgressBar bar = new ProgressBar(new PrintStream(new ByteArrayOutputStream()), "Epoch 2/5", 40, false);
        bar.update(20, "loss 0.5000");
        String line = bar.render(false);
        assertTrue(line.startsWith("Epoch 2/5 [##########..........] 20/40  loss 0.5000  0:00 elapsed, ETA 0:00"),
                line);
    }

    @Test
    void close_withoutTerminal_printsOnlyTheFinishedLine() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ProgressBar bar = new ProgressBar(new PrintStream(out, true, StandardCharsets.UTF_8), "Epoch 1/1", 3,
                false)) {
            for (int i = 1; i <= 3; i++) {
                bar.update(i, "loss " + i);
            }
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("Epoch 1/1 [####################] 3/3  loss 3  0:00"), text);
        assertTrue(!text.contains("\r"), "no carriage returns without a terminal");
    }

    @Test
    void update_onTerminal_redrawsInPlace() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ProgressBar bar = new ProgressBar(new PrintStream(out, true, StandardCharsets.UTF_8), "E", 2, true)) {
            bar.update(1, "a");
            bar.update(2, "b");
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("\rE [##########..........] 1/2  a"), text);
        assertTrue(text.endsWith("\n"), text);
    }

    @Test
    void clock_formatsMinutesAndHours() {
        assertEquals("0:07", ProgressBar.clock(7.2));
        assertEquals("2:05", ProgressBar.clock(125));
        assertEquals("1:00:01", ProgressBar.clock(3601));
    }
}
