/** The two ends of the scale: full fine-tuning and training the head alone, on a segmenter or a ViT classifier. */
package ai.peft4j.peft.full;
