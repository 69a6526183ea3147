/**
 * Per-frame defect statistics (area per class, bounding boxes of 8-connected components), written as CSV and JSON
 * lines, and the overlay frames as a video and PNGs: the sink of an inspection stream.
 */
package ai.peft4j.infer.stats;
