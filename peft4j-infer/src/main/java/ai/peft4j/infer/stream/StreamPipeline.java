package ai.peft4j.infer.stream;

import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.video.Frame;
import ai.peft4j.infer.video.FrameSource;
import ai.peft4j.infer.video.VideoException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs frames from a {@link FrameSource} through preprocessing, inference and a {@link FrameSink}, each on its own
 * thread, so that decoding the next frame, preparing the one after and running the model overlap. Stages are joined
 * by bounded queues: at most {@link #maxInFlight} frames are held at once however long the stream.
 *
 * <p>Inference may run on several threads ({@link Builder#optInferenceWorkers}), each taking the next prepared
 * frame: on a small CPU, two single-threaded model calls side by side do more frames per second than one call
 * spread over two threads, which waits at every operator for the slower thread. The sink still receives frames in
 * order; the ones that finish early wait for it in a buffer that counts against the bound.
 *
 * <p>By default a slow stage holds the ones before it back (back-pressure) and no frame is lost. With
 * {@link Builder#optDropFrames} the decoder instead drops the oldest waiting frame when the queue before
 * preprocessing is full, which keeps a live source current when inference cannot keep up.
 *
 * <p>{@link #stop} (a Ctrl-C handler, say) ends decoding; the frames already read are processed and the sink is
 * closed, so what was produced is kept. A failure in any stage on frame k stops decoding, the frames before k are
 * finished, later ones are dropped, and {@link #run} throws a {@link StreamException} naming the stage and k.
 *
 * @param <A> the model input that preprocessing makes
 * @param <B> the result that inference gives the sink
 */
public final class StreamPipeline<A, B> {
    public static final String DECODE = "decode";
    public static final String PREPROCESS = "preprocess";
    public static final String INFERENCE = "inference";
    public static final String SINK = "sink";
    /** Time from the start of a frame's decoding to the end of its sink step, queues included. */
    public static final String LATENCY = "latency";

    /** A frame on its way; {@code seq} numbers the frames preprocessing passes on, so the sink can restore order. */
    private record Item(Frame frame, Object payload, long startNanos, long seq) {}

    /** Marks the end of the stream in a queue; compared by identity. */
    private static final Item END = new Item(null, null, 0, -1);

    /** The payload of a frame that inference failed on or dropped: the sink skips it but keeps counting. */
    private static final Object SKIPPED = new Object();

    private final FrameSource source;
    private final Stage<RgbImage, A> preprocess;
    private final Stage<A, B> inference;
    private final FrameSink<B> sink;
    private final int capacity;
    private final int workers;
    private final boolean dropFrames;
    /** Frames past preprocessing and not yet through the sink; bounds the sink's reorder buffer too. */
    private final Semaphore admitted;

    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final AtomicReference<StreamException> failure = new AtomicReference<>();
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong lastWrittenNanos = new AtomicLong();
    private volatile boolean sourceEnded;
    private final StageTimes decodeTimes = new StageTimes(DECODE);
    private final StageTimes preprocessTimes = new StageTimes(PREPROCESS);
    private final StageTimes inferenceTimes = new StageTimes(INFERENCE);
    private final StageTimes sinkTimes = new StageTimes(SINK);
    private final StageTimes latency = new StageTimes(LATENCY);

    private StreamPipeline(Builder<A, B> b) {
        this.source = b.source;
        this.preprocess = b.preprocess;
        this.inference = b.inference;
        this.sink = b.sink;
        this.capacity = b.capacity;
        this.workers = b.workers;
        this.dropFrames = b.dropFrames;
        this.admitted = new Semaphore(admittedFrames(capacity, workers));
    }

    public static <A, B> Builder<A, B> builder() {
        return new Builder<>();
    }

    /**
     * The most frames held at once with queues of {@code capacity} and one inference thread: one in the hands of
     * each of the four threads and {@code capacity} in each of the three queues.
     */
    public static int maxInFlight(int capacity) {
        return maxInFlight(capacity, 1);
    }

    /** As {@link #maxInFlight(int)} with {@code workers} inference threads: one more frame per extra thread. */
    public static int maxInFlight(int capacity, int workers) {
        // The decoder's frame, the decoded queue and the preprocessor's frame, then the admitted ones.
        return 1 + capacity + 1 + admittedFrames(capacity, workers);
    }

    /** Frames past preprocessing: the prepared queue, one per worker, the inferred queue and the sink's frame. */
    private static int admittedFrames(int capacity, int workers) {
        return capacity + workers + capacity + 1;
    }

    /**
     * Runs the stream to its end (or until {@link #stop}) on three threads plus the inference workers and returns
     * what it did; the sink and the source are closed before it returns. Interrupting the calling thread stops the
     * stream as {@link #stop} does.
     *
     * @throws StreamException when a stage fails, after the stream has been wound down
     */
    public StreamReport run() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("a pipeline runs once; build a new one");
        }
        BlockingQueue<Item> decoded = new ArrayBlockingQueue<>(capacity);
        BlockingQueue<Item> prepared = new ArrayBlockingQueue<>(capacity);
        BlockingQueue<Item> inferred = new ArrayBlockingQueue<>(capacity);
        long t0 = System.nanoTime();
        lastWrittenNanos.set(t0);
        List<Thread> threads = new ArrayList<>();
        threads.add(thread(DECODE, () -> decode(decoded)));
        threads.add(thread(PREPROCESS, () -> prepare(decoded, prepared)));
        for (int w = 0; w < workers; w++) {
            threads.add(thread(workers == 1 ? INFERENCE : INFERENCE + "-" + w, () -> infer(prepared, inferred)));
        }
        threads.add(thread(SINK, () -> consume(inferred)));
        threads.forEach(Thread::start);
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                    stop();
                }
            }
        }
        try {
            sink.close();
        } catch (Exception | Error e) {
            failure.compareAndSet(null, new StreamException(SINK, -1, e));
        }
        try {
            source.close();
        } catch (Exception | Error e) {
            failure.compareAndSet(null, new StreamException(DECODE, -1, e));
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        StreamException failed = failure.get();
        if (failed != null) {
            throw failed;
        }
        return report(t0);
    }

    /** Asks the stream to end: decoding stops, frames already read are finished. Safe from any thread. */
    public void stop() {
        stopRequested.set(true);
    }

    /** Frames the sink has received so far (for progress displays). */
    public long framesWritten() {
        return written.get();
    }

    public long framesRead() {
        return read.get();
    }

    private StreamReport report(long t0) {
        double seconds = (lastWrittenNanos.get() - t0) / 1e9;
        return new StreamReport(read.get(), written.get(), dropped.get(), seconds, stopRequested.get() && !sourceEnded,
                List.of(decodeTimes.summary(), preprocessTimes.summary(), inferenceTimes.summary(),
                        sinkTimes.summary(), latency.summary()));
    }

    private void decode(BlockingQueue<Item> out) {
        try {
            while (!stopRequested.get() && failure.get() == null) {
                long start = System.nanoTime();
                Frame frame;
                try {
                    frame = source.next();
                } catch (Exception | Error e) {
                    long at = e instanceof VideoException v && v.frameIndex() >= 0 ? v.frameIndex() : read.get();
                    fail(DECODE, at, e);
                    break;
                }
                if (frame == null) {
                    sourceEnded = true;
                    break;
                }
                decodeTimes.record(System.nanoTime() - start);
                read.incrementAndGet();
                Item item = new Item(frame, null, start, -1);
                if (dropFrames) {
                    while (!out.offer(item)) {
                        if (out.poll() != null) {
                            dropped.incrementAndGet();
                        }
                    }
                } else {
                    out.put(item);
                }
            }
        } catch (InterruptedException e) {
            stop();
        } finally {
            putEnd(out);
        }
    }

    /** Preprocesses in frame order and numbers the frames it passes on; admits each into the bounded part. */
    private void prepare(BlockingQueue<Item> in, BlockingQueue<Item> out) {
        long seq = 0;
        try {
            while (true) {
                Item item = in.take();
                if (item == END) {
                    break;
                }
                if (discarded(item)) {
                    continue; // drain, so the decoder can finish
                }
                long start = System.nanoTime();
                Object result;
                try {
                    result = preprocess.apply(item.frame(), item.frame().image());
                } catch (Exception | Error e) {
                    fail(PREPROCESS, item.frame().index(), e);
                    continue;
                }
                preprocessTimes.record(System.nanoTime() - start);
                admitted.acquire();
                putFully(out, new Item(item.frame(), result, item.startNanos(), seq++));
            }
        } catch (InterruptedException e) {
            fail(PREPROCESS, -1, e);
        } finally {
            putEnd(out);
        }
    }

    /**
     * One inference worker. Every frame taken is passed on, failed or dropped ones as {@link #SKIPPED}, so the sink
     * can keep order. The end marker is put back for the other workers, and each worker ends the sink's queue once.
     */
    private void infer(BlockingQueue<Item> in, BlockingQueue<Item> out) {
        try {
            while (true) {
                Item item = in.take();
                if (item == END) {
                    putFully(in, END);
                    break;
                }
                Object result = SKIPPED;
                if (!discarded(item)) {
                    long start = System.nanoTime();
                    try {
                        result = inference.apply(item.frame(), cast(item.payload()));
                        inferenceTimes.record(System.nanoTime() - start);
                    } catch (Exception | Error e) {
                        fail(INFERENCE, item.frame().index(), e);
                        result = SKIPPED;
                    }
                }
                putFully(out, new Item(item.frame(), result, item.startNanos(), item.seq()));
            }
        } catch (InterruptedException e) {
            fail(INFERENCE, -1, e);
        } finally {
            putEnd(out);
        }
    }

    /** Hands frames to the sink in the order preprocessing numbered them, holding early ones back. */
    private void consume(BlockingQueue<Item> in) {
        PriorityQueue<Item> early = new PriorityQueue<>(Comparator.comparingLong(Item::seq));
        long next = 0;
        int ended = 0;
        try {
            while (ended < workers) {
                Item item = in.take();
                if (item == END) {
                    ended++;
                    continue;
                }
                early.add(item);
                while (!early.isEmpty() && early.peek().seq() == next) {
                    deliver(early.poll());
                    next++;
                }
            }
        } catch (InterruptedException e) {
            fail(SINK, -1, e);
        }
    }

    private void deliver(Item item) {
        try {
            if (item.payload() == SKIPPED || discarded(item)) {
                return;
            }
            long start = System.nanoTime();
            try {
                sink.accept(item.frame(), cast(item.payload()));
            } catch (Exception | Error e) {
                fail(SINK, item.frame().index(), e);
                return;
            }
            long end = System.nanoTime();
            sinkTimes.record(end - start);
            latency.record(end - item.startNanos());
            written.incrementAndGet();
            lastWrittenNanos.set(end);
        } finally {
            admitted.release();
        }
    }

    /**
     * After a failure on frame k, the frames before k are still finished (they were read and are good, and the
     * sink keeps them); k and later ones are dropped.
     */
    private boolean discarded(Item item) {
        StreamException f = failure.get();
        return f != null && (f.frameIndex() < 0 || item.frame().index() >= f.frameIndex());
    }

    private void fail(String stage, long frame, Throwable e) {
        failure.compareAndSet(null, new StreamException(stage, frame, e));
    }

    /** The end marker always gets through: the next stage drains its queue, so a put never waits for long. */
    private static void putEnd(BlockingQueue<Item> out) {
        putFully(out, END);
    }

    /**
     * Puts {@code item} even if the thread is interrupted meanwhile (keeping the interrupt): a numbered frame that
     * vanished on its way would leave the sink waiting for it.
     */
    private static void putFully(BlockingQueue<Item> out, Item item) {
        boolean interrupted = false;
        while (true) {
            try {
                out.put(item);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread thread(String name, Runnable body) {
        Thread t = new Thread(body, "stream-" + name);
        t.setDaemon(true);
        return t;
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }

    /** Builds a pipeline: a source, the two stages and a sink are required. */
    public static final class Builder<A, B> {
        private FrameSource source;
        private Stage<RgbImage, A> preprocess;
        private Stage<A, B> inference;
        private FrameSink<B> sink;
        private int capacity = 4;
        private int workers = 1;
        private boolean dropFrames;

        private Builder() {}

        public Builder<A, B> setSource(FrameSource source) {
            this.source = source;
            return this;
        }

        /** Turns a frame's image into the model's input. */
        public Builder<A, B> setPreprocess(Stage<RgbImage, A> preprocess) {
            this.preprocess = preprocess;
            return this;
        }

        /** Runs the model: a DJL module, an ONNX Runtime session, anything that maps input to result. */
        public Builder<A, B> setInference(Stage<A, B> inference) {
            this.inference = inference;
            return this;
        }

        public Builder<A, B> setSink(FrameSink<B> sink) {
            this.sink = sink;
            return this;
        }

        /** Frames each of the three queues holds (default 4). */
        public Builder<A, B> optQueueCapacity(int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("queue capacity must be at least 1, got " + capacity);
            }
            this.capacity = capacity;
            return this;
        }

        /**
         * Threads running inference side by side (default 1). With more than one, the inference stage is called
         * from several threads at once and must allow that (an ONNX Runtime session does).
         */
        public Builder<A, B> optInferenceWorkers(int workers) {
            if (workers < 1) {
                throw new IllegalArgumentException("inference workers must be at least 1, got " + workers);
            }
            this.workers = workers;
            return this;
        }

        /** Drop the oldest waiting frame instead of waiting when the stages fall behind (default off). */
        public Builder<A, B> optDropFrames(boolean drop) {
            this.dropFrames = drop;
            return this;
        }

        public StreamPipeline<A, B> build() {
            if (source == null || preprocess == null || inference == null || sink == null) {
                throw new IllegalStateException("a stream needs a source, preprocessing, inference and a sink");
            }
            return new StreamPipeline<>(this);
        }
    }
}
