/**
 * Batches loaded by worker threads while the model trains: shuffled in a seeded order, transformed with a seed per
 * epoch and sample, stacked, and handed over in order through a bounded queue.
 */
package ai.peft4j.data.loader;
