package ai.peft4j.serve;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.IntSupplier;

/**
 * The service's metrics in the Prometheus text format: requests and latencies by endpoint and line, the queue in
 * front of the model, adapter switch times, live engine arrays (flat unless a request leaks native memory), and
 * the JVM's memory and the process's resident memory.
 */
final class ServiceMetrics {
    static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Histogram latency;
    private final Histogram switches;

    ServiceMetrics(IntSupplier queueDepth, IntSupplier liveArrays) {
        requests = Counter.builder().name("peft4j_requests").help("HTTP requests by endpoint, line and status")
                .labelNames("endpoint", "line", "status").register(registry);
        latency = Histogram.builder().name("peft4j_inspect_duration_seconds").help("Inspection latency by line, "
                + "from the request's arrival to its answer").labelNames("line").classicOnly()
                .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30).register(registry);
        switches = Histogram.builder().name("peft4j_adapter_switch_seconds").help("Time to activate a request's "
                + "adapter on the base model").classicOnly()
                .classicUpperBounds(1e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 0.1).register(registry);
        GaugeWithCallback.builder().name("peft4j_queue_depth").help("Requests waiting for the model worker")
                .callback(cb -> cb.call(queueDepth.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("peft4j_engine_arrays").help("Engine (native) arrays alive: the base "
                + "model and adapters; grows only if requests leak").callback(cb -> cb.call(liveArrays.getAsInt()))
                .register(registry);
        JvmMemoryMetrics.builder().register(registry);
        ProcessMetrics.builder().register(registry);
    }

    void request(String endpoint, String line, int status) {
        requests.labelValues(endpoint, line == null ? "" : line, Integer.toString(status)).inc();
    }

    void inspected(String line, double seconds) {
        latency.labelValues(line).observe(seconds);
    }

    void switched(double seconds) {
        switches.observe(seconds);
    }

    String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
