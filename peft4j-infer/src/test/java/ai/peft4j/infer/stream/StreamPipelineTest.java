package ai.peft4j.infer.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.video.Frame;
import ai.peft4j.infer.video.FrameSource;
import ai.peft4j.infer.video.VideoException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamPipelineTest {
    /** Frames whose single pixel holds their index; counts frames handed out and not yet through the sink. */
    static final class Counter implements FrameSource {
        final long total;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final AtomicInteger produced = new AtomicInteger();
        final CountDownLatch ended = new CountDownLatch(1);
        final AtomicBoolean closed = new AtomicBoolean();
        long failAt = -1;
        long next;

        Counter(long total) {
            this.total = total;
        }

        @Override
        public Frame next() {
            if (next == failAt) {
                throw new VideoException(Path.of("clip.mp4"), next, "the file ends inside this frame", null);
            }
            if (total >= 0 && next >= total) {
                ended.countDown();
                return null;
            }
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            produced.incrementAndGet();
            long i = next++;
            return new Frame(i, "f" + i, i / 10.0, RgbImage.filled(1, 1, (int) (i % 256), 0, 0));
        }

        @Override
        public long frameCount() {
            return total;
        }

        @Override
        public double fps() {
            return 10;
        }

        @Override
        public String describe() {
            return "counter";
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    /** Records what reaches it, in order, and whether it was closed. */
    static class Recorder implements FrameSink<Long> {
        final List<Long> frames = Collections.synchronizedList(new ArrayList<>());
        final List<Long> results = Collections.synchronizedList(new ArrayList<>());
        final Counter source;
        volatile boolean closed;

        Recorder(Counter source) {
            this.source = source;
        }

        @Override
        public void accept(Frame frame, Long result) throws Exception {
            frames.add(frame.index());
            results.add(result);
            source.inFlight.decrementAndGet();
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** A sink behind the other stages, so earlier frames are still queued when a later one fails. */
    static class SlowRecorder extends Recorder {
        SlowRecorder(Counter source) {
            super(source);
        }

        @Override
        public void accept(Frame frame, Long result) throws Exception {
            Thread.sleep(5);
            super.accept(frame, result);
        }
    }

    private static void sleepRandom(SplittableRandom r) throws InterruptedException {
        synchronized (r) {
            Thread.sleep(r.nextInt(3));
        }
    }

    @Test
    void framesComeOutInOrder_andComplete_whateverEachStageTakes() {
        Counter src = new Counter(120);
        Recorder sink = new Recorder(src) {
            final SplittableRandom r = new SplittableRandom(3);

            @Override
            public void accept(Frame frame, Long result) throws Exception {
                sleepRandom(r);
                super.accept(frame, result);
            }
        };
        SplittableRandom r1 = new SplittableRandom(1);
        SplittableRandom r2 = new SplittableRandom(2);
        StreamReport report = StreamPipeline.<Long, Long>builder().setSource(src)
                .setPreprocess((f, img) -> {
                    sleepRandom(r1);
                    return (long) img.get(0, 0, 0);
                })
                .setInference((f, v) -> {
                    sleepRandom(r2);
                    return 2 * v + 1;
                })
                .setSink(sink).optQueueCapacity(3).build().run();
        assertEquals(LongStream.range(0, 120).boxed().toList(), sink.frames);
        assertEquals(LongStream.range(0, 120).map(i -> 2 * (i % 256) + 1).boxed().toList(), sink.results);
        assertEquals(120, report.framesRead());
        assertEquals(120, report.framesWritten());
        assertEquals(0, report.framesDropped());
        assertTrue(!report.stopped() && sink.closed && src.closed.get());
        for (String stage : List.of(StreamPipeline.DECODE, StreamPipeline.PREPROCESS, StreamPipeline.INFERENCE,
                StreamPipeline.SINK, StreamPipeline.LATENCY)) {
            StreamReport.StageTiming t = report.stage(stage);
            assertEquals(120, t.frames(), stage);
            assertTrue(t.p50Ms() <= t.p99Ms() && t.p99Ms() <= t.maxMs(), stage);
        }
        // Every frame's latency covers its own stages, so the median latency is at least the median sink time.
        assertTrue(report.stage(StreamPipeline.LATENCY).p50Ms() >= report.stage(StreamPipeline.SINK).p50Ms());
    }

    @Test
    void framesHeldAtOnce_neverExceedTheQueues_evenWhenTheSinkStalls() throws Exception {
        int capacity = 2;
        int bound = StreamPipeline.maxInFlight(capacity);
        Counter src = new Counter(60);
        AtomicInteger producedWhileStalled = new AtomicInteger();
        Recorder sink = new Recorder(src) {
            @Override
            public void accept(Frame frame, Long result) throws Exception {
                if (frame.index() == 0) {
                    // Hold the first frame until the decoder has filled every queue behind it.
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (src.produced.get() < bound && System.nanoTime() < deadline) {
                        Thread.sleep(1);
                    }
                    Thread.sleep(50);
                    producedWhileStalled.set(src.produced.get());
                }
                super.accept(frame, result);
            }
        };
        StreamReport report = StreamPipeline.<Long, Long>builder().setSource(src)
                .setPreprocess((f, img) -> f.index()).setInference((f, v) -> v).setSink(sink)
                .optQueueCapacity(capacity).build().run();
        assertEquals(bound, producedWhileStalled.get(), "a stalled sink holds back exactly the queued frames");
        assertEquals(bound, src.maxInFlight.get());
        assertEquals(60, report.framesWritten());
        assertEquals(LongStream.range(0, 60).boxed().toList(), sink.frames);
    }

    @Test
    void dropMode_dropsOldestFramesWhileInferenceIsBehind_andKeepsOrder() throws Exception {
        Counter src = new Counter(50);
        Recorder sink = new Recorder(src);
        StreamReport report = StreamPipeline.<Long, Long>builder().setSource(src)
                .setPreprocess((f, img) -> f.index())
                .setInference((f, v) -> {
                    // Inference cannot start until the whole source has been read: everything beyond the queues drops.
                    assertTrue(src.ended.await(20, TimeUnit.SECONDS));
                    return v;
                })
                .setSink(sink).optQueueCapacity(2).optDropFrames(true).build().run();
        assertEquals(50, report.framesRead());
        assertEquals(50, report.framesWritten() + report.framesDropped());
        assertTrue(report.framesWritten() <= StreamPipeline.maxInFlight(2), "written " + report.framesWritten());
        assertTrue(report.framesDropped() >= 50 - StreamPipeline.maxInFlight(2));
        List<Long> got = new ArrayList<>(sink.frames);
        assertEquals(got.stream().sorted().toList(), got, "order kept");
        assertEquals(49L, got.get(got.size() - 1), "the newest frame survives");
    }

    @ParameterizedTest(name = "{0} inference worker(s)")
    @ValueSource(ints = {1, 2})
    void failingStage_stopsTheStream_namesStageAndFrame_finishesEarlierFrames_andClosesTheSink(int workers) {
        Counter src = new Counter(1000);
        Recorder sink = new SlowRecorder(src);
        StreamException e = assertThrows(StreamException.class, () -> StreamPipeline.<Long, Long>builder()
                .setSource(src).setPreprocess((f, img) -> f.index())
                .setInference((f, v) -> {
                    if (v == 7) {
                        throw new IllegalStateException("model ran out of memory");
                    }
                    return v;
                })
                .setSink(sink).optQueueCapacity(2).optInferenceWorkers(workers).build().run());
        assertEquals(StreamPipeline.INFERENCE, e.stage());
        assertEquals(7, e.frameIndex());
        assertEquals("inference failed on frame 7: model ran out of memory", e.getMessage());
        assertEquals(LongStream.range(0, 7).boxed().toList(), sink.frames);
        assertTrue(sink.closed && src.closed.get());
        assertTrue(src.produced.get() < 1000, "decoding stopped early");
    }

    @Test
    void decodeError_carriesTheFrameOfTheVideo() {
        Counter src = new Counter(10);
        src.failAt = 4;
        Recorder sink = new SlowRecorder(src);
        StreamException e = assertThrows(StreamException.class, () -> StreamPipeline.<Long, Long>builder()
                .setSource(src).setPreprocess((f, img) -> f.index()).setInference((f, v) -> v).setSink(sink)
                .build().run());
        assertEquals(StreamPipeline.DECODE, e.stage());
        assertEquals(4, e.frameIndex());
        assertTrue(e.getMessage().endsWith("clip.mp4: frame 4: the file ends inside this frame"), e.getMessage());
        assertEquals(List.of(0L, 1L, 2L, 3L), sink.frames);
    }

    @Test
    void stop_endsAnEndlessSource_andFinishesEveryFrameAlreadyRead() {
        Counter src = new Counter(-1);
        AtomicReference<StreamPipeline<Long, Long>> pipeline = new AtomicReference<>();
        Recorder sink = new Recorder(src) {
            @Override
            public void accept(Frame frame, Long result) throws Exception {
                super.accept(frame, result);
                if (frame.index() == 5) {
                    pipeline.get().stop();
                }
            }
        };
        pipeline.set(StreamPipeline.<Long, Long>builder().setSource(src).setPreprocess((f, img) -> f.index())
                .setInference((f, v) -> v).setSink(sink).optQueueCapacity(2).build());
        StreamReport report = pipeline.get().run();
        assertTrue(report.stopped());
        assertEquals(report.framesRead(), report.framesWritten(), "frames read before the stop are all finished");
        assertTrue(report.framesWritten() >= 6 && report.framesWritten() <= 6 + StreamPipeline.maxInFlight(2));
        assertEquals(LongStream.range(0, report.framesWritten()).boxed().toList(), sink.frames);
        assertTrue(sink.closed && src.closed.get());
    }

    @Test
    void severalInferenceWorkers_deliverEveryFrameInOrder() {
        Counter src = new Counter(200);
        Recorder sink = new Recorder(src);
        SplittableRandom r = new SplittableRandom(5);
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        StreamReport report = StreamPipeline.<Long, Long>builder().setSource(src)
                .setPreprocess((f, img) -> (long) img.get(0, 0, 0))
                .setInference((f, v) -> {
                    maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
                    sleepRandom(r);
                    concurrent.decrementAndGet();
                    return 2 * v + 1;
                })
                .setSink(sink).optQueueCapacity(3).optInferenceWorkers(3).build().run();
        assertEquals(LongStream.range(0, 200).boxed().toList(), sink.frames);
        assertEquals(LongStream.range(0, 200).map(i -> 2 * (i % 256) + 1).boxed().toList(), sink.results);
        assertEquals(200, report.framesWritten());
        assertEquals(200, report.stage(StreamPipeline.INFERENCE).frames());
        assertTrue(maxConcurrent.get() > 1, "inference ran side by side: " + maxConcurrent.get());
    }

    @Test
    void slowInferenceWorker_othersRunAhead_onlyAsFarAsTheBound() {
        int capacity = 2;
        int workers = 2;
        int bound = StreamPipeline.maxInFlight(capacity, workers);
        Counter src = new Counter(60);
        AtomicInteger producedWhileStalled = new AtomicInteger();
        Recorder sink = new Recorder(src);
        StreamReport report = StreamPipeline.<Long, Long>builder().setSource(src)
                .setPreprocess((f, img) -> f.index())
                .setInference((f, v) -> {
                    if (v == 0) {
                        // The other worker finishes later frames, which wait for this one in the sink's buffer.
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                        while (src.produced.get() < bound && System.nanoTime() < deadline) {
                            Thread.sleep(1);
                        }
                        Thread.sleep(50);
                        producedWhileStalled.set(src.produced.get());
                    }
                    return v;
                })
                .setSink(sink).optQueueCapacity(capacity).optInferenceWorkers(workers).build().run();
        assertEquals(bound, producedWhileStalled.get());
        assertEquals(bound, src.maxInFlight.get());
        assertEquals(LongStream.range(0, 60).boxed().toList(), sink.frames);
        assertEquals(60, report.framesWritten());
    }
}
