package ai.peft4j.infer.stream;

import org.HdrHistogram.Histogram;

/**
 * Durations of one stage in a histogram of fixed size (microseconds, 3 significant digits, up to an hour), so
 * timing a stream of any length takes the same memory. Written by the stage's thread, read when the stream ends.
 */
final class StageTimes {
    private static final long MAX_MICROS = 3_600_000_000L;

    private final String name;
    private final Histogram histogram = new Histogram(MAX_MICROS, 3);

    StageTimes(String name) {
        this.name = name;
    }

    synchronized void record(long nanos) {
        histogram.recordValue(Math.min(MAX_MICROS, Math.max(0, nanos / 1000)));
    }

    synchronized StreamReport.StageTiming summary() {
        long n = histogram.getTotalCount();
        if (n == 0) {
            return new StreamReport.StageTiming(name, 0, 0, 0, 0, 0);
        }
        return new StreamReport.StageTiming(name, n, histogram.getValueAtPercentile(50) / 1e3,
                histogram.getValueAtPercentile(99) / 1e3, histogram.getMean() / 1e3, histogram.getMaxValue() / 1e3);
    }
}
