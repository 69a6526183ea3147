/**
 * Crop (tile) training at native resolution: where each image's defect pixels are, and square crops cut from the
 * images (optionally rescaled), centred on a defect for a share of them, augmented per crop.
 */
package ai.peft4j.data.crop;
