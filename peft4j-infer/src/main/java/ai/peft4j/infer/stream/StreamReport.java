package ai.peft4j.infer.stream;

import java.util.List;
import java.util.Locale;

/**
 * What a stream did: frames read, written and dropped, wall time, and each stage's service time per frame.
 *
 * @param framesRead frames the source gave
 * @param framesWritten frames the sink received (read minus dropped, unless stopped by a failure)
 * @param framesDropped frames dropped because inference fell behind (drop mode only)
 * @param seconds wall time from the start of decoding to the sink's last frame
 * @param stopped whether {@link StreamPipeline#stop} ended the stream before the source did
 * @param stages timings of decode, preprocess, inference, sink, and end-to-end latency, in that order
 */
public record StreamReport(long framesRead, long framesWritten, long framesDropped, double seconds,
        boolean stopped, List<StageTiming> stages) {
    /**
     * Service time of a stage (the work on one frame, not the wait in queues), in milliseconds.
     *
     * @param stage its name
     * @param frames frames timed
     */
    public record StageTiming(String stage, long frames, double p50Ms, double p99Ms, double meanMs, double maxMs) {}

    /** Frames written per second of wall time. */
    public double fps() {
        return seconds > 0 ? framesWritten / seconds : 0;
    }

    public StageTiming stage(String name) {
        return stages.stream().filter(s -> s.stage().equals(name)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("no stage '" + name + "'"));
    }

    /** A few lines for the console. */
    public String format() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "%d frames in %.2f s: %.2f FPS (read %d, dropped %d%s)%n", framesWritten, seconds, fps(), framesRead,
                framesDropped, stopped ? ", stopped early" : ""));
        sb.append(String.format(Locale.ROOT, "  %-12s %8s %8s %8s %8s%n", "stage", "p50 ms", "p99 ms", "mean ms",
                "max ms"));
        for (StageTiming s : stages) {
            sb.append(String.format(Locale.ROOT, "  %-12s %8.2f %8.2f %8.2f %8.2f%n", s.stage(), s.p50Ms(),
                    s.p99Ms(), s.meanMs(), s.maxMs()));
        }
        return sb.toString();
    }
}
