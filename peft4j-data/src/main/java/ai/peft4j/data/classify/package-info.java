/**
 * Image classification data: labelled image lists (class folders, or the class in the file name as NEU-DET has
 * it), peft-vit's train and test transforms, and batches of images with one class id each.
 */
package ai.peft4j.data.classify;
