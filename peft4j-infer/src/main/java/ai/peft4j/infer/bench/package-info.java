/**
 * The inference benchmark: per-stage and end-to-end frame rates and latencies of segmenters on each runtime
 * and precision, with the share of the machine's measured matmul peak they reach.
 */
package ai.peft4j.infer.bench;
