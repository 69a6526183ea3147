/** Benchmarks of training: time and memory of a step, reported as ratios measured in one run. */
package ai.peft4j.train.bench;
