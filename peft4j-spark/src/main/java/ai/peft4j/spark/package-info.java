/**
 * Batch inspection and evaluation on Apache Spark: a Spark ML transformer (and a partition function) that runs one
 * shared model per executor JVM over a column of images, the distributed evaluation, and {@code peft4j batch}.
 */
package ai.peft4j.spark;
