/**
 * Seeded train/val/test splits as the published {@code dataset_split.py} makes them (6:2:2 by default), written
 * as the VOC list files {@code train.txt}, {@code val.txt}, {@code test.txt} and {@code trainval.txt}.
 */
package ai.peft4j.data.split;
