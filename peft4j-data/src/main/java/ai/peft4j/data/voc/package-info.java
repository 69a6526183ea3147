/**
 * The PASCAL VOC segmentation layout of the published code: {@code JPEGImages/<id>.jpg},
 * {@code SegmentationClass/<id>.png} holding class ids, and split lists in {@code ImageSets/Segmentation}; or, for
 * a data set with one defect class, binary masks (defect bright) in any common format ({@link VocConfig}).
 */
package ai.peft4j.data.voc;
