/**
 * Labelled images for segmentation: readers of the common layouts, checks of every pair, splits, preprocessing
 * and augmentation, and batches loaded in parallel with training.
 */
package ai.peft4j.data;
