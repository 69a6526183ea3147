package ai.peft4j.train.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.peft4j.core.engine.EngineSetup;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.nn.StepMemory;
import ai.peft4j.core.tensor.Scalars;
import ai.peft4j.train.loop.StepHook;
import ai.peft4j.train.loss.CrossEntropyLoss;
import ai.peft4j.train.optim.Adam;
import ai.peft4j.train.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Times full training steps (forward, cross-entropy, backward, Adam update) of a model on random images, and
 * samples the process's resident memory meanwhile. The model's trainable parameters are the ones that train.
 */
public final class TrainStepBenchmark {
    /**
     * @param seconds mean seconds per step after warm-up
     * @param imagesPerSecond batch / seconds
     * @param peakRssMb largest resident set size seen during the timed steps
     * @param stepRssMb that peak above the resident size before the first step
     */
    public record Result(double seconds, double imagesPerSecond, double peakRssMb, double stepRssMb) {}

    private TrainStepBenchmark() {}

    public static <M extends Module & Layer> Result measure(M model, int batch, int size, int classes, int warmup,
            int steps) {
        return measure(model, batch, size, classes, warmup, steps, StepMemory.Options.DEFAULT);
    }

    /** As {@link #measure(Module, int, int, int, int, int)}, each step under {@code memory}. */
    public static <M extends Module & Layer> Result measure(M model, int batch, int size, int classes, int warmup,
            int steps, StepMemory.Options memory) {
        return measure(model, batch, size, classes, warmup, steps, memory, 0);
    }

    /**
     * As above, each batch run in micro-batches of {@code microBatch} images (0: the whole batch) whose gradients
     * add up before the update, as the trainer's {@code optMicroBatch} does; {@code batch} must be a multiple.
     */
    public static <M extends Module & Layer> Result measure(M model, int batch, int size, int classes, int warmup,
            int steps, StepMemory.Options memory, int microBatch) {
        int part = microBatch > 0 && microBatch < batch ? microBatch : batch;
        if (batch % part != 0) {
            throw new IllegalArgumentException("batch " + batch + " is not a multiple of the micro-batch " + part);
        }
        CrossEntropyLoss loss = new CrossEntropyLoss(classes, null);
        return measure(model, batch, warmup, steps, memory, batch / part, step -> {
            NDArray x = step.randomUniform(0f, 1f, new Shape(part, 3, size, size));
            NDArray y = step.randomInteger(0, classes, new Shape(part, size, size), DataType.INT64);
            return loss.compute(model.forward(x), y);
        }, null);
    }

    /** A training step's loss, computed in {@code step} (the step's manager) under the gradient collector. */
    @FunctionalInterface
    public interface StepLoss {
        NDArray compute(NDManager step);
    }

    /**
     * Times steps of any objective: {@code loss} makes the step's inputs and loss, {@code hook} (null for none) adds
     * a method's regulariser to it and its work after the optimiser step, as the trainer does.
     */
    public static Result measure(Module model, int batch, int warmup, int steps, StepMemory.Options memory,
            StepLoss loss, StepHook hook) {
        return measure(model, batch, warmup, steps, memory, 1, loss, hook);
    }

    /** As above, with {@code loss} giving one of {@code parts} equal parts of the batch per call. */
    private static Result measure(Module model, int batch, int warmup, int steps, StepMemory.Options memory,
            int parts, StepLoss loss, StepHook hook) {
        model.train(true);
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> {
            if (p.isTrainable()) {
                p.attachGradient();
                trainable.put(k, p);
            }
        });
        Optimizer opt = new Adam(trainable, 1e-4, 0.9, 0.999, 1e-8, 0);
        long before = rssBytes();
        for (int i = 0; i < warmup; i++) {
            step(model, opt, loss, hook, i, memory, parts, null, n -> false);
        }
        AtomicLong peak = new AtomicLong(rssBytes());
        Thread sampler = rssSampler(peak, 10);
        sampler.start();
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            step(model, opt, loss, hook, warmup + i, memory, parts, null, n -> false);
        }
        double seconds = (System.nanoTime() - t0) / 1e9 / steps;
        sampler.interrupt();
        opt.clearState();
        double mb = 1024.0 * 1024.0;
        return new Result(seconds, batch / seconds, peak.get() / mb, (peak.get() - before) / mb);
    }

    static <M extends Module & Layer> void step(M model, Optimizer opt, CrossEntropyLoss loss, int batch,
            int size, int classes, StepMemory.Options memory) {
        step(model, opt, loss, batch, size, classes, memory, null, n -> false);
    }

    /**
     * One cross-entropy step on random images; {@code probe}, when not null, is told the step's events:
     * {@code batch} (made), the modules that {@code modules} accepts, {@code loss}, the backward events of
     * {@link StepMemory#observe}, {@code forward freed} (the batch's and the forward's arrays freed, before the
     * update) and {@code optimizer} (after Adam's update).
     */
    static <M extends Module & Layer> void step(M model, Optimizer opt, CrossEntropyLoss loss, int batch,
            int size, int classes, StepMemory.Options memory, StepMemory.Probe probe,
            java.util.function.Predicate<String> modules) {
        StepMemory.Probe at = probe == null ? e -> { } : probe;
        step(model, opt, s -> {
            NDArray x = s.randomUniform(0f, 1f, new Shape(batch, 3, size, size));
            NDArray y = s.randomInteger(0, classes, new Shape(batch, size, size), DataType.INT64);
            at.at("batch");
            return loss.compute(model.forward(x), y);
        }, null, 0, memory, 1, probe, modules);
    }

    private static void step(Module model, Optimizer opt, StepLoss loss, StepHook hook, int index,
            StepMemory.Options memory, int parts, StepMemory.Probe probe,
            java.util.function.Predicate<String> modules) {
        StepMemory.Probe at = probe == null ? e -> { } : probe;
        NDManager root = opt.parameters().values().iterator().next().data().getManager();
        for (int part = 0; part < parts; part++) {
            try (NDManager step = root.newSubManager()) {
                try (StepMemory m = StepMemory.open(model, memory);
                        GradientCollector gc = EngineSetup.engine().newGradientCollector()) {
                    if (probe != null) {
                        m.observe(modules, probe);
                    }
                    NDArray l = loss.compute(step);
                    if (parts > 1) {
                        l = Scalars.mul(l, 1f / parts);
                    }
                    NDArray penalty = hook == null || part > 0 ? null : hook.penalty(step);
                    at.at("loss");
                    m.backward(penalty == null ? l : l.add(penalty));
                }
            }
        }
        // The forward's arrays (and whatever graph they held) are freed before Adam's temporaries are made.
        at.at("forward freed");
        opt.step();
        at.at("optimizer");
        if (hook != null) {
            hook.afterStep(index, 1);
        }
        opt.zeroGrad();
    }

    /**
     * A daemon thread, not yet started, that raises {@code peak} to the resident set size every
     * {@code periodMillis} until it is interrupted.
     */
    static Thread rssSampler(AtomicLong peak, long periodMillis) {
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(rssBytes(), Math::max);
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        sampler.setDaemon(true);
        return sampler;
    }

    /** Resident set size from /proc (Linux); 0 where it cannot be read. */
    static long rssBytes() {
        return status("VmRSS:");
    }

    /** The largest resident set size of this process so far (Linux's VmHWM); 0 where it cannot be read. */
    public static long peakRssBytes() {
        return status("VmHWM:");
    }

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
