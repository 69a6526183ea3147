/**
 * The PASCAL VOC segmentation layout of the published code: {@code JPEGImages/<id>.jpg},
 * {@code SegmentationClass/<id>.png} holding class ids, and split lists in {@code ImageSets/Segmentation}.
 */
package ai.peft4j.data.voc;
