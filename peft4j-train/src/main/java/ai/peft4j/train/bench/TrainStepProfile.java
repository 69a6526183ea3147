package ai.peft4j.train.bench;

import ai.djl.ndarray.NDArray;
import ai.peft4j.core.nn.Layer;
import ai.peft4j.core.nn.Module;
import ai.peft4j.core.nn.Parameter;
import ai.peft4j.core.nn.StepMemory;
import ai.peft4j.train.loss.CrossEntropyLoss;
import ai.peft4j.train.optim.Adam;
import ai.peft4j.train.optim.Optimizer;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Where a training step's memory goes: one warm-up step (so that Adam's moments exist), then one step that
 * records, after each of its events (a module's forward, the loss, the backward pass and each checkpoint's
 * recomputation, Adam's update, the step's arrays freed), the resident size, the largest resident size since the
 * event before, glibc's malloc counters (bytes in use, free bytes it keeps) and the bytes of the arrays that Java
 * still refers to in the step; and the fixed shares: weights, gradients, optimiser state, the batch, the JVM's heap
 * and direct buffers. Arrays held only by autograd (what backward saved) are in malloc's count, not in Java's.
 */
public final class TrainStepProfile {
    /** One event; sizes in MB. */
    public record Row(String event, double rssMb, double peakRssMb, double mallocInUseMb, double mallocFreeMb,
            double arraysMb) {}

    /** The events in order and the fixed shares (MB) by name. */
    public record Result(List<Row> rows, Map<String, Double> fixed) {
        /** The rows and shares as two Markdown tables. */
        public String markdown() {
            StringBuilder sb = new StringBuilder("| event | RSS (MB) | peak RSS since last event (MB) | "
                    + "malloc in use (MB) | malloc free, kept (MB) | arrays Java holds (MB) |\n"
                    + "|---|---:|---:|---:|---:|---:|\n");
            for (Row r : rows) {
                sb.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %.0f | %.0f |%n", r.event(),
                        r.rssMb(), r.peakRssMb(), r.mallocInUseMb(), r.mallocFreeMb(), r.arraysMb()));
            }
            sb.append("\n| share | MB |\n|---|---:|\n");
            fixed.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "| %s | %.1f |%n", k, v)));
            return sb.toString();
        }
    }

    private static final double MB = 1024.0 * 1024.0;

    private TrainStepProfile() {}

    /**
     * Profiles one step of {@code model} under {@code memory}, reporting the modules whose dotted names
     * {@code modules} accepts.
     */
    public static <M extends Module & Layer> Result profile(M model, int batch, int size, int classes,
            StepMemory.Options memory, Predicate<String> modules) {
        model.train(true);
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        long weights = 0;
        long gradients = 0;
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            long bytes = p.data().size() * p.data().getDataType().getNumOfBytes();
            weights += bytes;
            if (p.isTrainable()) {
                p.attachGradient();
                trainable.put(e.getKey(), p);
                gradients += bytes;
            }
        }
        Optimizer opt = new Adam(trainable, 1e-4, 0.9, 0.999, 1e-8, 0);
        CrossEntropyLoss loss = new CrossEntropyLoss(classes, null);
        TrainStepBenchmark.step(model, opt, loss, batch, size, classes, memory);

        AtomicLong peak = new AtomicLong(TrainStepBenchmark.rssBytes());
        Thread sampler = TrainStepBenchmark.rssSampler(peak, 5);
        List<Row> rows = new ArrayList<>();
        ai.djl.ndarray.NDManager root = trainable.values().iterator().next().data().getManager();
        StepMemory.Probe probe = event -> {
            long rss = TrainStepBenchmark.rssBytes();
            long highest = Math.max(peak.getAndSet(rss), rss);
            NativeMemory.Counters c = NativeMemory.read().orElse(new NativeMemory.Counters(0, 0, 0));
            rows.add(new Row(event, rss / MB, highest / MB, c.inUse() / MB, c.heldFree() / MB,
                    stepArrayBytes(root) / MB));
        };
        probe.at("before the step");
        sampler.start();
        try {
            TrainStepBenchmark.step(model, opt, loss, batch, size, classes, memory, probe, modules);
        } finally {
            sampler.interrupt();
        }
        if (NativeMemory.trim()) {
            probe.at("malloc_trim(0)");
        }
        long adam = opt.stateBytes();
        opt.clearState();
        Map<String, Double> fixed = new LinkedHashMap<>();
        fixed.put("weights (all parameters)", weights / MB);
        fixed.put("gradients (trained parameters)", gradients / MB);
        fixed.put("Adam state", adam / MB);
        fixed.put("batch (images and labels)", (batch * 3L * size * size * 4 + batch * (long) size * size * 8) / MB);
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        fixed.put("JVM heap used", heap.getUsed() / MB);
        fixed.put("JVM heap committed", heap.getCommitted() / MB);
        fixed.put("JVM non-heap committed", ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage()
                .getCommitted() / MB);
        fixed.put("JVM direct and mapped buffers", ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)
                .stream().mapToLong(BufferPoolMXBean::getMemoryUsed).sum() / MB);
        return new Result(rows, fixed);
    }

    /** Bytes of the arrays in the managers below {@code root} (the steps' arrays; views counted in full). */
    private static long stepArrayBytes(ai.djl.ndarray.NDManager root) {
        long sum = 0;
        for (NDArray a : root.getManagedArrays()) {
            if (!a.isReleased()) {
                sum += a.size() * a.getDataType().getNumOfBytes();
            }
        }
        return sum;
    }
}
