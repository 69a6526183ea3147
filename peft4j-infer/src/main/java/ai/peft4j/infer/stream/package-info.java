/**
 * The stream pipeline: decoding, preprocessing, inference and the sink each on their own thread, joined by
 * bounded queues, so a long video runs in flat memory with frames kept in order; per-stage timings and FPS.
 */
package ai.peft4j.infer.stream;
