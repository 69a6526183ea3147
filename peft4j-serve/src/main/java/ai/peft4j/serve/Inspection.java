package ai.peft4j.serve;

import ai.peft4j.data.image.RgbImage;
import ai.peft4j.infer.stats.FrameStats;

/**
 * One image inspected by one line's adapter.
 *
 * @param name the image's name (the upload's file name, or "image")
 * @param image the decoded image
 * @param mask class id per pixel at the image's size
 * @param stats pixels per class and the defect regions
 */
record Inspection(String name, RgbImage image, int[] mask, FrameStats stats) {}
